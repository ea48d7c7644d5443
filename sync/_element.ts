/**
 * Private: element types of `SharedValue` / `SharedArray` and atomic helpers for them.
 *
 * `float64` has no native atomics: its read-modify-write operations run a
 * compare-and-swap loop on the value's bits through a `BigInt64Array` view of the same
 * memory, so they are atomic too.
 *
 * @module
 */

import { describe } from "./_shared.ts";

/** Element type names, stored in shared memory as a code. */
export const TYPE_CODES = { int32: 1, uint32: 2, float64: 3, bigint64: 4 } as const;

/** Element type name. */
export type ElementTypeName = keyof typeof TYPE_CODES;

/** Typed array behind each element type. */
export type ElementArray =
  | Int32Array
  | Uint32Array
  | Float64Array
  | BigInt64Array;

/** Name of a type code. */
export function typeName(code: number): ElementTypeName | undefined {
  for (const [name, value] of Object.entries(TYPE_CODES)) {
    if (value === code) return name as ElementTypeName;
  }
  return undefined;
}

/** Checks a type name given by a caller. */
export function checkTypeName(what: string, type: unknown): ElementTypeName {
  if (typeof type === "string" && Object.hasOwn(TYPE_CODES, type)) return type as ElementTypeName;
  throw new TypeError(
    `Cannot create ${what} as 'type' must be one of 'int32', 'uint32', 'float64', 'bigint64': received ${
      describe(type)
    }`,
  );
}

/** Creates the typed array of `type` over `buffer`. */
export function makeView(
  type: ElementTypeName,
  buffer: SharedArrayBuffer,
  byteOffset: number,
  length: number,
): ElementArray {
  switch (type) {
    case "int32":
      return new Int32Array(buffer, byteOffset, length);
    case "uint32":
      return new Uint32Array(buffer, byteOffset, length);
    case "float64":
      return new Float64Array(buffer, byteOffset, length);
    case "bigint64":
      return new BigInt64Array(buffer, byteOffset, length);
  }
}

/**
 * Checks that `value` fits the element type: a bigint for bigint64, a number for
 * float64, an integer number for int32 and uint32 (a fraction, NaN or Infinity would be
 * silently truncated to another value; an integer out of range wraps, as in a typed array).
 */
export function checkElement(what: string, type: ElementTypeName, value: unknown): void {
  if (
    type === "bigint64"
      ? typeof value !== "bigint"
      : type === "float64"
      ? typeof value !== "number"
      : !Number.isInteger(value)
  ) {
    throw new TypeError(
      `Cannot ${what} as ${type === "int32" ? "an" : "a"} '${type}' element must be ${
        type === "bigint64" ? "a bigint" : type === "float64" ? "a number" : "an integer"
      }: received ${describe(value)}`,
    );
  }
}

const scratchF64 = new Float64Array(1);
const scratchI64 = new BigInt64Array(scratchF64.buffer);

function bitsOf(value: number): bigint {
  scratchF64[0] = value;
  return scratchI64[0];
}

function valueOf(bits: bigint): number {
  scratchI64[0] = bits;
  return scratchF64[0];
}

/** Atomic float add on `bits[index]`; returns the previous value. */
export function floatAdd(bits: BigInt64Array, index: number, delta: number): number {
  for (;;) {
    const old = Atomics.load(bits, index);
    const previous = valueOf(old);
    if (Atomics.compareExchange(bits, index, old, bitsOf(previous + delta)) === old) {
      return previous;
    }
  }
}

/** Atomic float compare-exchange by bit pattern; returns the previous value. */
export function floatCompareExchange(
  bits: BigInt64Array,
  index: number,
  expected: number,
  replacement: number,
): number {
  return valueOf(Atomics.compareExchange(bits, index, bitsOf(expected), bitsOf(replacement)));
}

/** Atomic float exchange; returns the previous value. */
export function floatExchange(bits: BigInt64Array, index: number, value: number): number {
  return valueOf(Atomics.exchange(bits, index, bitsOf(value)));
}

/** Atomic float load. */
export function floatLoad(bits: BigInt64Array, index: number): number {
  return valueOf(Atomics.load(bits, index));
}

/** Atomic float store. */
export function floatStore(bits: BigInt64Array, index: number, value: number): void {
  Atomics.store(bits, index, bitsOf(value));
}

/** Memory of a shared element sequence: its typed view and, for float64, a bits view. */
export interface Cells {
  type: ElementTypeName;
  view: ElementArray;
  bits: BigInt64Array | undefined;
}

/** Builds the cells of `length` elements at `byteOffset`. */
export function makeCells(
  type: ElementTypeName,
  buffer: SharedArrayBuffer,
  byteOffset: number,
  length: number,
): Cells {
  return {
    type,
    view: makeView(type, buffer, byteOffset, length),
    bits: type === "float64" ? new BigInt64Array(buffer, byteOffset, length) : undefined,
  };
}

/** Atomic load. */
export function load(cells: Cells, index: number): number | bigint {
  return cells.bits === undefined
    ? Atomics.load(cells.view as Int32Array, index)
    : floatLoad(cells.bits, index);
}

/** Atomic store (checks the value's type). */
export function store(cells: Cells, index: number, value: number | bigint, what: string): void {
  checkElement(what, cells.type, value);
  if (cells.bits === undefined) Atomics.store(cells.view as Int32Array, index, value as number);
  else floatStore(cells.bits, index, value as number);
}

/** Atomic add; returns the previous value. */
export function add(
  cells: Cells,
  index: number,
  delta: number | bigint,
  what: string,
): number | bigint {
  checkElement(what, cells.type, delta);
  return cells.bits === undefined
    ? Atomics.add(cells.view as Int32Array, index, delta as number)
    : floatAdd(cells.bits, index, delta as number);
}

/** Atomic subtract; returns the previous value. */
export function sub(
  cells: Cells,
  index: number,
  delta: number | bigint,
  what: string,
): number | bigint {
  checkElement(what, cells.type, delta);
  return cells.bits === undefined
    ? Atomics.sub(cells.view as Int32Array, index, delta as number)
    : floatAdd(cells.bits, index, -(delta as number));
}

/** Atomic exchange; returns the previous value. */
export function exchange(
  cells: Cells,
  index: number,
  value: number | bigint,
  what: string,
): number | bigint {
  checkElement(what, cells.type, value);
  return cells.bits === undefined
    ? Atomics.exchange(cells.view as Int32Array, index, value as number)
    : floatExchange(cells.bits, index, value as number);
}

/** Atomic compare-exchange; returns the previous value. */
export function compareExchange(
  cells: Cells,
  index: number,
  expected: number | bigint,
  replacement: number | bigint,
  what: string,
): number | bigint {
  checkElement(what, cells.type, expected);
  checkElement(what, cells.type, replacement);
  return cells.bits === undefined
    ? Atomics.compareExchange(
      cells.view as Int32Array,
      index,
      expected as number,
      replacement as number,
    )
    : floatCompareExchange(cells.bits, index, expected as number, replacement as number);
}
