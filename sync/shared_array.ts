/**
 * `SharedArray`: a fixed-length array of numbers in shared memory with atomic element
 * operations and a lock (Python's `multiprocessing.Array`).
 *
 * @module
 */

import { checkInteger } from "./_checks.ts";
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
import { INSPECT, inspectState } from "./_inspect.ts";
import { allocate, bufferFrom, describe, lockMessage } from "./_shared.ts";
import { Lock } from "./lock.ts";
import type { SharedElement, SharedNumberType } from "./shared_value.ts";

/** The typed array type behind each element type. */
export type SharedTypedArray<T extends SharedNumberType> = T extends "int32" ? Int32Array
  : T extends "uint32" ? Uint32Array
  : T extends "float64" ? Float64Array
  : BigInt64Array;

const TYPE = 1;
const LENGTH = 2;
const HEADER = 16;
const MAX_LENGTH = 2 ** 28;

/**
 * A fixed-length array of `int32`, `uint32`, `float64` or `bigint64` in a
 * `SharedArrayBuffer`, shared by every thread it is posted to. Index it like an array:
 * `arr[i]` reads and `arr[i] = v` writes element `i` atomically, exactly like
 * `get(i)` / `set(i, v)`. `add`, `sub`, `exchange` and `compareExchange` are atomic
 * read-modify-writes of one element. Iterable; hold {@linkcode SharedArray.lock} for
 * multi-element updates.
 *
 * How indexing works, and its edges:
 * - A `SharedArray` is an ordinary object (so it can be posted to a worker and revived
 *   there); a `Proxy` sits in its prototype chain, between `SharedArray.prototype` and
 *   `Object.prototype`, and answers the numeric keys that the instance and its methods
 *   do not have. Methods, `then`, symbols and `toJSON` behave as on any object (so
 *   `await` of a `SharedArray` yields the array itself).
 * - Any numeric key (a string that is a canonical number: `"3"`, `"-1"`, `"1.5"`,
 *   `"NaN"`, `"-0"`) is an element access. Out of range (including negative: use `at(-1)`), it
 *   throws a `RangeError`, for reads as for writes, like `get`/`set` and Python's
 *   `IndexError`: a typed array would return `undefined` or drop the write silently,
 *   and a dropped write to shared memory is a lost update. A wrong element type throws
 *   a `TypeError`. Assignment never creates an own numeric property (only
 *   `Object.defineProperty` could, and such a property would hide the element).
 * - `i in arr` is true for every integer `i` in [0, 2^28) whatever the length (a
 *   `Proxy`'s `has` trap is not told which instance is asked), so test `i < arr.length`
 *   instead. `Object.keys`, `for...in` and `JSON.stringify` do not list the elements;
 *   use `for...of`, `toArray()` or spread.
 * - Index access goes through the proxy: about 0.3 µs here, some 20 times the cost of
 *   `get`/`set`. In hot loops use `get`/`set`, or {@linkcode SharedArray.view}, the raw
 *   typed array over the same memory (with `Atomics.*` for atomicity), the fastest.
 *
 * @typeParam T The element type name.
 *
 * @example Per-worker progress counters
 * ```ts
 * import { SharedArray } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const progress = new SharedArray("uint32", 4);
 * progress[1] = 7;
 * progress.add(2, 10);
 * Atomics.add(progress.view, 2, 5);
 * assertEquals(progress[2], 15);
 * assertEquals([...progress], [0, 7, 15, 0]);
 * ```
 *
 * @example Out of range
 * ```ts
 * import { SharedArray } from "@tandem/tandem/sync";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const a = new SharedArray("int32", [1, 2, 3]);
 * assertThrows(() => a[3], RangeError);
 * assertThrows(() => a[-1] = 0, RangeError);
 * assertEquals(a.at(-1), 3);
 * ```
 */
export class SharedArray<T extends SharedNumberType = SharedNumberType>
  implements Iterable<SharedElement<T>> {
  /** Element `index`, read and written atomically (see the class notes for the edges). */
  [index: number]: SharedElement<T>;
  /** The shared memory holding the type tag, the length and the elements. */
  readonly buffer: SharedArrayBuffer;
  /** The lock for compound updates (Python's `get_lock()`). */
  readonly lock: Lock;
  readonly #cells: Cells;
  readonly #length: number;

  /**
   * Creates a zero-filled shared array, or one holding `values`.
   *
   * @param type `"int32"`, `"uint32"`, `"float64"` or `"bigint64"`.
   * @param lengthOrValues The length, or the initial elements.
   * @throws {TypeError} If `type` is unknown, a value has the wrong type, or the length
   * is not a number.
   * @throws {RangeError} If the length is not an integer from 0 to 2²⁸.
   */
  constructor(type: T, lengthOrValues: number | Iterable<SharedElement<T>>);
  /**
   * Wraps existing memory (use {@linkcode SharedArray.from} for a cloned message).
   *
   * @param buffer The array's memory.
   * @param lock The array's lock.
   */
  constructor(buffer: SharedArrayBuffer, lock: Lock);
  constructor(arg: T | SharedArrayBuffer, second: number | Iterable<SharedElement<T>> | Lock) {
    if (arg instanceof SharedArrayBuffer) {
      this.buffer = bufferFrom({ buffer: arg }, "SharedArray", HEADER);
      this.lock = second as Lock;
      const header = new Int32Array(this.buffer, 0, 4);
      const type = typeName(header[TYPE]);
      if (type === undefined) {
        throw new TypeError("Cannot rehydrate SharedArray as its memory has no valid type code");
      }
      this.#length = header[LENGTH];
      this.#cells = makeCells(type, this.buffer, HEADER, this.#length);
      return;
    }
    const type = checkTypeName("SharedArray", arg);
    const values = typeof second === "number"
      ? undefined
      : [...(second as Iterable<SharedElement<T>>)];
    const length = values === undefined ? second as number : values.length;
    checkInteger(length, "length", "Cannot create SharedArray", 0, { min: 0, max: MAX_LENGTH });
    const size = type === "int32" || type === "uint32" ? 4 : 8;
    this.buffer = allocate("SharedArray", HEADER + size * length);
    const header = new Int32Array(this.buffer, 0, 4);
    header[TYPE] = TYPE_CODES[type];
    header[LENGTH] = length;
    this.#length = length;
    this.lock = new Lock();
    this.#cells = makeCells(type, this.buffer, HEADER, length);
    if (values !== undefined) {
      for (let i = 0; i < length; i++) checkElement("create SharedArray", type, values[i]);
      (this.#cells.view as unknown as { set(values: unknown[]): void }).set(values);
    }
  }

  /**
   * Rehydrates an array that crossed a thread boundary.
   *
   * @param message A structured clone of a `SharedArray` (or a live one).
   * @returns A `SharedArray` sharing the original's memory and lock.
   * @throws {TypeError} If `message` is not a cloned `SharedArray`.
   *
   * @example Round trip
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const original = new SharedArray("int32", [1, 2, 3]);
   * SharedArray.from(structuredClone(original)).set(0, 9);
   * assertEquals(original.get(0), 9);
   * ```
   */
  static from<T extends SharedNumberType = SharedNumberType>(message: unknown): SharedArray<T> {
    const buffer = bufferFrom(message, "SharedArray", HEADER);
    return new SharedArray<T>(buffer, Lock.from(lockMessage(message, "SharedArray")));
  }

  /**
   * The element type name, read from shared memory.
   *
   * @example Reading the type
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new SharedArray("float64", 2).type, "float64");
   * ```
   */
  get type(): T {
    return this.#cells.type as T;
  }

  /**
   * The number of elements.
   *
   * @example Length
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new SharedArray("int32", 3).length, 3);
   * ```
   */
  get length(): number {
    return this.#length;
  }

  /**
   * The raw typed array over the elements (same memory): the fastest way to read,
   * write, or `Atomics.add` in a hot loop.
   *
   * @example Raw access
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const counters = new SharedArray("int32", 2);
   * const view: Int32Array = counters.view;
   * Atomics.add(view, 1, 3);
   * assertEquals(counters.get(1), 3);
   * ```
   */
  get view(): SharedTypedArray<T> {
    return this.#cells.view as SharedTypedArray<T>;
  }

  /**
   * Shows the state to `console.log` and `Deno.inspect` (not the memory's bytes).
   *
   * @param inspect Deno's `inspect`, for the state.
   * @param options Deno's inspect options.
   * @returns `SharedArray { type: "int32", values: Int32Array(3) [ 1, 2, 3 ] }`, long
   * arrays cut as Deno cuts typed arrays.
   *
   * @example Printing
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(
   *   Deno.inspect(new SharedArray("int32", [1, 2, 3])),
   *   'SharedArray { type: "int32", values: Int32Array(3) [ 1, 2, 3 ] }',
   * );
   * ```
   */
  [INSPECT](
    inspect: (value: unknown, options?: object) => string,
    options?: object,
  ): string {
    // The values as Deno shows a typed array (`Int32Array(3) [ 1, 2, 3 ]`, cut after
    // 100 elements), in braces like any other object's state.
    return inspectState("SharedArray", { type: this.type, values: this.view }, inspect, options);
  }

  #check(index: number, what: string): void {
    if (!(index >= 0 && index < this.#length && Number.isInteger(index))) {
      throw new RangeError(
        `Cannot ${what} as the index is out of range [0, ${this.#length}): received ${
          describe(index)
        }`,
      );
    }
  }

  /** `#check` for a property key: the key `"-0"` names no element, as for typed arrays. */
  #checkKey(index: number, what: string): void {
    if (Object.is(index, -0)) {
      throw new RangeError(
        `Cannot ${what} as the index is out of range [0, ${this.#length}): received '-0'`,
      );
    }
    this.#check(index, what);
  }

  /**
   * Reads element `index` atomically.
   *
   * @param index The element index.
   * @returns The element.
   * @throws {RangeError} If `index` is out of range.
   *
   * @example Read
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new SharedArray("bigint64", [5n]).get(0), 5n);
   * ```
   */
  get(index: number): SharedElement<T> {
    this.#check(index, "read SharedArray element");
    return load(this.#cells, index) as SharedElement<T>;
  }

  /**
   * Reads element `index` atomically, counting from the end when negative (like
   * `Array.prototype.at`).
   *
   * @param index The element index; -1 is the last element.
   * @returns The element, or `undefined` when out of range.
   *
   * @example Last element
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const a = new SharedArray("int32", [1, 2, 3]);
   * assertEquals(a.at(-1), 3);
   * assertEquals(a.at(3), undefined);
   * ```
   */
  at(index: number): SharedElement<T> | undefined {
    const i = Math.trunc(index) + (index < 0 ? this.#length : 0);
    if (!(i >= 0 && i < this.#length)) return undefined;
    return load(this.#cells, i) as SharedElement<T>;
  }

  /**
   * Writes element `index` atomically.
   *
   * @param index The element index.
   * @param value The new element.
   * @throws {RangeError} If `index` is out of range.
   * @throws {TypeError} If `value` has the wrong type.
   *
   * @example Write
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const a = new SharedArray("float64", 1);
   * a.set(0, 0.5);
   * assertEquals(a.get(0), 0.5);
   * ```
   */
  set(index: number, value: SharedElement<T>): void {
    this.#check(index, "write SharedArray element");
    store(this.#cells, index, value, "write SharedArray element");
  }

  /**
   * Atomically adds `delta` to element `index`.
   *
   * @param index The element index.
   * @param delta The amount to add.
   * @returns The previous element.
   * @throws {RangeError} If `index` is out of range.
   * @throws {TypeError} If `delta` has the wrong type.
   *
   * @example Add
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const a = new SharedArray("uint32", 1);
   * a.add(0, 4);
   * assertEquals(a.get(0), 4);
   * ```
   */
  add(index: number, delta: SharedElement<T>): SharedElement<T> {
    this.#check(index, "add to SharedArray element");
    return add(this.#cells, index, delta, "add to SharedArray element") as SharedElement<T>;
  }

  /**
   * Atomically subtracts `delta` from element `index`.
   *
   * @param index The element index.
   * @param delta The amount to subtract.
   * @returns The previous element.
   * @throws {RangeError} If `index` is out of range.
   * @throws {TypeError} If `delta` has the wrong type.
   *
   * @example Subtract
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const a = new SharedArray("int32", [3]);
   * a.sub(0, 4);
   * assertEquals(a.get(0), -1);
   * ```
   */
  sub(index: number, delta: SharedElement<T>): SharedElement<T> {
    this.#check(index, "subtract from SharedArray element");
    return sub(this.#cells, index, delta, "subtract from SharedArray element") as SharedElement<T>;
  }

  /**
   * Atomically replaces element `index`.
   *
   * @param index The element index.
   * @param value The new element.
   * @returns The previous element.
   * @throws {RangeError} If `index` is out of range.
   * @throws {TypeError} If `value` has the wrong type.
   *
   * @example Swap
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new SharedArray("int32", [1]).exchange(0, 2), 1);
   * ```
   */
  exchange(index: number, value: SharedElement<T>): SharedElement<T> {
    this.#check(index, "exchange SharedArray element");
    return exchange(this.#cells, index, value, "exchange SharedArray element") as SharedElement<T>;
  }

  /**
   * Atomically replaces element `index` with `replacement` if it equals `expected`.
   *
   * @param index The element index.
   * @param expected The value to compare with.
   * @param replacement The value to store on a match.
   * @returns The previous element.
   * @throws {RangeError} If `index` is out of range.
   * @throws {TypeError} If an argument has the wrong type.
   *
   * @example Compare and swap
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * const a = new SharedArray("int32", [1]);
   * a.compareExchange(0, 1, 5);
   * assertEquals(a.get(0), 5);
   * ```
   */
  compareExchange(
    index: number,
    expected: SharedElement<T>,
    replacement: SharedElement<T>,
  ): SharedElement<T> {
    this.#check(index, "compare-exchange SharedArray element");
    return compareExchange(
      this.#cells,
      index,
      expected,
      replacement,
      "compare-exchange SharedArray element",
    ) as SharedElement<T>;
  }

  /**
   * Copies the elements into a plain array (each read atomically).
   *
   * @returns A new array.
   *
   * @example Snapshot
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new SharedArray("int32", [1, 2]).toArray(), [1, 2]);
   * ```
   */
  toArray(): SharedElement<T>[] {
    const out: SharedElement<T>[] = new Array(this.#length);
    for (let i = 0; i < this.#length; i++) out[i] = load(this.#cells, i) as SharedElement<T>;
    return out;
  }

  /**
   * Iterates over the elements (each read atomically when reached).
   *
   * @returns An iterator of the elements.
   *
   * @example Spread
   * ```ts
   * import { SharedArray } from "@tandem/tandem/sync";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals([...new SharedArray("uint32", [3, 4])], [3, 4]);
   * ```
   */
  *[Symbol.iterator](): IterableIterator<SharedElement<T>> {
    for (let i = 0; i < this.#length; i++) yield load(this.#cells, i) as SharedElement<T>;
  }

  static {
    // Indexing: instances stay ordinary (cloneable) objects; a lookup of a key that
    // neither the instance nor SharedArray.prototype has reaches this proxy, with the
    // instance as `receiver`. Numeric keys become element accesses, the rest is plain.
    const target = {};
    const proxy = new Proxy(target, {
      get(target, key, receiver) {
        const index = numericKey(key);
        if (index !== undefined && #cells in receiver) {
          const array = receiver as SharedArray;
          array.#checkKey(index, "read SharedArray element");
          return load(array.#cells, index);
        }
        return Reflect.get(target, key, receiver);
      },
      set(target, key, value, receiver) {
        const index = numericKey(key);
        if (index !== undefined && #cells in receiver) {
          const array = receiver as SharedArray;
          array.#checkKey(index, "write SharedArray element");
          store(array.#cells, index, value, "write SharedArray element");
          return true;
        }
        return Reflect.set(target, key, value, receiver);
      },
      has(target, key) {
        // No receiver here: a well-formed index below the maximum length is "in".
        const index = numericKey(key);
        if (index !== undefined) {
          return Number.isInteger(index) && index >= 0 && index < MAX_LENGTH &&
            !Object.is(index, -0);
        }
        return Reflect.has(target, key);
      },
    });
    Object.setPrototypeOf(SharedArray.prototype, proxy);
  }
}

/**
 * The number named by a property key if it is a canonical numeric string (`"0"`,
 * `"-1"`, `"1.5"`, `"NaN"`, `"-0"`: the keys a typed array treats as element keys),
 * else `undefined`.
 */
function numericKey(key: string | symbol): number | undefined {
  if (typeof key !== "string") return undefined;
  const length = key.length;
  let c = key.charCodeAt(0);
  if (c >= 49 && c <= 57 && length <= 9) {
    // Fast path: an integer index below 10^9 without leading zeros.
    let n = c - 48;
    for (let i = 1; i < length; i++) {
      c = key.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return slowNumericKey(key);
      n = n * 10 + c;
    }
    return n;
  }
  // Digits, "-", "I"nfinity, "N"aN: anything else is a plain property name.
  if ((c >= 48 && c <= 57) || c === 45 || c === 73 || c === 78) return slowNumericKey(key);
  return undefined;
}

function slowNumericKey(key: string): number | undefined {
  if (key === "-0") return -0;
  const n = Number(key);
  return String(n) === key ? n : undefined;
}
