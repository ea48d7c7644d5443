/**
 * Private: one asynchronous futex wait that keeps Deno's event loop alive.
 *
 * A pending `Atomics.waitAsync` does not keep Deno's event loop alive
 * (denoland/deno#15358), so each wait also arms a `setTimeout` for the same slice,
 * which holds the loop open and resolves the wait if V8's own timeout has not. The
 * timer is cleared as soon as the wait settles, so nothing leaks.
 *
 * @module
 */

import { TICK_MS } from "./_shared.ts";

/** Outcome of a wait slice. */
export type WaitOutcome = "ok" | "not-equal" | "timed-out";

/**
 * Waits until `i32[index]` is notified, or `sliceMs` passes, or `signal` aborts (the
 * promise rejects with its reason). A wake-up that arrives after the caller gave up is
 * passed on to the next waiter, so no notification is lost.
 */
export function waitSlice(
  i32: Int32Array,
  index: number,
  expected: number,
  sliceMs: number,
  signal: AbortSignal | undefined,
): Promise<WaitOutcome> {
  const result = Atomics.waitAsync(i32, index, expected, sliceMs);
  if (!result.async) return Promise.resolve(result.value);
  return new Promise<WaitOutcome>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: WaitOutcome | undefined, error?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (outcome === undefined) reject(error);
      else resolve(outcome);
    };
    const onAbort = (): void => finish(undefined, signal!.reason);
    const timer = setTimeout(() => finish("timed-out"), sliceMs + 1);
    signal?.addEventListener("abort", onAbort, { once: true });
    result.value.then((outcome) => {
      if (settled) {
        // The caller gave up: pass a notification on to another waiter.
        if (outcome === "ok") Atomics.notify(i32, index, 1);
      } else {
        finish(outcome);
      }
    });
  });
}

/**
 * Blocks until `check()` returns `undefined` (done), sleeping on `i32[index]` while it
 * returns the value to sleep on. `waiters`, when not -1, is the index of a counter of
 * sleepers maintained around each sleep. Returns false on timeout.
 */
export function untilSync(
  i32: Int32Array,
  index: number,
  check: () => number | undefined,
  timeoutMs: number,
  waiters = -1,
): boolean {
  const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
  for (;;) {
    const expected = check();
    if (expected === undefined) return true;
    const remaining = deadline - performance.now();
    if (remaining <= 0) return false;
    if (waiters >= 0) Atomics.add(i32, waiters, 1);
    Atomics.wait(i32, index, expected, remaining);
    if (waiters >= 0) Atomics.sub(i32, waiters, 1);
  }
}

/** The asynchronous form of {@linkcode untilSync}; `signal` aborts it. */
export async function untilAsync(
  i32: Int32Array,
  index: number,
  check: () => number | undefined,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  waiters = -1,
): Promise<boolean> {
  const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const expected = check();
    if (expected === undefined) return true;
    const remaining = deadline - performance.now();
    if (remaining <= 0) return false;
    if (waiters >= 0) Atomics.add(i32, waiters, 1);
    try {
      await waitSlice(i32, index, expected, Math.min(remaining, TICK_MS), signal);
    } finally {
      if (waiters >= 0) Atomics.sub(i32, waiters, 1);
    }
  }
}
