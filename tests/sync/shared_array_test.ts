import { assert, assertEquals, assertThrows } from "@std/assert";
import { SharedArray } from "../../sync/mod.ts";

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
