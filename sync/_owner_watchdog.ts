/**
 * Private: a one-shot Worker that tells a thread blocked in `acquire()` that the lock's
 * owner died.
 *
 * A blocking waiter sleeps in `Atomics.wait`, so its own event loop cannot ask
 * `navigator.locks` whether the owner is alive. Creating a Worker and posting to it are
 * synchronous, though: the waiter starts this watchdog with the lock word and the owner's
 * id, and the watchdog requests the owner's Web Lock `tandem.thread.<id>` (see
 * `_thread.ts`). The runtime grants it only once the owner died (a live worker holds it
 * for its whole life); the watchdog then swaps the word, if it still names that owner,
 * for the OWNER_DIED state and wakes every sleeper, and the waiter's next attempt throws
 * `OwnerDiedError`. The waiter terminates the watchdog as soon as it stops waiting, so no
 * worker outlives the wait.
 *
 * The watchdog's code is inline (a `data:` module URL) so that it loads without read
 * or import permissions, wherever this library was loaded from.
 *
 * @module
 */

import { threadLockName } from "./_thread.ts";

/** The watchdog: plain JavaScript, no imports. */
const SOURCE = `
onmessage = (event) => {
  const { buffer, index, owner, mask, died, name } = event.data;
  const i32 = new Int32Array(buffer);
  navigator.locks.request(name, () => {
    for (;;) {
      const state = Atomics.load(i32, index);
      if ((state & mask) !== owner) return;
      if (Atomics.compareExchange(i32, index, state, died) === state) {
        Atomics.notify(i32, index);
        return;
      }
    }
  }).finally(() => close());
};
`;

const URL_ = `data:text/javascript,${encodeURIComponent(SOURCE)}`;

/** A running watchdog. */
export interface OwnerWatch {
  /** The thread id it watches. */
  readonly owner: number;
  /** Terminates the watchdog (idempotent). */
  stop(): void;
}

/**
 * Starts a watchdog that, once thread `owner` died, swaps `i32[index]` for `died` if
 * the word's `mask` bits still hold `owner`, and notifies every waiter on it. Returns
 * `undefined` where Workers or Web Locks are unavailable (the caller keeps waiting).
 */
export function watchOwner(
  i32: Int32Array,
  index: number,
  owner: number,
  mask: number,
  died: number,
): OwnerWatch | undefined {
  const navigator = (globalThis as { navigator?: object }).navigator;
  if (typeof Worker !== "function" || navigator === undefined || !("locks" in navigator)) {
    return undefined;
  }
  let worker: Worker;
  try {
    worker = new Worker(URL_, { type: "module" });
  } catch {
    return undefined;
  }
  try {
    worker.postMessage({
      buffer: i32.buffer,
      // `i32` may view a record inside a lock slab: the watchdog sees the whole buffer.
      index: i32.byteOffset / 4 + index,
      owner,
      mask,
      died,
      name: threadLockName(owner),
    });
  } catch {
    worker.terminate();
    return undefined;
  }
  let stopped = false;
  return {
    owner,
    stop(): void {
      if (stopped) return;
      stopped = true;
      worker.terminate();
    },
  };
}
