// The value encoding of cluster/ (no Redis needed).
import { assert, assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import {
  decodeFailure,
  decodeValue,
  encodeFailure,
  encodeValue,
  findShared,
} from "../../cluster/_codec.ts";
import { Lock } from "../../sync/mod.ts";

Deno.test("encodeValue() uses JSON only where it round-trips exactly", () => {
  const plain = [1, "a", true, null, { b: [2.5, "c"] }];
  const text = encodeValue(plain, "x");
  assert(text.startsWith("j:"), text);
  assertEquals(decodeValue(text), plain);
  for (
    const value of [[undefined], [-0], [NaN], [1n], [new Date(0)], [new Map([[1, 2]])], [[, 1]]]
  ) {
    const encoded = encodeValue(value, "x");
    assert(encoded.startsWith("v:"), `${encoded} for ${String(value)}`);
    assertEquals(decodeValue(encoded), value);
  }
  assertThrows(() => encodeValue([() => 1], "the arguments"), DOMException, "the arguments");
  assertThrows(() => decodeValue("nope"), TypeError, "not a Tandem encoding");
});

Deno.test("encodeFailure() keeps an error's class, message, stack, cause and properties", () => {
  const error = Object.assign(new TypeError("bad", { cause: new RangeError("inner") }), {
    code: 7,
  });
  const back = decodeFailure(encodeFailure(error)) as TypeError & { code: number };
  assertInstanceOf(back, TypeError);
  assertEquals([back.message, back.code, back.stack], ["bad", 7, error.stack]);
  assertInstanceOf(back.cause, RangeError);
  const dom = decodeFailure(encodeFailure(new DOMException("late", "TimeoutError")));
  assertInstanceOf(dom, DOMException);
  assertEquals((dom as DOMException).name, "TimeoutError");
  assertEquals(decodeFailure(encodeFailure({ thrown: 1 })), { thrown: 1 });
});

Deno.test("findShared() finds shared memory anywhere in arguments", () => {
  assertEquals(findShared([1, { a: [new Uint8Array(2)] }]), undefined);
  assertEquals(findShared([{ lock: new Lock() }]), "a Lock");
  assertEquals(findShared([new Map([["k", new SharedArrayBuffer(4)]])]), "a SharedArrayBuffer");
  assertEquals(
    findShared([new Int32Array(new SharedArrayBuffer(8))]),
    "an Int32Array over a SharedArrayBuffer",
  );
});
