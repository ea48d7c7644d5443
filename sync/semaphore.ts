/**
 * `Semaphore`: a counter of permits in shared memory (Python's `threading.Semaphore`).
 *
 * @module
 */

import { checkInteger } from "./_checks.ts";
import { timeoutError } from "./_futex.ts";
import { BOUND, BYTES, VALUE, WAITERS } from "./_semaphore_layout.ts";
import { INSPECT, inspectState } from "./_inspect.ts";
import { allocate, bufferFrom, KIND, type KindName, kindOf, toTimeout } from "./_shared.ts";
import { untilAsync, untilSync } from "./_wait.ts";
import { makeGuard } from "./_guard.ts";
import type { LockGuard } from "./guard.ts";
import type { AcquireOptions } from "./lock.ts";

/**
 * A semaphore: `acquire` takes one permit, waiting while there is none; `release` gives
 * permits back. Works across the main thread and Workers like every `sync/` primitive.
 *
 * @example Limiting concurrency
 * ```ts
 * import { Semaphore } from "@tandem/tandem/sync";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const slots = new Semaphore(2);
 * assert(slots.acquire());
 * assert(slots.tryAcquire());
 * assert(!slots.tryAcquire());
 * slots.release(2);
 * assertEquals(slots.value, 2);
 * ```
 */
export class Semaphore {
  /** The shared memory of this semaphore; cloning it shares the semaphore. */
  readonly buffer: SharedArrayBuffer;
  readonly #i32: Int32Array;
  readonly #check = (): number | undefined => this.tryAcquire() ? undefined : 0;

  /**
   * Creates a semaphore with `value` permits.
   *
   * @param value The initial number of permits.
   * @throws {RangeError} If `value` is not an integer from 0 to 2³⁰−1.
   * @throws {TypeError} If `value` is not a number.
   */
  constructor(value?: number);
  /**
   * Wraps existing memory (use {@linkcode Semaphore.from} for a cloned message).
   *
   * @param buffer The memory of a semaphore created elsewhere.
   */
  constructor(buffer: SharedArrayBuffer);
  constructor(arg: number | SharedArrayBuffer = 1) {
    const kind = (new.target as unknown as { kindName: KindName }).kindName;
    if (arg instanceof SharedArrayBuffer) {
      this.buffer = bufferFrom({ buffer: arg }, kind, BYTES);
    } else {
      // Bits 30 and 31 of the permit word are left free.
      checkInteger(arg, "value", `Cannot create ${kind}`, 1, { min: 0, max: 0x3fffffff });
      this.buffer = allocate(kind, BYTES);
      const i32 = new Int32Array(this.buffer);
      i32[VALUE] = arg;
      i32[BOUND] = arg;
    }
    this.#i32 = new Int32Array(this.buffer);
  }

  /** Kind tag name used by the constructor (overridden by subclasses). */
  protected static kindName: KindName = "Semaphore";

  /**
   * Rehydrates a semaphore that crossed a thread boundary.
   *
   * @param message A structured clone of a `Semaphore` (or a live one).
   * @returns A `Semaphore` sharing the original's memory.
   * @throws {TypeError} If `message` is not a cloned `Semaphore`.
   *
   * @example Round trip
   * ```ts
   * import { Semaphore } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const semaphore = new Semaphore(3);
   * Semaphore.from(structuredClone(semaphore)).acquire();
   * assertEquals(semaphore.value, 2);
   * ```
   */
  static from(message: unknown): Semaphore {
    return new Semaphore(bufferFrom(message, "Semaphore", BYTES));
  }

  /**
   * The number of free permits now.
   *
   * @example Reading
   * ```ts
   * import { Semaphore } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Semaphore(4).value, 4);
   * ```
   */
  get value(): number {
    return Atomics.load(this.#i32, VALUE);
  }

  /**
   * Shows the state to `console.log` and `Deno.inspect` (not the memory's bytes).
   *
   * @param inspect Deno's `inspect`, for the state.
   * @param options Deno's inspect options.
   * @returns `Semaphore { value: 2 }`; a `BoundedSemaphore` also shows its `bound`.
   *
   * @example Printing
   * ```ts
   * import { BoundedSemaphore, Semaphore } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(Deno.inspect(new Semaphore(2)), "Semaphore { value: 2 }");
   * assertEquals(
   *   Deno.inspect(new BoundedSemaphore(2)),
   *   "BoundedSemaphore { value: 2, bound: 2 }",
   * );
   * ```
   */
  [INSPECT](
    inspect: (value: unknown, options?: object) => string,
    options?: object,
  ): string {
    const bounded = kindOf(this.buffer) === KIND.BoundedSemaphore;
    const state: Record<string, unknown> = { value: this.value };
    if (bounded) state.bound = this.#i32[BOUND];
    return inspectState(bounded ? "BoundedSemaphore" : "Semaphore", state, inspect, options);
  }

  /**
   * Takes a permit if one is free, without waiting.
   *
   * @returns Whether a permit was taken.
   *
   * @example Non-blocking
   * ```ts
   * import { Semaphore } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Semaphore(0).tryAcquire(), false);
   * ```
   */
  tryAcquire(): boolean {
    const i32 = this.#i32;
    for (;;) {
      const v = Atomics.load(i32, VALUE);
      if (v <= 0) return false;
      if (Atomics.compareExchange(i32, VALUE, v, v - 1) === v) return true;
    }
  }

  /**
   * Takes a permit, blocking the thread until one is free or `timeoutMs` passes.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns Whether a permit was taken.
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   *
   * @example With a timeout
   * ```ts
   * import { Semaphore } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Semaphore(0).acquire(10), false);
   * ```
   */
  acquire(timeoutMs?: number): boolean {
    const timeout = toTimeout("acquire semaphore", timeoutMs);
    if (this.tryAcquire()) return true;
    return untilSync(this.#i32, VALUE, this.#check, timeout, WAITERS);
  }

  /**
   * Takes a permit without blocking the event loop.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of whether a permit was taken.
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   * @throws {DOMException} The signal's reason (`AbortError`) when aborted.
   *
   * @example Awaiting a permit
   * ```ts
   * import { Semaphore } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const semaphore = new Semaphore(0);
   * const pending = semaphore.acquireAsync(5_000);
   * semaphore.release();
   * assert(await pending);
   * ```
   */
  acquireAsync(timeoutMs?: number, options?: AcquireOptions): Promise<boolean> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let timeout: number;
    try {
      timeout = toTimeout("acquire semaphore", timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.tryAcquire()) return Promise.resolve(true);
    return untilAsync(this.#i32, VALUE, this.#check, timeout, signal, WAITERS);
  }

  /**
   * Gives `n` permits back, waking up to `n` waiters.
   *
   * @param n How many permits to release.
   * @throws {RangeError} If `n` is not a positive integer.
   * @throws {TypeError} If `n` is not a number.
   *
   * @example Releasing
   * ```ts
   * import { Semaphore } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const semaphore = new Semaphore(0);
   * semaphore.release(3);
   * assertEquals(semaphore.value, 3);
   * ```
   */
  release(n = 1): void {
    checkInteger(n, "n", "Cannot release semaphore", 1);
    const i32 = this.#i32;
    this.addPermits(i32, n);
    if (Atomics.load(i32, WAITERS) > 0) Atomics.notify(i32, VALUE, n);
  }

  /** Adds permits (overridden by `BoundedSemaphore` to check its bound). */
  protected addPermits(i32: Int32Array, n: number): void {
    Atomics.add(i32, VALUE, n);
  }

  /**
   * Takes a permit (blocking) and returns a guard that gives it back on scope exit.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns The guard.
   * @throws {DOMException} `TimeoutError` if no permit was taken in time.
   *
   * @example With `using`
   * ```ts
   * import { Semaphore } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const semaphore = new Semaphore(1);
   * {
   *   using _permit = semaphore.hold();
   *   assertEquals(semaphore.value, 0);
   * }
   * assertEquals(semaphore.value, 1);
   * ```
   */
  hold(timeoutMs?: number): LockGuard {
    if (!this.acquire(timeoutMs)) throw timeoutError("semaphore", timeoutMs);
    return makeGuard(this);
  }

  /**
   * Takes a permit asynchronously and returns a guard for `await using`.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of the guard.
   * @throws {DOMException} `TimeoutError` if no permit was taken in time.
   *
   * @example With `await using`
   * ```ts
   * import { Semaphore } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const semaphore = new Semaphore(1);
   * {
   *   await using _permit = await semaphore.holdAsync();
   *   assertEquals(semaphore.value, 0);
   * }
   * ```
   */
  async holdAsync(timeoutMs?: number, options?: AcquireOptions): Promise<LockGuard> {
    if (!(await this.acquireAsync(timeoutMs, options))) {
      throw timeoutError("semaphore", timeoutMs);
    }
    return makeGuard(this);
  }
}
