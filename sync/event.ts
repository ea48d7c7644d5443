/**
 * `Event`: a shared flag that threads can wait for (Python's `threading.Event`).
 *
 * @module
 */

import { INSPECT, inspectState } from "./_inspect.ts";
import { allocate, bufferFrom, toTimeout } from "./_shared.ts";
import { untilAsync, untilSync } from "./_wait.ts";
import type { AcquireOptions } from "./lock.ts";

const FLAG = 1;
const BYTES = 8;

/**
 * A flag in shared memory: `set()` wakes every thread waiting in `wait()` /
 * `waitAsync()`, `clear()` lowers it again.
 *
 * @example Signalling
 * ```ts
 * import { Event } from "@tandem/tandem/sync";
 * import { assert } from "@std/assert";
 *
 * const ready = new Event();
 * const waiting = ready.waitAsync(5_000);
 * ready.set();
 * assert(await waiting);
 * assert(ready.isSet());
 * ```
 */
export class Event {
  /** The shared memory of this event; cloning it shares the event. */
  readonly buffer: SharedArrayBuffer;
  readonly #i32: Int32Array;
  readonly #check = (): number | undefined => Atomics.load(this.#i32, FLAG) === 0 ? 0 : undefined;

  /**
   * Creates an event, cleared, or wraps existing memory (use {@linkcode Event.from}
   * for a cloned message).
   *
   * @param buffer The memory of an event created elsewhere.
   */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer === undefined
      ? allocate("Event", BYTES)
      : bufferFrom({ buffer }, "Event", BYTES);
    this.#i32 = new Int32Array(this.buffer);
  }

  /**
   * Rehydrates an event that crossed a thread boundary.
   *
   * @param message A structured clone of an `Event` (or a live one).
   * @returns An `Event` sharing the original's memory.
   * @throws {TypeError} If `message` is not a cloned `Event`.
   *
   * @example Round trip
   * ```ts
   * import { Event } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const event = new Event();
   * Event.from(structuredClone(event)).set();
   * assert(event.isSet());
   * ```
   */
  static from(message: unknown): Event {
    return new Event(bufferFrom(message, "Event", BYTES));
  }

  /**
   * Shows the state to `console.log` and `Deno.inspect` (not the memory's bytes).
   *
   * @param inspect Deno's `inspect`, for the state.
   * @param options Deno's inspect options.
   * @returns `Event { set: false }`.
   *
   * @example Printing
   * ```ts
   * import { Event } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const event = new Event();
   * event.set();
   * assertEquals(Deno.inspect(event), "Event { set: true }");
   * ```
   */
  [INSPECT](
    inspect: (value: unknown, options?: object) => string,
    options?: object,
  ): string {
    return inspectState("Event", { set: this.isSet() }, inspect, options);
  }

  /**
   * Whether the flag is set.
   *
   * @returns The flag.
   *
   * @example Initially clear
   * ```ts
   * import { Event } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Event().isSet(), false);
   * ```
   */
  isSet(): boolean {
    return Atomics.load(this.#i32, FLAG) !== 0;
  }

  /**
   * Sets the flag and wakes every waiter.
   *
   * @example Set
   * ```ts
   * import { Event } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const event = new Event();
   * event.set();
   * assert(event.wait(0));
   * ```
   */
  set(): void {
    Atomics.store(this.#i32, FLAG, 1);
    Atomics.notify(this.#i32, FLAG);
  }

  /**
   * Clears the flag.
   *
   * @example Clear
   * ```ts
   * import { Event } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const event = new Event();
   * event.set();
   * event.clear();
   * assertEquals(event.isSet(), false);
   * ```
   */
  clear(): void {
    Atomics.store(this.#i32, FLAG, 0);
  }

  /**
   * Blocks until the flag is set or `timeoutMs` passes.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @returns Whether the flag is set (false on timeout).
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   *
   * @example Timing out
   * ```ts
   * import { Event } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Event().wait(5), false);
   * ```
   */
  wait(timeoutMs?: number): boolean {
    return untilSync(this.#i32, FLAG, this.#check, toTimeout("wait for event", timeoutMs));
  }

  /**
   * Waits for the flag without blocking the event loop.
   *
   * @param timeoutMs Longest wait in milliseconds; forever when omitted.
   * @param options `signal` aborts the wait.
   * @returns A promise of whether the flag is set (false on timeout).
   * @throws {RangeError} If `timeoutMs` is negative or NaN.
   * @throws {DOMException} The signal's reason (`AbortError`) when aborted.
   *
   * @example Timing out
   * ```ts
   * import { Event } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(await new Event().waitAsync(5), false);
   * ```
   */
  waitAsync(timeoutMs?: number, options?: AcquireOptions): Promise<boolean> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let timeout: number;
    try {
      timeout = toTimeout("wait for event", timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return untilAsync(this.#i32, FLAG, this.#check, timeout, signal);
  }
}
