import { assert, assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { reviveShared, SharedArray } from "../../sync/mod.ts";
import { Workers } from "./_workers.ts";
import { WorkerPool } from "../../pool/worker_pool.ts";
import type * as Tasks from "../testdata/pool_tasks.ts";

Deno.test("SharedArray.from() rehydrates a clone that shares memory, type and length", () => {
  const original = new SharedArray("float64", [0.5, 1.5]);
  const copy = SharedArray.from<"float64">(structuredClone(original));
  assertEquals(copy.type, "float64");
  assertEquals(copy.length, 2);
  copy.add(1, 1);
  assertEquals(original.get(1), 2.5);
  assertEquals([...original], [0.5, 2.5]);
  assertEquals(original.toArray(), [0.5, 2.5]);
  assertEquals(original.at(-2), 0.5);
  assertEquals(original.at(-3), undefined);
});

Deno.test("SharedArray.view is the raw typed array over the same memory", () => {
  const counters = new SharedArray("uint32", 3);
  assert(counters.view instanceof Uint32Array);
  Atomics.add(counters.view, 0, 7);
  assertEquals(counters.get(0), 7);
  const big = new SharedArray("bigint64", [1n, 2n]);
  assert(big.view instanceof BigInt64Array);
  assertEquals(big.exchange(1, 5n), 2n);
  assertEquals(big.compareExchange(1, 5n, 6n), 5n);
  assertEquals(big.sub(1, 1n), 6n);
  assertEquals(big.toArray(), [1n, 5n]);
});

Deno.test("SharedArray rejects bad lengths, indexes and element types", () => {
  assertThrows(() => new SharedArray("int32", -1), RangeError, "received -1");
  assertThrows(() => new SharedArray("int32", 1.5), RangeError);
  const array = new SharedArray("int32", 2);
  assertThrows(() => array.get(2), RangeError, "out of range [0, 2): received 2");
  assertThrows(() => array.set(-1, 0), RangeError);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => array.set(0, 1n as any), TypeError, "must be an integer");
  assertThrows(
    () => array.set(0, 1.5),
    TypeError,
    "'int32' element must be an integer: received 1.5",
  );
  assertThrows(() => new SharedArray("uint32", [1, NaN]), TypeError, "received NaN");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => new SharedArray("float64", [1n as any]), TypeError, "must be a number");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => new SharedArray("bigint64", [1 as any]), TypeError, "must be a bigint");
  assertThrows(() => SharedArray.from({ buffer: new SharedArrayBuffer(16) }), TypeError);
  assertThrows(
    () => SharedArray.from({ buffer: array.buffer, lock: 5 }),
    TypeError,
    "Cannot rehydrate SharedArray as the message has no 'lock': received 5",
  );
});

Deno.test("SharedArray is indexable: arr[i] reads and arr[i] = v writes the shared memory", () => {
  const array = new SharedArray("int32", [1, 2, 3]);
  assertEquals(array[0], 1);
  assertEquals(array[2], 3);
  array[1] = 20;
  assertEquals(array.get(1), 20);
  assertEquals(array.view[1], 20);
  array[2] += 5;
  assertEquals(array[2], 8);
  assertEquals(array["0" as unknown as number], 1);
  // No own properties appear, so a clone stays a plain handle.
  assertEquals(Object.keys(array), ["buffer", "lock"]);
  const floats = new SharedArray("float64", 2);
  floats[1] = 0.25;
  assertEquals(floats[1], 0.25);
  const big = new SharedArray("bigint64", 1);
  big[0] = 1n << 40n;
  assertEquals(big[0], 1n << 40n);
  const unsigned = new SharedArray("uint32", [0]);
  unsigned[0] = 2 ** 32 - 1;
  assertEquals(unsigned[0], 2 ** 32 - 1);
  // A wrong element type is a TypeError, as with set().
  assertThrows(
    () => array[0] = 1.5,
    TypeError,
    "Cannot write SharedArray element as an 'int32' element must be an integer: received 1.5",
  );
  // deno-lint-ignore no-explicit-any
  assertThrows(() => big[0] = 1 as any, TypeError, "must be a bigint");
});

Deno.test("SharedArray index out of range throws RangeError and never adds a property", () => {
  const array = new SharedArray("int32", [1, 2, 3]);
  assertThrows(
    () => array[3],
    RangeError,
    "Cannot read SharedArray element as the index is out of range [0, 3): received 3",
  );
  assertThrows(
    () => array[3] = 1,
    RangeError,
    "Cannot write SharedArray element as the index is out of range [0, 3): received 3",
  );
  assertThrows(() => array[-1], RangeError, "received -1");
  assertThrows(() => array[-1] = 0, RangeError, "received -1");
  assertThrows(() => array[1.5], RangeError, "received 1.5");
  assertThrows(() => array[NaN] = 0, RangeError, "received NaN");
  assertThrows(() => array[Infinity], RangeError, "received Infinity");
  // "-0" names no element (as for a typed array), though -0 as a number is index 0.
  const keyed = array as unknown as Record<string, number>;
  assertThrows(() => keyed["-0"], RangeError, "received '-0'");
  assertThrows(() => keyed["-0"] = 9, RangeError, "received '-0'");
  assert(!("-0" in array));
  assertEquals(array.get(-0), 1);
  assertEquals(Object.keys(array), ["buffer", "lock"]);
  assertEquals(array.toArray(), [1, 2, 3]);
  assertEquals(array.at(-1), 3);
  // Non-numeric names are ordinary properties.
  const named = array as unknown as Record<string, unknown>;
  assertEquals(named.missing, undefined);
  assertEquals(named["01"], undefined);
  assertEquals(new SharedArray("int32", 0).length, 0);
  assertThrows(() => new SharedArray("int32", 0)[0], RangeError, "[0, 0)");
});

Deno.test("SharedArray keeps for..of, `in`, then, toJSON and inspection ordinary", async () => {
  const array = new SharedArray("uint32", [4, 5, 6]);
  const seen: number[] = [];
  for (const value of array) seen.push(value);
  assertEquals(seen, [4, 5, 6]);
  assert(0 in array);
  assert(2 in array);
  assert(!((-1) in array));
  assert(!(1.5 in array));
  assert(!("missing" in array));
  assert("get" in array && "lock" in array && Symbol.iterator in array);
  // A has-trap cannot see the instance: `in` accepts any well-formed index.
  assert(3 in array);
  // Array methods work on it as on an array-like.
  assertEquals(Array.prototype.map.call(array, (x: number) => x * 2), [8, 10, 12]);
  assertEquals(Array.from(array), [4, 5, 6]);
  // No `then`: awaiting a promise of an array yields the array itself.
  assertEquals((array as unknown as { then?: unknown }).then, undefined);
  const awaited = await Promise.resolve(array);
  assertStrictEquals(awaited, array);
  assertStrictEquals(await new Promise((resolve) => resolve(array)), array);
  assertEquals(JSON.parse(JSON.stringify({ n: array.length })), { n: 3 });
  assertStrictEquals(Object.getPrototypeOf(array), SharedArray.prototype);
  assert(array instanceof SharedArray);
  assertEquals(String(array), "[object Object]");
  assert(Deno.inspect(array).startsWith("SharedArray {"));
  // The prototype itself is not an array.
  assertEquals((SharedArray.prototype as unknown as Record<number, unknown>)[0], undefined);
  // An own property set by a subclass or user keeps working.
  const extra = array as unknown as Record<string, unknown>;
  extra.label = "x";
  assertEquals(extra.label, "x");
});

Deno.test("SharedArray revived copies index the same memory", () => {
  const original = new SharedArray("float64", [0.5, 1.5]);
  const copy = SharedArray.from<"float64">(structuredClone(original));
  copy[0] = 7.25;
  assertEquals(original[0], 7.25);
  original[1] = -1;
  assertEquals(copy[1], -1);
  const { array } = reviveShared(structuredClone({ array: original }));
  assert(array instanceof SharedArray);
  assertEquals(array[0], 7.25);
  assertThrows(() => array[2], RangeError);
  // The clone of an instance is a plain object without index access.
  const clone = structuredClone(original) as unknown as Record<number, unknown>;
  assertStrictEquals(Object.getPrototypeOf(clone), Object.prototype);
  assertEquals(clone[0], undefined);
});

Deno.test("SharedArray indexes in a worker, and the main thread sees its writes", async () => {
  const array = new SharedArray("int32", [1, 2, 3, 4]);
  using workers = new Workers(1);
  const result = await workers.all[0].call("arrayIndex", { array }) as {
    read: number[];
    iterated: number[];
    isArray: string;
    errors: string[];
  };
  assertEquals(result.read, [1, 2, 3, 4]);
  assertEquals(result.iterated, [11, 21, 31, 41]);
  assertEquals(result.isArray, "SharedArray");
  assertEquals(result.errors, ["RangeError", "RangeError"]);
  assertEquals([array[0], array[1], array[2], array[3]], [11, 21, 31, 41]);
});

Deno.test("SharedArray type: the index signature has the element type", () => {
  const ints = new SharedArray("int32", 1);
  const n: number = ints[0];
  const bigs = new SharedArray("bigint64", 1);
  const b: bigint = bigs[0];
  assertThrows(() => {
    // @ts-expect-error: a bigint64 element is not a number
    bigs[0] = 1;
  }, TypeError);
  assertEquals([n, b], [0, 0n]);
});

Deno.test("SharedArray crosses a WorkerPool as a task argument and result", async () => {
  const array = new SharedArray("int32", [5, 6]);
  const pool = new WorkerPool<typeof Tasks>(
    new URL("../testdata/pool_tasks.ts", import.meta.url),
    { size: 1 },
  );
  try {
    const back = await pool.submit("echo", [array]) as SharedArray<"int32">;
    assert(back instanceof SharedArray);
    assert(back !== array);
    back[0] = 50;
    assertEquals(array[0], 50);
    assertEquals([...back], [50, 6]);
  } finally {
    await pool.shutdown();
  }
});
