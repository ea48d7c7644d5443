/**
 * `Barrier`: a rendezvous of a fixed number of threads (Python's `threading.Barrier`).
 *
 * @module
 */

import { lockWord, unlockWord } from "./_futex.ts";
import { allocate, bufferFrom, describe, toTimeout } from "./_shared.ts";
import { untilAsync, untilSync } from "./_wait.ts";
import { BrokenBarrierError } from "./errors.ts";
import type { AcquireOptions } from "./lock.ts";

// Int32 word layout.
const MUTEX = 1;
const GEN = 2;
const COUNT = 3;
const BROKEN = 4;
const EPOCH = 5;
const PARTIES = 6;
const TIMEOUT = 7;
const BYTES = 32;

/** Options for {@linkcode Barrier}. */
export interface BarrierOptions {
  /**
   * Default timeout of `wait` / `waitAsync` in milliseconds (whole ms, kept in shared
   * memory); forever when omitted.
   *
   * @default {undefined}
   */
  timeoutMs?: number;
}

/**
 * Lets `parties` threads wait until all of them have arrived, then releases them all
 * together; it can be used again for the next round. If a party times out, or
 * `abort()` is called, the barrier breaks: every waiter, and every later `wait`, throws
 * {@linkcode BrokenBarrierError} until `reset()`.
 *
 * @example Two parties on one thread (async)
 * ```ts
 * import { Barrier } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const barrier = new Barrier(2);
 * const indexes = await Promise.all([barrier.waitAsync(5_000), barrier.waitAsync(5_000)]);
 * assertEquals(indexes.sort(), [0, 1]);
 * ```
 */
export class Barrier {
  /** The shared memory of this barrier; cloning it shares the barrier. */
  readonly buffer: SharedArrayBuffer;
  readonly #i32: Int32Array;

  /**
   * Creates a barrier for `parties` threads.
   *
   * @param parties How many threads must arrive.
   * @param options The default timeout.
   * @throws {RangeError} If `parties` is not a positive integer or the timeout is bad.
   */
  constructor(parties: number, options?: BarrierOptions);
  /**
   * Wraps existing memory (use {@linkcode Barrier.from} for a cloned message).
   *
   * @param buffer The memory of a barrier created elsewhere.
   */
  constructor(buffer: SharedArrayBuffer);
  constructor(arg: number | SharedArrayBuffer, options?: BarrierOptions) {
    if (arg instanceof SharedArrayBuffer) {
      this.buffer = bufferFrom({ buffer: arg }, "Barrier", BYTES);
      this.#i32 = new Int32Array(this.buffer);
      return;
    }
    if (!Number.isInteger(arg) || arg < 1 || arg > 0x3fffffff) {
      throw new RangeError(
        `Cannot create Barrier as 'parties' must be a positive integer: received ${describe(arg)}`,
      );
    }
    const timeout = toTimeout("create Barrier", options?.timeoutMs);
    this.buffer = allocate("Barrier", BYTES);
    this.#i32 = new Int32Array(this.buffer);
    this.#i32[PARTIES] = arg;
    this.#i32[TIMEOUT] = timeout === Infinity ? -1 : Math.min(Math.ceil(timeout), 0x7fffffff);
  }

  /**
   * Rehydrates a barrier that crossed a thread boundary.
   *
   * @param message A structured clone of a `Barrier` (or a live one).
   * @returns A `Barrier` sharing the original's memory.
   * @throws {TypeError} If `message` is not a cloned `Barrier`.
   *
   * @example Round trip
   * ```ts
   * import { Barrier } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(Barrier.from(structuredClone(new Barrier(3))).parties, 3);
   * ```
   */
  static from(message: unknown): Barrier {
    return new Barrier(bufferFrom(message, "Barrier", BYTES));
  }

  /**
   * How many threads must arrive.
   *
   * @example Parties
   * ```ts
   * import { Barrier } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Barrier(4).parties, 4);
   * ```
   */
  get parties(): number {
    return this.#i32[PARTIES];
  }

  /**
   * How many threads are waiting now (Python's `n_waiting`).
   *
   * @example None yet
   * ```ts
   * import { Barrier } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Barrier(2).waiting, 0);
   * ```
   */
  get waiting(): number {
    return Atomics.load(this.#i32, COUNT);
  }

  /**
   * Whether the barrier is broken.
   *
   * @example After abort
   * ```ts
   * import { Barrier } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const barrier = new Barrier(2);
   * barrier.abort();
   * assert(barrier.broken);
   * ```
   */
  get broken(): boolean {
    return Atomics.load(this.#i32, BROKEN) !== 0;
  }

  #timeout(timeoutMs: number | undefined): number {
    if (timeoutMs !== undefined) return toTimeout("wait on barrier", timeoutMs);
    const stored = this.#i32[TIMEOUT];
    return stored < 0 ? Infinity : stored;
  }

  /** Arrives; returns [index, generation, epoch], or the index alone if it tripped. */
  #arrive(): number | [number, number, number] {
    const i32 = this.#i32;
    lockWord(i32, MUTEX);
    if (i32[BROKEN] !== 0) {
      unlockWord(i32, MUTEX);
      throw new BrokenBarrierError("Cannot wait on barrier as it is broken");
    }
    const index = i32[COUNT];
    const generation = i32[GEN];
    const epoch = i32[EPOCH];
    if (index + 1 === i32[PARTIES]) {
      Atomics.store(i32, COUNT, 0);
      Atomics.add(i32, GEN, 1);
      unlockWord(i32, MUTEX);
      Atomics.notify(i32, GEN);
      return index;
    }
    Atomics.store(i32, COUNT, index + 1);
    unlockWord(i32, MUTEX);
    return [index, generation, epoch];
  }

  /** After the wait: returns the index, or throws if broken or timed out. */
  #depart(index: number, epoch: number, generation: number, arrived: boolean): number {
    const i32 = this.#i32;
    lockWord(i32, MUTEX);
    const released = i32[EPOCH] === epoch && i32[GEN] !== generation;
    unlockWord(i32, MUTEX);
    if (released) return index;
    if (!arrived) {
      this.abort();
      throw new BrokenBarrierError(
        `Cannot pass barrier as it timed out: ${this.parties} parties expected`,
      );
    }
    throw new BrokenBarrierError("Cannot pass barrier as it was broken while waiting");
  }

  /**
   * Waits (blocking) until all parties have arrived.
   *
   * @param timeoutMs Longest wait in milliseconds; the barrier's default when omitted.
   * @returns This thread's arrival index, from 0 to `parties - 1`.
   * @throws {BrokenBarrierError} If the barrier is or becomes broken, or times out
   * (which breaks it).
   *
   * @example A single party passes at once
   * ```ts
   * import { Barrier } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Barrier(1).wait(), 0);
   * ```
   */
  wait(timeoutMs?: number): number {
    const timeout = this.#timeout(timeoutMs);
    const arrival = this.#arrive();
    if (typeof arrival === "number") return arrival;
    const [index, generation, epoch] = arrival;
    const i32 = this.#i32;
    const arrived = untilSync(
      i32,
      GEN,
      () => Atomics.load(i32, GEN) === generation ? generation : undefined,
      timeout,
    );
    return this.#depart(index, epoch, generation, arrived);
  }

  /**
   * Waits for all parties without blocking the event loop. Aborting `signal` breaks
   * the barrier (the party can no longer arrive) and rejects with its reason.
   *
   * @param timeoutMs Longest wait in milliseconds; the barrier's default when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of this thread's arrival index.
   * @throws {BrokenBarrierError} If the barrier is or becomes broken, or times out.
   * @throws {DOMException} The signal's reason (`AbortError`) when aborted.
   *
   * @example Breaking on timeout
   * ```ts
   * import { Barrier, BrokenBarrierError } from "@tandem/tandem/sync";
   * import { assert, assertRejects } from "@std/assert";
   *
   * const barrier = new Barrier(2);
   * await assertRejects(() => barrier.waitAsync(10), BrokenBarrierError);
   * assert(barrier.broken);
   * barrier.reset();
   * assert(!barrier.broken);
   * ```
   */
  async waitAsync(timeoutMs?: number, options?: AcquireOptions): Promise<number> {
    const timeout = this.#timeout(timeoutMs);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const arrival = this.#arrive();
    if (typeof arrival === "number") return arrival;
    const [index, generation, epoch] = arrival;
    const i32 = this.#i32;
    let arrived: boolean;
    try {
      arrived = await untilAsync(
        i32,
        GEN,
        () => Atomics.load(i32, GEN) === generation ? generation : undefined,
        timeout,
        signal,
      );
    } catch (error) {
      this.abort();
      throw error;
    }
    return this.#depart(index, epoch, generation, arrived);
  }

  /**
   * Breaks the barrier: current and future waiters throw `BrokenBarrierError` until
   * {@linkcode Barrier.reset}.
   *
   * @example Abort
   * ```ts
   * import { Barrier, BrokenBarrierError } from "@tandem/tandem/sync";
   * import { assertThrows } from "@std/assert";
   *
   * const barrier = new Barrier(1);
   * barrier.abort();
   * assertThrows(() => barrier.wait(), BrokenBarrierError);
   * ```
   */
  abort(): void {
    const i32 = this.#i32;
    lockWord(i32, MUTEX);
    Atomics.store(i32, BROKEN, 1);
    Atomics.add(i32, EPOCH, 1);
    Atomics.add(i32, GEN, 1);
    Atomics.store(i32, COUNT, 0);
    unlockWord(i32, MUTEX);
    Atomics.notify(i32, GEN);
  }

  /**
   * Returns the barrier to its initial state; threads waiting now get
   * `BrokenBarrierError`.
   *
   * @example Reuse after a break
   * ```ts
   * import { Barrier } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const barrier = new Barrier(1);
   * barrier.abort();
   * barrier.reset();
   * assertEquals(barrier.wait(), 0);
   * ```
   */
  reset(): void {
    const i32 = this.#i32;
    lockWord(i32, MUTEX);
    if (i32[COUNT] > 0) {
      Atomics.add(i32, EPOCH, 1);
      Atomics.add(i32, GEN, 1);
    }
    Atomics.store(i32, COUNT, 0);
    Atomics.store(i32, BROKEN, 0);
    unlockWord(i32, MUTEX);
    Atomics.notify(i32, GEN);
  }
}
