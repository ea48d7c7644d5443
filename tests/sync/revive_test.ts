import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  reviveShared,
  RLock,
  Semaphore,
  SharedArray,
  SharedValue,
} from "../../sync/mod.ts";
import { holdsShared } from "../../sync/_walk_shared.ts";

Deno.test("reviveShared() returns primitives and plain data unchanged", () => {
  assertStrictEquals(reviveShared(1), 1);
  assertStrictEquals(reviveShared("a"), "a");
  assertStrictEquals(reviveShared(null), null);
  const data = { a: [1, 2], b: { c: "d" }, e: new Uint8Array(2) };
  assertStrictEquals(reviveShared(data), data);
  assertEquals(data, { a: [1, 2], b: { c: "d" }, e: new Uint8Array(2) });
});

Deno.test("reviveShared() rehydrates nested primitives, keeping clone identity", () => {
  const value = new SharedValue("int32", 1);
  const array = new SharedArray("uint32", 3);
  const lock = new Lock();
  const message = structuredClone({
    args: [value, { array }],
    lock,
    again: value,
    map: new Map([["k", lock]]),
    set: new Set([array]),
  });
  const revived = reviveShared(message);
  assert(revived.args[0] instanceof SharedValue);
  assert((revived.args[1] as { array: unknown }).array instanceof SharedArray);
  assert(revived.lock instanceof Lock);
  assertStrictEquals(revived.again, revived.args[0]);
  assert(revived.map.get("k") instanceof Lock);
  assert([...revived.set][0] instanceof SharedArray);
  (revived.args[0] as SharedValue<"int32">).add(1);
  assertEquals(value.value, 2);
});

Deno.test("reviveShared() follows cycles once", () => {
  const lock = new Lock();
  const cyclic: { self?: unknown; lock: Lock } = { lock };
  cyclic.self = cyclic;
  const revived = reviveShared(structuredClone(cyclic));
  assertStrictEquals(revived.self, revived);
  assert(revived.lock instanceof Lock);
});

Deno.test("reviveShared() leaves live primitives and untagged buffers alone", () => {
  const lock = new Lock();
  assertStrictEquals(reviveShared(lock), lock);
  const plain = { buffer: new SharedArrayBuffer(8) };
  assertStrictEquals(reviveShared(plain), plain);
});

Deno.test("reviveShared() rehydrates every kind of primitive to its own class", () => {
  const all = {
    lock: new Lock({ fifo: true }),
    rlock: new RLock(),
    semaphore: new Semaphore(2),
    bounded: new BoundedSemaphore(1),
    condition: new Condition(new RLock()),
    event: new Event(),
    barrier: new Barrier(2),
    value: new SharedValue("bigint64", 1n),
    array: new SharedArray("uint32", 2),
  };
  const revived = reviveShared(structuredClone(all));
  for (const [key, original] of Object.entries(all)) {
    const copy = (revived as Record<string, unknown>)[key];
    assertStrictEquals(Object.getPrototypeOf(copy), Object.getPrototypeOf(original), key);
    assertStrictEquals((copy as { buffer: unknown }).buffer instanceof SharedArrayBuffer, true);
  }
  assert(revived.lock.fifo);
  assert(revived.condition.lock instanceof RLock);
  revived.event.set();
  assert(all.event.isSet());
  revived.semaphore.acquire();
  assertEquals(all.semaphore.value, 1);
});

Deno.test("holdsShared() finds a cloned primitive wherever reviveShared() looks", () => {
  const lock = new Lock();
  const value = new SharedValue("int32", 1);
  for (
    const holder of [
      lock,
      [1, lock],
      { a: { b: [value] } },
      new Map([["k", [lock]]]),
      new Set([{ value }]),
    ]
  ) {
    const clone = structuredClone(holder);
    const before = Deno.inspect(clone, { depth: 10 });
    assert(holdsShared(clone), before);
    assertEquals(Deno.inspect(clone, { depth: 10 }), before); // looked at, not revived
  }
  const cyclic: { self?: unknown; lock: Lock } = { lock };
  cyclic.self = cyclic;
  assert(holdsShared(structuredClone(cyclic)));
});

Deno.test("holdsShared() is false for plain data, untagged buffers and class instances", () => {
  for (
    const value of [
      1,
      "lock",
      null,
      undefined,
      [1, [2, { three: 3 }]],
      { path: "/tmp/x", state: new SharedArrayBuffer(32), ends: [1, 2] },
      { buffer: new SharedArrayBuffer(8) },
      new Map([["k", new Set([new Uint8Array(4)])]]),
      new Date(0),
    ]
  ) {
    assertEquals(holdsShared(value), false, Deno.inspect(value));
  }
});
