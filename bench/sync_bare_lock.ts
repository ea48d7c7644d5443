// The yardstick of the sync benches: a bare three-state futex lock (0 free, 1 locked,
// 2 locked with waiters) over word 0 of an Int32Array, Atomics.compareExchange to take
// it and Atomics.sub/notify to release it. No owner, no timeout, no checks.

/** Takes the bare lock. */
export function bareAcquire(i32: Int32Array): void {
  let c = Atomics.compareExchange(i32, 0, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(i32, 0, 2);
  while (c !== 0) {
    Atomics.wait(i32, 0, 2);
    c = Atomics.exchange(i32, 0, 2);
  }
}

/** Releases the bare lock. */
export function bareRelease(i32: Int32Array): void {
  if (Atomics.sub(i32, 0, 1) !== 1) {
    Atomics.store(i32, 0, 0);
    Atomics.notify(i32, 0, 1);
  }
}
