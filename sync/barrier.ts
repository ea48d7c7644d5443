/**
 * `Barrier`: a rendezvous of a fixed number of threads (Python's `threading.Barrier`).
 *
 * @module
 */

import { checkInteger } from "./_checks.ts";
import { INSPECT, inspectState } from "./_inspect.ts";
import { lockWord, unlockWord } from "./_futex.ts";
import { allocate, bufferFrom, describe, toTimeout } from "./_shared.ts";
import { untilAsync, untilSync } from "./_wait.ts";
import { BrokenBarrierError } from "./errors.ts";
import type { AcquireOptions } from "./lock.ts";

// Int32 word layout. COUNT is the arrivals of the round; it equals PARTIES while the
// last arrival runs its action (the round is full, later arrivals wait for the next).
const MUTEX = 1;
const GEN = 2;
const COUNT = 3;
const BROKEN = 4;
const EPOCH = 5;
const PARTIES = 6;
const TIMEOUT = 7;
const BYTES = 32;

// States of an arrival that did not release its round.
const WAIT = 0;
const ACTION = 1;
const BUSY = 2;

function deadlineOf(timeout: number): number {
  return timeout === Infinity ? Infinity : performance.now() + timeout;
}

function remainingOf(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}

/** Options of a {@linkcode Barrier} handle that stay on this thread. */
export interface BarrierActionOptions {
  /**
   * Called once per round, when all parties have arrived and before any is released
   * (Python's `action`), by the last party to arrive, with this handle's action: a
   * function cannot cross threads, so each thread gives its own handle the action (or
   * none). If the last party's handle has none, nothing runs that round. If it throws,
   * the barrier breaks: the other parties get {@linkcode BrokenBarrierError} and the
   * last party gets the action's error. It runs synchronously; its result is ignored.
   *
   * @default {undefined}
   */
  action?: () => void;
}

/** Options for {@linkcode Barrier}. */
export interface BarrierOptions extends BarrierActionOptions {
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
 * together; it can be used again for the next round. If a party times out, the
 * `action` throws, or `abort()` is called, the barrier breaks: every waiter, and every
 * later `wait`, throws {@linkcode BrokenBarrierError} until `reset()`.
 *
 * The optional `action` runs once per round in the last party to arrive, before the
 * others are released (see {@linkcode BarrierActionOptions.action}); a handle revived in
 * a worker gets its own with `Barrier.from(message, { action })`.
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
 *
 * @example An action before the release
 * ```ts
 * import { Barrier } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const log: string[] = [];
 * const barrier = new Barrier(2, { action: () => log.push("action") });
 * await Promise.all([0, 1].map(async () => {
 *   await barrier.waitAsync(5_000);
 *   log.push("released");
 * }));
 * assertEquals(log, ["action", "released", "released"]);
 * ```
 */
export class Barrier {
  /** The shared memory of this barrier; cloning it shares the barrier. */
  readonly buffer: SharedArrayBuffer;
  readonly #i32: Int32Array;
  readonly #action: (() => void) | undefined;

  /**
   * Creates a barrier for `parties` threads.
   *
   * @param parties How many threads must arrive.
   * @param options The default timeout, and this handle's action.
   * @throws {RangeError} If `parties` is not an integer from 1 to 2³⁰−1 or the timeout
   * is bad.
   * @throws {TypeError} If `action` is not a function or `parties` not a number.
   */
  constructor(parties: number, options?: BarrierOptions);
  /**
   * Wraps existing memory (use {@linkcode Barrier.from} for a cloned message).
   *
   * @param buffer The memory of a barrier created elsewhere.
   * @param options This handle's action.
   * @throws {TypeError} If `action` is not a function.
   */
  constructor(buffer: SharedArrayBuffer, options?: BarrierActionOptions);
  constructor(arg: number | SharedArrayBuffer, options?: BarrierOptions) {
    const action = options?.action;
    if (action !== undefined && typeof action !== "function") {
      throw new TypeError(
        `Cannot create Barrier as 'action' must be a function: received ${describe(action)}`,
      );
    }
    this.#action = action;
    if (arg instanceof SharedArrayBuffer) {
      this.buffer = bufferFrom({ buffer: arg }, "Barrier", BYTES);
      this.#i32 = new Int32Array(this.buffer);
      return;
    }
    // Bits 30 and 31 of the count word are left free.
    checkInteger(arg, "parties", "Cannot create Barrier", 1, { max: 0x3fffffff });
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
   * @param options This handle's action (the original's action does not travel).
   * @returns A `Barrier` sharing the original's memory.
   * @throws {TypeError} If `message` is not a cloned `Barrier`, or `action` is not a
   * function.
   *
   * @example Round trip
   * ```ts
   * import { Barrier } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(Barrier.from(structuredClone(new Barrier(3))).parties, 3);
   * ```
   *
   * @example A handle with its own action
   * ```ts
   * import { Barrier } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * let rounds = 0;
   * const here = Barrier.from(structuredClone(new Barrier(1)), { action: () => rounds++ });
   * here.wait();
   * assertEquals(rounds, 1);
   * ```
   */
  static from(message: unknown, options?: BarrierActionOptions): Barrier {
    return new Barrier(bufferFrom(message, "Barrier", BYTES), options);
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
   * How many threads are waiting now (Python's `n_waiting`); while the last party runs
   * the action, the `parties - 1` others.
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
    const count = Atomics.load(this.#i32, COUNT);
    return count === this.#i32[PARTIES] ? count - 1 : count;
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

  /**
   * Shows the state to `console.log` and `Deno.inspect` (not the memory's bytes).
   *
   * @param inspect Deno's `inspect`, for the state.
   * @param options Deno's inspect options.
   * @returns `Barrier { parties: 3, waiting: 0, broken: false }`.
   *
   * @example Printing
   * ```ts
   * import { Barrier } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(
   *   Deno.inspect(new Barrier(3)),
   *   "Barrier { parties: 3, waiting: 0, broken: false }",
   * );
   * ```
   */
  [INSPECT](
    inspect: (value: unknown, options?: object) => string,
    options?: object,
  ): string {
    const state = { parties: this.parties, waiting: this.waiting, broken: this.broken };
    return inspectState("Barrier", state, inspect, options);
  }

  #timeout(timeoutMs: number | undefined): number {
    if (timeoutMs !== undefined) return toTimeout("wait on barrier", timeoutMs);
    const stored = this.#i32[TIMEOUT];
    return stored < 0 ? Infinity : stored;
  }

  /**
   * Arrives. Returns the index alone if this arrival released the round; otherwise
   * `[state, index, generation, epoch]`: WAIT for the release, ACTION to run this
   * handle's action (the round is full), or BUSY when the round is full and its action
   * runs elsewhere (wait for the generation to change, then arrive again).
   */
  #arrive(): number | [number, number, number, number] {
    const i32 = this.#i32;
    lockWord(i32, MUTEX);
    if (i32[BROKEN] !== 0) {
      unlockWord(i32, MUTEX);
      throw new BrokenBarrierError("Cannot wait on barrier as it is broken");
    }
    const index = i32[COUNT];
    const parties = i32[PARTIES];
    const generation = i32[GEN];
    const epoch = i32[EPOCH];
    if (index === parties) {
      unlockWord(i32, MUTEX);
      return [BUSY, index, generation, epoch];
    }
    if (index + 1 === parties) {
      if (this.#action !== undefined) {
        // Full: later arrivals wait for the next round until the action is done.
        Atomics.store(i32, COUNT, parties);
        unlockWord(i32, MUTEX);
        return [ACTION, index, generation, epoch];
      }
      Atomics.store(i32, COUNT, 0);
      Atomics.add(i32, GEN, 1);
      unlockWord(i32, MUTEX);
      Atomics.notify(i32, GEN);
      return index;
    }
    Atomics.store(i32, COUNT, index + 1);
    unlockWord(i32, MUTEX);
    return [WAIT, index, generation, epoch];
  }

  /** Runs the action of a full round, then releases it; returns the index. */
  #runAction(index: number, epoch: number): number {
    const i32 = this.#i32;
    try {
      this.#action!();
    } catch (error) {
      this.#abortRound(epoch);
      throw error;
    }
    lockWord(i32, MUTEX);
    if (i32[EPOCH] !== epoch) {
      unlockWord(i32, MUTEX);
      throw new BrokenBarrierError(
        "Cannot pass barrier as it was broken or reset while its action ran",
      );
    }
    Atomics.store(i32, COUNT, 0);
    Atomics.add(i32, GEN, 1);
    unlockWord(i32, MUTEX);
    Atomics.notify(i32, GEN);
    return index;
  }

  /** Breaks the barrier unless it was reset or broken since `epoch`. */
  #abortRound(epoch: number): void {
    const i32 = this.#i32;
    lockWord(i32, MUTEX);
    const same = i32[EPOCH] === epoch;
    unlockWord(i32, MUTEX);
    if (same) this.abort();
  }

  #timedOut(): never {
    this.abort();
    throw new BrokenBarrierError(
      `Cannot pass barrier as it timed out: ${this.parties} parties expected`,
    );
  }

  /** After the wait: returns the index, or throws if broken or timed out. */
  #depart(index: number, epoch: number, generation: number, arrived: boolean): number {
    const i32 = this.#i32;
    lockWord(i32, MUTEX);
    const released = i32[EPOCH] === epoch && i32[GEN] !== generation;
    unlockWord(i32, MUTEX);
    if (released) return index;
    if (!arrived) this.#timedOut();
    throw new BrokenBarrierError("Cannot pass barrier as it was broken while waiting");
  }

  /**
   * Waits (blocking) until all parties have arrived. The last to arrive runs this
   * handle's `action`, if any, before the others are released.
   *
   * @param timeoutMs Longest wait in milliseconds; the barrier's default when omitted.
   * @returns This thread's arrival index, from 0 to `parties - 1`.
   * @throws {BrokenBarrierError} If the barrier is or becomes broken, or times out
   * (which breaks it).
   * @throws {unknown} What the action threw, in the thread that ran it (the barrier
   * breaks).
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
    const deadline = deadlineOf(this.#timeout(timeoutMs));
    const i32 = this.#i32;
    for (;;) {
      const arrival = this.#arrive();
      if (typeof arrival === "number") return arrival;
      const [state, index, generation, epoch] = arrival;
      if (state === ACTION) return this.#runAction(index, epoch);
      const arrived = untilSync(
        i32,
        GEN,
        () => Atomics.load(i32, GEN) === generation ? generation : undefined,
        remainingOf(deadline),
      );
      if (state === WAIT) return this.#depart(index, epoch, generation, arrived);
      if (!arrived) this.#timedOut();
    }
  }

  /**
   * Waits for all parties without blocking the event loop. The last to arrive runs
   * this handle's `action`, if any, before the others are released. Aborting `signal`
   * breaks the barrier (the party can no longer arrive) and rejects with its reason.
   *
   * @param timeoutMs Longest wait in milliseconds; the barrier's default when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of this thread's arrival index.
   * @throws {BrokenBarrierError} If the barrier is or becomes broken, or times out.
   * @throws {DOMException} The signal's reason (`AbortError`) when aborted.
   * @throws {unknown} What the action threw, in the thread that ran it (the barrier
   * breaks).
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
    const deadline = deadlineOf(this.#timeout(timeoutMs));
    const signal = options?.signal;
    signal?.throwIfAborted();
    const i32 = this.#i32;
    for (;;) {
      const arrival = this.#arrive();
      if (typeof arrival === "number") return arrival;
      const [state, index, generation, epoch] = arrival;
      if (state === ACTION) return this.#runAction(index, epoch);
      let arrived: boolean;
      try {
        arrived = await untilAsync(
          i32,
          GEN,
          () => Atomics.load(i32, GEN) === generation ? generation : undefined,
          remainingOf(deadline),
          signal,
        );
      } catch (error) {
        this.abort();
        throw error;
      }
      if (state === WAIT) return this.#depart(index, epoch, generation, arrived);
      if (!arrived) this.#timedOut();
    }
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
