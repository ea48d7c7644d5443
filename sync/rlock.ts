/**
 * `RLock`: a re-entrant lock in shared memory (Python's `threading.RLock`).
 *
 * @module
 */

import { COUNT, FLAG_FIFO, FLAGS, FutexCore, OWNER_MASK, STATE, timeoutError } from "./_futex.ts";
import { INSPECT, inspectState } from "./_inspect.ts";
import { byteOffsetOf, lockMemory, lockMemoryFrom } from "./_lock_slab.ts";
import { toTimeout } from "./_shared.ts";
import { type Cas, WARM_CALLS, wasmCas } from "./_wasm_cas.ts";
import { THREAD_ID } from "./_thread.ts";
import { makeGuard } from "./_guard.ts";
import type { LockGuard } from "./guard.ts";
import type { AcquireOptions, LockOptions } from "./lock.ts";

/** From the state word to the recursion count, in Int32 words. */
const TO_COUNT = COUNT - STATE;

/**
 * A re-entrant lock: the thread that holds it may acquire it again, and must release
 * it as many times. Ownership is per thread (the main thread or one Worker; each
 * thread gets an id, see the README), so a `release()` by another thread throws.
 *
 * Same memory layout and speed as {@linkcode Lock} plus an owner check; the recursion
 * count lives in the shared memory next to the lock word. Waiting, and the
 * {@linkcode OwnerDiedError} when the owner died holding it, work as for `Lock`: a
 * blocking `acquire()` learns of the death from a watchdog Worker it starts after 200 ms
 * on the same owner, an `acquireAsync()` from its own check.
 *
 * `console.log(lock)` shows its state: `RLock { locked: true, owned: true, count: 2 }`.
 *
 * @example Recursion
 * ```ts
 * import { RLock } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const lock = new RLock();
 * function sumList(items: number[]): number {
 *   return lock.withLock(() => items.length === 0 ? 0 : items[0] + sumList(items.slice(1)));
 * }
 * assertEquals(sumList([1, 2, 3, 4]), 10);
 * ```
 */
export class RLock {
  /**
   * The shared memory that holds this lock's words, at {@linkcode RLock.byteOffset} (a
   * page shared with other `RLock`s made by the same thread); cloning shares the lock.
   */
  readonly buffer: SharedArrayBuffer;
  /**
   * The shared WebAssembly memory behind {@linkcode RLock.buffer}, for the inline
   * compare-and-swap of the uncontended path (as {@linkcode Lock.memory}); `undefined`
   * where WebAssembly is unavailable or the lock was built from a bare buffer.
   *
   * @example The lock word's memory
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new RLock();
   * assert(lock.memory === undefined || lock.memory.buffer === lock.buffer);
   * ```
   */
  readonly memory: WebAssembly.Memory | undefined;
  /**
   * Where this lock's words start in {@linkcode RLock.buffer} (as
   * {@linkcode Lock.byteOffset}).
   *
   * @example The same lock from its memory and offset
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new RLock();
   * lock.acquire();
   * assert(new RLock(lock.memory ?? lock.buffer, lock.byteOffset).owned);
   * lock.release();
   * ```
   */
  readonly byteOffset: number;
  /** An Int32 view of the whole {@linkcode RLock.buffer}, shared with its other locks. */
  readonly #i32: Int32Array;
  /** Index of this lock's state word in `#i32`; its count follows two words on. */
  readonly #at: number;
  /** The slow paths, made on first contention (most locks never need them). */
  #core: FutexCore | undefined;
  /** The WebAssembly compare-and-swap, once this thread used the lock enough. */
  #cas: Cas | undefined;
  #calls = 0;

  /**
   * Creates a new, unlocked re-entrant lock.
   *
   * @param options Fairness options.
   */
  constructor(options?: LockOptions);
  /**
   * Wraps existing lock memory (use {@linkcode RLock.from} for a cloned message).
   *
   * @param memory The {@linkcode RLock.memory} or {@linkcode RLock.buffer} of an
   * `RLock` created elsewhere.
   * @param byteOffset Its {@linkcode RLock.byteOffset}: required when `memory` can hold
   * more than one lock, as the memory of every lock made here does.
   * @throws {TypeError} If `memory` does not hold an `RLock` at `byteOffset`, or
   * `byteOffset` is missing.
   * @throws {RangeError} If `byteOffset` is not a multiple of 16 inside `memory`.
   */
  constructor(memory: SharedArrayBuffer | WebAssembly.Memory, byteOffset?: number);
  constructor(arg?: LockOptions | SharedArrayBuffer | WebAssembly.Memory, byteOffset?: number) {
    const record = lockMemory("RLock", arg, byteOffset);
    this.buffer = record.buffer;
    this.memory = record.memory;
    this.byteOffset = record.byteOffset;
    this.#i32 = record.i32;
    this.#at = (record.byteOffset >> 2) + STATE;
  }

  /**
   * Rehydrates a re-entrant lock that crossed a thread boundary.
   *
   * @param message A structured clone of an `RLock` (or a live one). Its `memory`, when
   * present, holds the lock (its `buffer` is then not looked at), at its `byteOffset`.
   * @returns An `RLock` sharing the original's memory.
   * @throws {TypeError} If `message` is not a cloned `RLock`.
   *
   * @example Round trip
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new RLock();
   * lock.acquire();
   * assert(RLock.from(structuredClone(lock)).locked);
   * lock.release();
   * ```
   */
  static from(message: unknown): RLock {
    return new RLock(lockMemoryFrom(message, "RLock"), byteOffsetOf(message));
  }

  /**
   * Whether some thread holds the lock.
   *
   * @example Checking
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new RLock().locked, false);
   * ```
   */
  get locked(): boolean {
    return Atomics.load(this.#i32, this.#at) !== 0;
  }

  /**
   * Whether this thread holds the lock.
   *
   * @example Ownership
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new RLock();
   * lock.acquire();
   * assert(lock.owned);
   * lock.release();
   * ```
   */
  get owned(): boolean {
    return (Atomics.load(this.#i32, this.#at) & OWNER_MASK) === THREAD_ID;
  }

  /**
   * How many times this thread holds the lock (0 when it does not own it).
   *
   * @example Depth
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const lock = new RLock();
   * lock.acquire();
   * lock.acquire();
   * assertEquals(lock.count, 2);
   * lock.release();
   * lock.release();
   * assertEquals(lock.count, 0);
   * ```
   */
  get count(): number {
    return this.owned ? this.#i32[this.#at + TO_COUNT] : 0;
  }

  /**
   * Takes the lock if it is free or already held by this thread, without waiting.
   *
   * @returns Whether the lock is now held (once more) by this thread.
   *
   * @example Non-blocking attempt
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new RLock();
   * assert(lock.tryAcquire());
   * assert(lock.tryAcquire());
   * lock.release();
   * lock.release();
   * ```
   */
  tryAcquire(): boolean {
    const i32 = this.#i32;
    const count = this.#at + TO_COUNT;
    const v = this.#swap(0, THREAD_ID);
    if (v === 0) {
      i32[count] = 1;
      return true;
    }
    if ((v & OWNER_MASK) === THREAD_ID) {
      i32[count]++;
      return true;
    }
    return false;
  }

  /**
   * Takes the lock (again), blocking until it is free or `timeoutMs` passes.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns Whether the lock was taken.
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   * @throws {OwnerDiedError} If the previous holder died while holding it.
   *
   * @example Re-entrant acquire
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new RLock();
   * assert(lock.acquire());
   * assert(lock.acquire(0));
   * lock.release();
   * lock.release();
   * ```
   */
  acquire(timeoutMs?: number): boolean {
    const timeout = toTimeout("acquire lock", timeoutMs);
    const i32 = this.#i32;
    const count = this.#at + TO_COUNT;
    const v = this.#swap(0, THREAD_ID);
    if (v === 0) {
      i32[count] = 1;
      return true;
    }
    if ((v & OWNER_MASK) === THREAD_ID) {
      i32[count]++;
      return true;
    }
    if (!this.#slow().acquireSlow(timeout)) return false;
    i32[count] = 1;
    return true;
  }

  /**
   * Takes the lock (again) without blocking the event loop.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of whether the lock was taken.
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   * @throws {OwnerDiedError} If the previous holder died while holding it.
   * @throws {DOMException} The signal's reason (`AbortError`) when aborted.
   *
   * @example Awaiting
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new RLock();
   * assert(await lock.acquireAsync());
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
    if (this.tryAcquire()) return Promise.resolve(true);
    return this.#slow().acquireAsyncSlow(timeout, signal).then(
      (acquired) => {
        if (acquired) this.#i32[this.#at + TO_COUNT] = 1;
        return acquired;
      },
    );
  }

  /**
   * Releases one level; the lock is free when the count reaches zero.
   *
   * @throws {RangeError} If this thread does not hold the lock.
   *
   * @example Release by a non-owner throws
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assertThrows } from "@std/assert";
   *
   * assertThrows(() => new RLock().release(), RangeError);
   * ```
   */
  release(): void {
    const i32 = this.#i32;
    const at = this.#at;
    const count = i32[at + TO_COUNT];
    // A plain read of the word is enough to know that this thread owns it: only this
    // thread puts its id there, and while it lives others may only add WAITERS.
    if (count === 1 && (i32[at] & OWNER_MASK) === THREAD_ID) {
      // Common case: one level and no waiters, one CAS. The count is cleared before
      // the word is freed, as the next owner writes it right after.
      i32[at + TO_COUNT] = 0;
      if (this.#swap(THREAD_ID, 0) === THREAD_ID) return;
      i32[at + TO_COUNT] = 1;
    }
    if ((Atomics.load(i32, at) & OWNER_MASK) !== THREAD_ID) {
      this.#slow().releaseSlow(true); // throws the right error
      return;
    }
    if (count > 1) {
      i32[at + TO_COUNT] = count - 1;
      return;
    }
    i32[at + TO_COUNT] = 0;
    this.#slow().releaseSlow(true);
  }

  /**
   * Acquires (blocking) and returns a guard that releases one level on scope exit.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns The guard.
   * @throws {DOMException} `TimeoutError` if the lock was not taken in time.
   *
   * @example With `using`
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const lock = new RLock();
   * {
   *   using _outer = lock.hold();
   *   using _inner = lock.hold();
   *   assertEquals(lock.count, 2);
   * }
   * assertEquals(lock.locked, false);
   * ```
   */
  hold(timeoutMs?: number): LockGuard {
    if (!this.acquire(timeoutMs)) throw timeoutError("lock", timeoutMs);
    return makeGuard(this);
  }

  /**
   * Acquires asynchronously and returns a guard for `await using`.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of the guard.
   * @throws {DOMException} `TimeoutError` if the lock was not taken in time.
   *
   * @example With `await using`
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const lock = new RLock();
   * {
   *   await using _held = await lock.holdAsync();
   *   assert(lock.owned);
   * }
   * ```
   */
  async holdAsync(timeoutMs?: number, options?: AcquireOptions): Promise<LockGuard> {
    if (!(await this.acquireAsync(timeoutMs, options))) throw timeoutError("lock", timeoutMs);
    return makeGuard(this);
  }

  /**
   * Runs `fn` while holding the lock (blocking acquire), releasing one level after.
   * The level is released as soon as `fn` returns: for an `async` function, use
   * `withLockAsync(lock, fn)`.
   *
   * @param fn The critical section.
   * @returns What `fn` returned.
   *
   * @example Nested sections
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const lock = new RLock();
   * assertEquals(lock.withLock(() => lock.withLock(() => lock.count)), 2);
   * ```
   */
  withLock<T>(fn: () => T): T {
    this.acquire();
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  /**
   * Shows the lock's state to `console.log` and `Deno.inspect` (not its memory).
   *
   * @param inspect Deno's `inspect`, for the state object.
   * @param options Deno's inspect options.
   * @returns `RLock { locked: false }`; when held, whether this thread `owned` it and,
   * if so, its `count`; `fifo: true` for a fair lock.
   *
   * @example Printing a held lock
   * ```ts
   * import { RLock } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const lock = new RLock();
   * lock.acquire();
   * lock.acquire();
   * assertEquals(Deno.inspect(lock), "RLock { locked: true, owned: true, count: 2 }");
   * lock.release();
   * lock.release();
   * ```
   */
  [INSPECT](
    inspect: (value: unknown, options?: object) => string,
    options?: object,
  ): string {
    const state: Record<string, unknown> = { locked: this.locked };
    if (state.locked) {
      state.owned = this.owned;
      if (state.owned) state.count = this.count;
    }
    if ((this.#i32[this.#at - STATE + FLAGS] & FLAG_FIFO) !== 0) state.fifo = true;
    return inspectState("RLock", state, inspect, options);
  }

  /** The slow paths, made on first need, over a view of this lock's words alone. */
  #slow(): FutexCore {
    return this.#core ??= new FutexCore(new Int32Array(this.buffer, this.byteOffset, 4));
  }

  /**
   * Compare-and-swap of the lock word: `Atomics` for the first uses on this thread,
   * then the WebAssembly one (see `_wasm_cas.ts`). The call of `cas` only ever sees
   * WebAssembly functions, so V8 inlines it. `Lock` has its own copy on purpose: one
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
