/**
 * `Lock`: a mutual-exclusion lock in shared memory that works between the main thread
 * and any number of Workers (Python's `threading.Lock` / `multiprocessing.Lock`).
 *
 * @module
 */

import { FLAG_FIFO, FLAGS, FutexCore, STATE, timeoutError } from "./_futex.ts";
import { INSPECT, inspectState } from "./_inspect.ts";
import { byteOffsetOf, lockMemory, lockMemoryFrom } from "./_lock_slab.ts";
import { toTimeout } from "./_shared.ts";
import { type Cas, WARM_CALLS, wasmCas } from "./_wasm_cas.ts";
import { THREAD_ID } from "./_thread.ts";
import { makeGuard } from "./_guard.ts";
import type { LockGuard } from "./guard.ts";

/** Options for {@linkcode Lock}. */
export interface LockOptions {
  /**
   * Hand the lock directly to the longest sleeping waiter on release instead of letting
   * any thread barge in. Fairer, and slower when waiters sleep (see the README for
   * figures). A blocking waiter spins for its first ~50 µs and joins the queue when it
   * goes to sleep.
   *
   * @default {false}
   */
  fifo?: boolean;
}

/** Options for the asynchronous acquire of every primitive. */
export interface AcquireOptions {
  /** Aborts the wait: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A mutual-exclusion lock that lives in a `SharedArrayBuffer`, so the main thread and
 * Workers can share it: post it (or pass it to a `WorkerPool` task) and call
 * {@linkcode Lock.from} / `reviveShared` on the other side to get the same lock.
 *
 * Uncontended acquire and release are one compare-and-swap each, run as WebAssembly
 * (the lock word lives in a shared `WebAssembly.Memory`, see {@linkcode Lock.memory}),
 * which V8 compiles inline where `Atomics` calls are builtin calls. Locks made by one
 * thread share one-page memories, 1,024 locks to a page, so a lock costs about 300
 * bytes and a microsecond to create (see {@linkcode Lock.byteOffset}). A contended blocking
 * acquire first spins for about 50 µs (loads spaced out by `Atomics.pause`), then sleeps
 * on the lock word (`Atomics.wait`); an asynchronous one sleeps at once
 * (`Atomics.waitAsync`). As in Python, any thread may release a held `Lock`.
 *
 * The blocking {@linkcode Lock.acquire} also works on Deno's main thread (Deno allows
 * `Atomics.wait` there) but freezes its event loop while it waits: prefer
 * {@linkcode Lock.acquireAsync} on the main thread.
 *
 * If the worker holding the lock dies, waiters notice (the dead worker's Web Lock
 * `tandem.thread.<id>` is released) and the next acquirer gets an
 * {@linkcode OwnerDiedError}. An asynchronous waiter checks after 200–300 ms of
 * waiting. A blocking waiter, whose event loop is blocked, starts a one-shot watchdog
 * Worker after 200 ms on the same owner; the watchdog waits for that Web Lock and marks
 * the lock, and is terminated as soon as the waiter stops waiting. The error then comes
 * after about 0.25 s on the main thread and about 1.2 s in a worker (a worker blocked
 * in `Atomics.wait` starts a nested Worker slowly). Each blocking acquire that waits
 * over 200 ms on a worker starts at most one watchdog per owner. See the README.
 * The lock word names the thread that acquired the lock, so a lock handed to another
 * thread to release must not outlive the worker that acquired it: once that worker
 * ended, the lock counts as held by a dead owner.
 *
 * `console.log(lock)` shows its state: `Lock { locked: false }`.
 *
 * @example Guarding a critical section
 * ```ts
 * import { Lock } from "@tandem/tandem/sync";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const lock = new Lock();
 * assert(lock.acquire());
 * assert(!lock.tryAcquire());
 * lock.release();
 * assertEquals(lock.withLock(() => 42), 42);
 * ```
 */
export class Lock {
  /**
   * The shared memory that holds this lock's word, at {@linkcode Lock.byteOffset} (a
   * page shared with other locks made by the same thread); cloning the lock shares it.
   */
  readonly buffer: SharedArrayBuffer;
  /**
   * The shared WebAssembly memory behind {@linkcode Lock.buffer}, whose inline
   * compare-and-swap makes the uncontended path about 2.5 times faster than `Atomics`
   * calls. A clone carries it, so a rehydrated lock is as fast. `undefined` where
   * WebAssembly is unavailable or the lock was built from a bare buffer: the lock then
   * uses `Atomics`, and works the same.
   *
   * @example The lock word's memory
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new Lock();
   * assert(lock.memory === undefined || lock.memory.buffer === lock.buffer);
   * ```
   */
  readonly memory: WebAssembly.Memory | undefined;
  /**
   * Where this lock's words start in {@linkcode Lock.buffer}: a page holds the locks
   * a thread makes, 64 bytes (a cache line) each. A clone carries it along with the
   * memory, and `new Lock(lock.memory, lock.byteOffset)` is the same lock.
   *
   * @example The same lock from its memory and offset
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new Lock();
   * const same = new Lock(lock.memory ?? lock.buffer, lock.byteOffset);
   * lock.acquire();
   * assert(same.locked);
   * same.release();
   * ```
   */
  readonly byteOffset: number;
  /** An Int32 view of the whole {@linkcode Lock.buffer}, shared with its other locks. */
  readonly #i32: Int32Array;
  /** Index of this lock's state word in `#i32`. */
  readonly #at: number;
  /** The slow paths, made on first contention (most locks never need them). */
  #core: FutexCore | undefined;
  /** The WebAssembly compare-and-swap, once this thread used the lock enough. */
  #cas: Cas | undefined;
  #calls = 0;

  /**
   * Creates a new, unlocked lock.
   *
   * @param options Fairness options.
   */
  constructor(options?: LockOptions);
  /**
   * Wraps existing lock memory (use {@linkcode Lock.from} for a cloned message).
   *
   * @param memory The {@linkcode Lock.memory} or {@linkcode Lock.buffer} of a lock
   * created elsewhere.
   * @param byteOffset Its {@linkcode Lock.byteOffset}: required when `memory` can hold
   * more than one lock, as the memory of every lock made here does.
   * @throws {TypeError} If `memory` does not hold a `Lock` at `byteOffset`, or
   * `byteOffset` is missing.
   * @throws {RangeError} If `byteOffset` is not a multiple of 16 inside `memory`.
   */
  constructor(memory: SharedArrayBuffer | WebAssembly.Memory, byteOffset?: number);
  constructor(arg?: LockOptions | SharedArrayBuffer | WebAssembly.Memory, byteOffset?: number) {
    const record = lockMemory("Lock", arg, byteOffset);
    this.buffer = record.buffer;
    this.memory = record.memory;
    this.byteOffset = record.byteOffset;
    this.#i32 = record.i32;
    this.#at = (record.byteOffset >> 2) + STATE;
  }

  /**
   * Rehydrates a lock that crossed a thread boundary (a structured clone of a `Lock`).
   *
   * @param message The cloned lock (or a live one). Its `memory`, when present, holds
   * the lock (its `buffer` is then not looked at), at its `byteOffset`.
   * @returns A `Lock` sharing the original's memory.
   * @throws {TypeError} If `message` is not a cloned `Lock`.
   *
   * @example Round trip through structured clone
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new Lock();
   * const copy = Lock.from(structuredClone(lock));
   * lock.acquire();
   * assert(copy.locked);
   * copy.release();
   * ```
   */
  static from(message: unknown): Lock {
    return new Lock(lockMemoryFrom(message, "Lock"), byteOffsetOf(message));
  }

  /**
   * Whether the lock is held by some thread.
   *
   * @example Checking
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Lock().locked, false);
   * ```
   */
  get locked(): boolean {
    return Atomics.load(this.#i32, this.#at) !== 0;
  }

  /**
   * Whether the lock hands itself to the longest waiter on release.
   *
   * @example Fair lock
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * assert(new Lock({ fifo: true }).fifo);
   * ```
   */
  get fifo(): boolean {
    return (this.#i32[this.#at - STATE + FLAGS] & FLAG_FIFO) !== 0;
  }

  /**
   * Takes the lock if it is free, without waiting.
   *
   * @returns Whether the lock was taken.
   *
   * @example Non-blocking attempt
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new Lock();
   * assert(lock.tryAcquire());
   * assert(!lock.tryAcquire());
   * lock.release();
   * ```
   */
  tryAcquire(): boolean {
    return this.#swap(0, THREAD_ID) === 0;
  }

  /**
   * Takes the lock, blocking the thread until it is free or `timeoutMs` passes.
   * `acquire(0)` is a non-blocking attempt.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns Whether the lock was taken.
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   * @throws {OwnerDiedError} If the previous holder died while holding it.
   *
   * @example With a timeout
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new Lock();
   * assert(lock.acquire(10));
   * assert(!lock.acquire(0));
   * lock.release();
   * ```
   */
  acquire(timeoutMs?: number): boolean {
    const timeout = toTimeout("acquire lock", timeoutMs);
    if (this.#swap(0, THREAD_ID) === 0) return true;
    return this.#slow().acquireSlow(timeout);
  }

  /**
   * Takes the lock without blocking the event loop (`Atomics.waitAsync`).
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of whether the lock was taken.
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   * @throws {OwnerDiedError} If the previous holder died while holding it.
   * @throws {DOMException} The signal's reason (`AbortError`) when aborted.
   *
   * @example Awaiting the lock
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new Lock();
   * assert(await lock.acquireAsync());
   * const second = lock.acquireAsync(5_000);
   * lock.release();
   * assert(await second);
   * lock.release();
   * ```
   */
  acquireAsync(timeoutMs?: number, options?: AcquireOptions): Promise<boolean> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let timeout: number;
    try {
      timeout = toTimeout("acquire lock", timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#swap(0, THREAD_ID) === 0) return Promise.resolve(true);
    return this.#slow().acquireAsyncSlow(timeout, signal);
  }

  /**
   * Releases the lock (any thread may release a `Lock`).
   *
   * @throws {RangeError} If the lock is not locked.
   *
   * @example Releasing twice throws
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assertThrows } from "@std/assert";
   *
   * const lock = new Lock();
   * lock.acquire();
   * lock.release();
   * assertThrows(() => lock.release(), RangeError);
   * ```
   */
  release(): void {
    if (this.#swap(THREAD_ID, 0) === THREAD_ID) return;
    this.#slow().releaseSlow(false);
  }

  /**
   * Acquires (blocking), and returns a guard that releases on `using` scope exit.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns The guard.
   * @throws {DOMException} `TimeoutError` if the lock was not taken in time.
   *
   * @example With `using`
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new Lock();
   * {
   *   using _held = lock.hold();
   *   assert(lock.locked);
   * }
   * assert(!lock.locked);
   * ```
   */
  hold(timeoutMs?: number): LockGuard {
    if (!this.acquire(timeoutMs)) throw timeoutError("lock", timeoutMs);
    return makeGuard(this);
  }

  /**
   * Acquires asynchronously, and returns a guard for `await using`.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of the guard.
   * @throws {DOMException} `TimeoutError` if the lock was not taken in time.
   *
   * @example With `await using`
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new Lock();
   * {
   *   await using _held = await lock.holdAsync();
   *   assert(lock.locked);
   * }
   * assert(!lock.locked);
   * ```
   */
  async holdAsync(timeoutMs?: number, options?: AcquireOptions): Promise<LockGuard> {
    if (!(await this.acquireAsync(timeoutMs, options))) throw timeoutError("lock", timeoutMs);
    return makeGuard(this);
  }

  /**
   * Runs `fn` while holding the lock (blocking acquire), releasing it afterwards even
   * if `fn` throws. The cheapest guarded form for hot paths. The lock is released as
   * soon as `fn` returns: for an `async` function, use `withLockAsync(lock, fn)`.
   *
   * @param fn The critical section.
   * @returns What `fn` returned.
   *
   * @example Guarded increment
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const lock = new Lock();
   * let n = 0;
   * lock.withLock(() => n++);
   * assertEquals(n, 1);
   * ```
   */
  withLock<T>(fn: () => T): T {
    if (this.#swap(0, THREAD_ID) !== 0) this.#slow().acquireSlow(Infinity);
    try {
      return fn();
    } finally {
      if (this.#swap(THREAD_ID, 0) !== THREAD_ID) this.#slow().releaseSlow(false);
    }
  }

  /**
   * Shows the lock's state to `console.log` and `Deno.inspect` (not its memory).
   *
   * @param inspect Deno's `inspect`, for the state object.
   * @param options Deno's inspect options.
   * @returns `Lock { locked: false }`, with `fifo: true` for a fair lock.
   *
   * @example Printing a lock
   * ```ts
   * import { Lock } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const lock = new Lock();
   * lock.acquire();
   * assertEquals(Deno.inspect(lock), "Lock { locked: true }");
   * lock.release();
   * ```
   */
  [INSPECT](
    inspect: (value: unknown, options?: object) => string,
    options?: object,
  ): string {
    const state: Record<string, unknown> = { locked: this.locked };
    if (this.fifo) state.fifo = true;
    return inspectState("Lock", state, inspect, options);
  }

  /** The slow paths, made on first need, over a view of this lock's words alone. */
  #slow(): FutexCore {
    return this.#core ??= new FutexCore(new Int32Array(this.buffer, this.byteOffset, 4));
  }

  /**
   * Compare-and-swap of the lock word: `Atomics` for the first uses on this thread,
   * then the WebAssembly one (see `_wasm_cas.ts`). The call of `cas` only ever sees
   * WebAssembly functions, so V8 inlines it. `RLock` has its own copy on purpose: one
   * call site shared by both classes made uncontended `RLock` pairs ~1.4× slower.
   */
  #swap(expected: number, replacement: number): number {
    const cas = this.#cas;
    if (cas !== undefined) return cas(this.#at << 2, expected, replacement);
    if (++this.#calls === WARM_CALLS && this.memory !== undefined) {
      this.#cas = wasmCas(this.memory);
    }
    return Atomics.compareExchange(this.#i32, this.#at, expected, replacement);
  }
}
