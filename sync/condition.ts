/**
 * `Condition`: a condition variable in shared memory (Python's `threading.Condition`).
 *
 * @module
 */

import { checkInteger } from "./_checks.ts";
import { COUNT, ownedHere } from "./_futex.ts";
import { allocate, bufferFrom, describe, KIND, kindOf, TICK_MS, toTimeout } from "./_shared.ts";
import { INSPECT, inspectState } from "./_inspect.ts";
import { waitSlice } from "./_wait.ts";
import type { LockGuard } from "./guard.ts";
import { type AcquireOptions, Lock } from "./lock.ts";
import { RLock } from "./rlock.ts";

const SEQ = 1;
const BYTES = 8;

/**
 * A condition variable bound to a {@linkcode Lock} or {@linkcode RLock} (an `RLock` by
 * default, as in Python). Hold the lock, then `wait()` releases it, sleeps until
 * `notify()` / `notifyAll()` (or the timeout), and takes it back before returning.
 *
 * Wake-ups may be spurious (a waiter that was between releasing the lock and sleeping
 * when a notification came returns at once), so wait in a loop or use
 * {@linkcode Condition.waitFor}, as Python's documentation advises.
 *
 * @example Waiting for a predicate
 * ```ts
 * import { Condition, SharedValue } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const items = new SharedValue("int32", 0);
 * const condition = new Condition();
 * setTimeout(() => condition.withLock(() => {
 *   items.add(1);
 *   condition.notifyAll();
 * }), 10);
 * await condition.acquireAsync();
 * assertEquals(await condition.waitForAsync(() => items.value > 0, 5_000), true);
 * condition.release();
 * ```
 */
export class Condition {
  /** The shared memory of the notification sequence; cloning shares the condition. */
  readonly buffer: SharedArrayBuffer;
  /** The underlying lock. */
  readonly lock: Lock | RLock;
  readonly #i32: Int32Array;
  readonly #lockI32: Int32Array;

  /**
   * Creates a condition variable.
   *
   * @param lock The lock to use; a new `RLock` when omitted.
   * @throws {TypeError} If `lock` is neither a `Lock` nor an `RLock`.
   */
  constructor(lock?: Lock | RLock);
  /**
   * Wraps existing memory (use {@linkcode Condition.from} for a cloned message).
   *
   * @param buffer The memory of a condition created elsewhere.
   * @param lock Its lock.
   */
  constructor(buffer: SharedArrayBuffer, lock: Lock | RLock);
  constructor(arg?: Lock | RLock | SharedArrayBuffer, lock?: Lock | RLock) {
    if (arg instanceof SharedArrayBuffer) {
      this.buffer = bufferFrom({ buffer: arg }, "Condition", BYTES);
      this.lock = lock!;
    } else {
      if (arg !== undefined && !(arg instanceof Lock) && !(arg instanceof RLock)) {
        throw new TypeError(
          `Cannot create Condition as 'lock' must be a Lock or an RLock: received ${describe(arg)}`,
        );
      }
      this.buffer = allocate("Condition", BYTES);
      this.lock = arg ?? new RLock();
    }
    this.#i32 = new Int32Array(this.buffer);
    // The lock's own words, inside the page its thread keeps its locks in.
    this.#lockI32 = new Int32Array(this.lock.buffer, this.lock.byteOffset, 4);
  }

  /**
   * Rehydrates a condition that crossed a thread boundary (its lock too).
   *
   * @param message A structured clone of a `Condition` (or a live one).
   * @returns A `Condition` sharing the original's memory and lock.
   * @throws {TypeError} If `message` is not a cloned `Condition`.
   *
   * @example Round trip
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const condition = new Condition();
   * condition.acquire();
   * assert(Condition.from(structuredClone(condition)).lock.locked);
   * condition.release();
   * ```
   */
  static from(message: unknown): Condition {
    const buffer = bufferFrom(message, "Condition", BYTES);
    const lockMessage = (message as { lock?: { buffer?: unknown; byteOffset?: unknown } }).lock;
    const lockBuffer = lockMessage?.buffer;
    const at = lockMessage?.byteOffset;
    const isRLock = lockBuffer instanceof SharedArrayBuffer &&
      kindOf(lockBuffer, typeof at === "number" ? at : 0) === KIND.RLock;
    return new Condition(buffer, isRLock ? RLock.from(lockMessage) : Lock.from(lockMessage));
  }

  /**
   * Acquires the underlying lock (blocking).
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns Whether the lock was taken.
   *
   * @example Acquire and release
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const condition = new Condition();
   * assert(condition.acquire());
   * condition.release();
   * ```
   */
  acquire(timeoutMs?: number): boolean {
    return this.lock.acquire(timeoutMs);
  }

  /**
   * Acquires the underlying lock without blocking the event loop.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of whether the lock was taken.
   *
   * @example Awaiting
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const condition = new Condition();
   * assert(await condition.acquireAsync());
   * condition.release();
   * ```
   */
  acquireAsync(timeoutMs?: number, options?: AcquireOptions): Promise<boolean> {
    return this.lock.acquireAsync(timeoutMs, options);
  }

  /**
   * Releases the underlying lock.
   *
   * @throws {RangeError} If the lock is not held.
   *
   * @example Releasing
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assertThrows } from "@std/assert";
   *
   * assertThrows(() => new Condition().release(), RangeError);
   * ```
   */
  release(): void {
    this.lock.release();
  }

  /**
   * Acquires the lock (blocking) and returns a guard that releases it.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns The guard.
   * @throws {DOMException} `TimeoutError` if the lock was not taken in time.
   *
   * @example With `using`
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const condition = new Condition();
   * {
   *   using _held = condition.hold();
   *   assert(condition.lock.locked);
   * }
   * ```
   */
  hold(timeoutMs?: number): LockGuard {
    return this.lock.hold(timeoutMs);
  }

  /**
   * Acquires the lock asynchronously and returns a guard for `await using`.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of the guard.
   * @throws {DOMException} `TimeoutError` if the lock was not taken in time.
   *
   * @example With `await using`
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const condition = new Condition();
   * {
   *   await using _held = await condition.holdAsync();
   *   assert(condition.lock.locked);
   * }
   * ```
   */
  holdAsync(timeoutMs?: number, options?: AcquireOptions): Promise<LockGuard> {
    return this.lock.holdAsync(timeoutMs, options);
  }

  /**
   * Runs `fn` holding the lock (blocking acquire).
   *
   * @param fn The critical section.
   * @returns What `fn` returned.
   *
   * @example Notify under the lock
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const condition = new Condition();
   * assertEquals(condition.withLock(() => condition.notifyAll()), undefined);
   * ```
   */
  withLock<T>(fn: () => T): T {
    return this.lock.withLock(fn);
  }

  /**
   * Shows the state to `console.log` and `Deno.inspect` (not the memory's bytes).
   *
   * @param inspect Deno's `inspect`, for the state.
   * @param options Deno's inspect options.
   * @returns `Condition { lock: RLock { locked: false } }`.
   *
   * @example Printing
   * ```ts
   * import { Condition, Lock } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(
   *   Deno.inspect(new Condition(new Lock())),
   *   "Condition { lock: Lock { locked: false } }",
   * );
   * ```
   */
  [INSPECT](
    inspect: (value: unknown, options?: object) => string,
    options?: object,
  ): string {
    return inspectState("Condition", { lock: this.lock }, inspect, options);
  }

  #checkOwned(what: string): void {
    if (!ownedHere(this.#lockI32)) {
      throw new RangeError(`Cannot ${what} as this thread does not hold the condition's lock`);
    }
  }

  /** Releases the lock completely; returns the recursion count to restore. */
  #releaseAll(): number {
    const count = this.lock instanceof RLock ? this.#lockI32[COUNT] : 1;
    if (this.lock instanceof RLock) this.#lockI32[COUNT] = 1;
    this.lock.release();
    return count;
  }

  #restore(count: number): void {
    if (this.lock instanceof RLock) this.#lockI32[COUNT] = count;
  }

  /**
   * Releases the lock, blocks until notified or `timeoutMs` passes, and re-acquires
   * the lock before returning.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns False if the wait timed out, true otherwise.
   * @throws {RangeError} If this thread does not hold the lock, or `timeoutMs` is bad.
   *
   * @example Timing out
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const condition = new Condition();
   * condition.acquire();
   * assertEquals(condition.wait(5), false);
   * condition.release();
   * ```
   */
  wait(timeoutMs?: number): boolean {
    this.#checkOwned("wait on condition");
    const timeout = toTimeout("wait on condition", timeoutMs);
    const seq = Atomics.load(this.#i32, SEQ);
    const count = this.#releaseAll();
    let outcome: string;
    try {
      outcome = Atomics.wait(this.#i32, SEQ, seq, timeout);
    } finally {
      this.lock.acquire();
      this.#restore(count);
    }
    return outcome !== "timed-out";
  }

  /**
   * Like {@linkcode Condition.wait} without blocking the event loop.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait (the lock is re-acquired first).
   * @returns A promise: false if the wait timed out, true otherwise.
   * @throws {RangeError} If this thread does not hold the lock, or `timeoutMs` is bad.
   * @throws {DOMException} The signal's reason (`AbortError`) when aborted.
   *
   * @example Timing out
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const condition = new Condition();
   * await condition.acquireAsync();
   * assertEquals(await condition.waitAsync(5), false);
   * condition.release();
   * ```
   */
  async waitAsync(timeoutMs?: number, options?: AcquireOptions): Promise<boolean> {
    this.#checkOwned("wait on condition");
    const timeout = toTimeout("wait on condition", timeoutMs);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const seq = Atomics.load(this.#i32, SEQ);
    const count = this.#releaseAll();
    const deadline = performance.now() + timeout;
    try {
      for (;;) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) return false;
        const outcome = await waitSlice(this.#i32, SEQ, seq, Math.min(remaining, TICK_MS), signal);
        if (outcome !== "timed-out") return true;
      }
    } finally {
      await this.lock.acquireAsync();
      this.#restore(count);
    }
  }

  /**
   * Waits (blocking) until `predicate()` is truthy, re-checking after every wake-up.
   * The lock must be held even when the predicate is already true.
   *
   * @param predicate Checked with the lock held.
   * @param timeoutMs Longest total wait in milliseconds; forever when omitted.
   * @returns The last value of `predicate()` (falsy on timeout).
   * @throws {RangeError} If this thread does not hold the lock (checked before the
   * predicate is called), or `timeoutMs` is bad.
   * @throws {TypeError} If `predicate` is not a function.
   *
   * @example Already true
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const condition = new Condition();
   * condition.acquire();
   * assertEquals(condition.waitFor(() => 7, 10), 7);
   * condition.release();
   * ```
   */
  waitFor<T>(predicate: () => T, timeoutMs?: number): T {
    this.#checkOwned("wait on condition");
    const timeout = toTimeout("wait on condition", timeoutMs);
    checkPredicate(predicate);
    const deadline = performance.now() + timeout;
    let result = predicate();
    while (!result) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      this.wait(remaining === Infinity ? undefined : remaining);
      result = predicate();
    }
    return result;
  }

  /**
   * Like {@linkcode Condition.waitFor} without blocking the event loop. The lock must be
   * held even when the predicate is already true.
   *
   * @param predicate Checked with the lock held.
   * @param timeoutMs Longest total wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of the last value of `predicate()` (falsy on timeout).
   * @throws {RangeError} If this thread does not hold the lock (checked before the
   * predicate is called), or `timeoutMs` is bad.
   * @throws {TypeError} If `predicate` is not a function.
   * @throws {DOMException} The signal's reason (`AbortError`) when aborted.
   *
   * @example Timing out
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const condition = new Condition();
   * await condition.acquireAsync();
   * assertEquals(await condition.waitForAsync(() => false, 5), false);
   * condition.release();
   * ```
   */
  async waitForAsync<T>(
    predicate: () => T,
    timeoutMs?: number,
    options?: AcquireOptions,
  ): Promise<T> {
    this.#checkOwned("wait on condition");
    const timeout = toTimeout("wait on condition", timeoutMs);
    checkPredicate(predicate);
    const deadline = performance.now() + timeout;
    let result = predicate();
    while (!result) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      await this.waitAsync(remaining === Infinity ? undefined : remaining, options);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` threads waiting on this condition. Call it holding the lock.
   *
   * @param n How many waiters to wake.
   * @throws {RangeError} If this thread does not hold the lock, or `n` is negative.
   * @throws {TypeError} If `n` is not a number.
   *
   * @example Nothing to wake
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { assertThrows } from "@std/assert";
   *
   * const condition = new Condition();
   * assertThrows(() => condition.notify(), RangeError);
   * condition.withLock(() => condition.notify(2));
   * ```
   */
  notify(n = 1): void {
    this.#checkOwned("notify condition");
    checkInteger(n, "n", "Cannot notify condition", 1, { min: 0 });
    Atomics.add(this.#i32, SEQ, 1);
    Atomics.notify(this.#i32, SEQ, n);
  }

  /**
   * Wakes every thread waiting on this condition. Call it holding the lock.
   *
   * @throws {RangeError} If this thread does not hold the lock.
   *
   * @example Broadcast
   * ```ts
   * import { Condition } from "@tandem/tandem/sync";
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const condition = new Condition(new Lock());
   * condition.withLock(() => condition.notifyAll());
   * assert(!condition.lock.locked);
   * ```
   */
  notifyAll(): void {
    this.#checkOwned("notify condition");
    Atomics.add(this.#i32, SEQ, 1);
    Atomics.notify(this.#i32, SEQ);
  }
}

function checkPredicate(predicate: unknown): void {
  if (typeof predicate !== "function") {
    throw new TypeError(
      `Cannot wait on condition as 'predicate' must be a function: received ${describe(predicate)}`,
    );
  }
}
