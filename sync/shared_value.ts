/**
 * `SharedValue`: one number in shared memory with atomic operations and a lock
 * (Python's `multiprocessing.Value`).
 *
 * @module
 */

import {
  add,
  type Cells,
  checkElement,
  checkTypeName,
  compareExchange,
  exchange,
  load,
  makeCells,
  store,
  sub,
  TYPE_CODES,
  typeName,
} from "./_element.ts";
import { INSPECT } from "./_inspect.ts";
import { allocate, bufferFrom, lockMessage } from "./_shared.ts";
import { Lock } from "./lock.ts";

/** The element types of `SharedValue` and `SharedArray`. */
export type SharedNumberType = "int32" | "uint32" | "float64" | "bigint64";

/** The JavaScript type of one element: `bigint` for `"bigint64"`, else `number`. */
export type SharedElement<T extends SharedNumberType> = T extends "bigint64" ? bigint : number;

const TYPE = 1;
const HEADER = 8;

/**
 * One `int32`, `uint32`, `float64` or `bigint64` in a `SharedArrayBuffer`, shared by
 * every thread it is posted to. Reads and writes of `value` are atomic; `add`, `sub`,
 * `exchange` and `compareExchange` are atomic read-modify-writes (for `float64` too, by
 * a compare-and-swap loop on the bits). For compound updates (read, compute, write)
 * hold {@linkcode SharedValue.lock} (Python's `get_lock()`).
 *
 * @typeParam T The element type name.
 *
 * @example A counter shared with workers
 * ```ts
 * import { SharedValue } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const counter = new SharedValue("int32", 0);
 * counter.add(5);
 * counter.lock.withLock(() => {
 *   counter.value = counter.value * 2;
 * });
 * assertEquals(counter.value, 10);
 * ```
 */
export class SharedValue<T extends SharedNumberType = SharedNumberType> {
  /** The shared memory holding the type tag and the value. */
  readonly buffer: SharedArrayBuffer;
  /** The lock for compound updates (Python's `get_lock()`). */
  readonly lock: Lock;
  readonly #cells: Cells;
  /** The integer view (undefined for float64), for the fast `value` accessors. */
  #int: Int32Array | undefined;

  /**
   * Creates a shared value.
   *
   * @param type `"int32"`, `"uint32"`, `"float64"` or `"bigint64"`.
   * @param initial The initial value (a bigint for `"bigint64"`); zero when omitted.
   * @throws {TypeError} If `type` is unknown or `initial` has the wrong type.
   */
  constructor(type: T, initial?: SharedElement<T>);
  /**
   * Wraps existing memory (use {@linkcode SharedValue.from} for a cloned message).
   *
   * @param buffer The value's memory.
   * @param lock The value's lock.
   */
  constructor(buffer: SharedArrayBuffer, lock: Lock);
  constructor(arg: T | SharedArrayBuffer, second?: SharedElement<T> | Lock) {
    if (arg instanceof SharedArrayBuffer) {
      this.buffer = bufferFrom({ buffer: arg }, "SharedValue", HEADER + 8);
      this.lock = second as Lock;
      const type = typeName(new Int32Array(this.buffer)[TYPE]);
      if (type === undefined) {
        throw new TypeError("Cannot rehydrate SharedValue as its memory has no valid type code");
      }
      this.#cells = makeCells(type, this.buffer, HEADER, 1);
      this.#int = intView(this.#cells);
      return;
    }
    const type = checkTypeName("SharedValue", arg);
    this.buffer = allocate("SharedValue", HEADER + 8);
    new Int32Array(this.buffer)[TYPE] = TYPE_CODES[type];
    this.lock = new Lock();
    this.#cells = makeCells(type, this.buffer, HEADER, 1);
    this.#int = intView(this.#cells);
    if (second !== undefined) {
      checkElement("create SharedValue", type, second);
      store(this.#cells, 0, second as number | bigint, "create SharedValue");
    }
  }

  /**
   * Rehydrates a value that crossed a thread boundary.
   *
   * @param message A structured clone of a `SharedValue` (or a live one).
   * @returns A `SharedValue` sharing the original's memory and lock.
   * @throws {TypeError} If `message` is not a cloned `SharedValue`.
   *
   * @example Round trip
   * ```ts
   * import { SharedValue } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const original = new SharedValue("float64", 1.5);
   * const copy = SharedValue.from(structuredClone(original));
   * copy.add(1);
   * assertEquals(original.value, 2.5);
   * ```
   */
  static from<T extends SharedNumberType = SharedNumberType>(message: unknown): SharedValue<T> {
    const buffer = bufferFrom(message, "SharedValue", HEADER + 8);
    return new SharedValue<T>(buffer, Lock.from(lockMessage(message, "SharedValue")));
  }

  /**
   * The element type name, read from shared memory.
   *
   * @example Reading the type
   * ```ts
   * import { SharedValue } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new SharedValue("uint32").type, "uint32");
   * ```
   */
  get type(): T {
    return this.#cells.type as T;
  }

  /**
   * Shows the state to `console.log` and `Deno.inspect` (not the memory's bytes).
   *
   * @param inspect Deno's `inspect`, for the state.
   * @param options Deno's inspect options.
   * @returns `SharedValue<int32> 8` (the type and the value, read atomically).
   *
   * @example Printing
   * ```ts
   * import { SharedValue } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(Deno.inspect(new SharedValue("int32", 8)), "SharedValue<int32> 8");
   * assertEquals(Deno.inspect(new SharedValue("bigint64", 8n)), "SharedValue<bigint64> 8n");
   * ```
   */
  [INSPECT](
    inspect: (value: unknown, options?: object) => string,
    options?: object,
  ): string {
    return `SharedValue<${this.type}> ${inspect(this.value, options)}`;
  }

  /**
   * The current value (atomic load / store).
   *
   * @example Get and set
   * ```ts
   * import { SharedValue } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const big = new SharedValue("bigint64", 1n);
   * big.value = 2n ** 40n;
   * assertEquals(big.value, 1099511627776n);
   * ```
   */
  get value(): SharedElement<T> {
    const int = this.#int;
    if (int !== undefined) return Atomics.load(int, 0) as SharedElement<T>;
    return load(this.#cells, 0) as SharedElement<T>;
  }

  /** @throws {TypeError} If the value has the wrong type. */
  set value(value: SharedElement<T>) {
    const int = this.#int;
    if (int !== undefined && Number.isInteger(value)) Atomics.store(int, 0, value as number);
    else store(this.#cells, 0, value, "set SharedValue.value");
  }

  /**
   * Atomically adds `delta` (wrapping for integer types).
   *
   * @param delta The amount to add.
   * @returns The previous value.
   * @throws {TypeError} If `delta` has the wrong type.
   *
   * @example Atomic increment
   * ```ts
   * import { SharedValue } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const n = new SharedValue("int32", 1);
   * assertEquals(n.add(2), 1);
   * assertEquals(n.value, 3);
   * ```
   */
  add(delta: SharedElement<T>): SharedElement<T> {
    return add(this.#cells, 0, delta, "add to SharedValue") as SharedElement<T>;
  }

  /**
   * Atomically subtracts `delta`.
   *
   * @param delta The amount to subtract.
   * @returns The previous value.
   * @throws {TypeError} If `delta` has the wrong type.
   *
   * @example Atomic decrement
   * ```ts
   * import { SharedValue } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const n = new SharedValue("bigint64", 5n);
   * n.sub(2n);
   * assertEquals(n.value, 3n);
   * ```
   */
  sub(delta: SharedElement<T>): SharedElement<T> {
    return sub(this.#cells, 0, delta, "subtract from SharedValue") as SharedElement<T>;
  }

  /**
   * Atomically replaces the value.
   *
   * @param value The new value.
   * @returns The previous value.
   * @throws {TypeError} If `value` has the wrong type.
   *
   * @example Swap
   * ```ts
   * import { SharedValue } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const n = new SharedValue("uint32", 7);
   * assertEquals(n.exchange(9), 7);
   * ```
   */
  exchange(value: SharedElement<T>): SharedElement<T> {
    return exchange(this.#cells, 0, value, "exchange SharedValue") as SharedElement<T>;
  }

  /**
   * Atomically replaces the value with `replacement` if it equals `expected` (for
   * `float64`, compared bit for bit).
   *
   * @param expected The value to compare with.
   * @param replacement The value to store on a match.
   * @returns The previous value (equal to `expected` when it was replaced).
   * @throws {TypeError} If an argument has the wrong type.
   *
   * @example Compare and swap
   * ```ts
   * import { SharedValue } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const n = new SharedValue("int32", 1);
   * assertEquals(n.compareExchange(1, 2), 1);
   * assertEquals(n.compareExchange(1, 3), 2);
   * assertEquals(n.value, 2);
   * ```
   */
  compareExchange(expected: SharedElement<T>, replacement: SharedElement<T>): SharedElement<T> {
    return compareExchange(
      this.#cells,
      0,
      expected,
      replacement,
      "compare-exchange SharedValue",
    ) as SharedElement<T>;
  }
}

/** The Int32/Uint32 view for number-typed integer cells (BigInt64 is left to `load`). */
function intView(cells: Cells): Int32Array | undefined {
  return cells.type === "int32" || cells.type === "uint32" ? cells.view as Int32Array : undefined;
}
