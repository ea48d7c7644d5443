import { assert, assertEquals, assertThrows } from "@std/assert";
import { Barrier, Lock, SharedValue } from "../../sync/mod.ts";
import { Workers } from "./_workers.ts";

const WORKERS = 8;
const INCREMENTS = 100_000;

Deno.test("SharedValue.lock guards 8 workers x 100,000 increments to exactly 800,000", async () => {
  const counter = new SharedValue("int32", 0);
  const workers = new Workers(WORKERS);
  try {
    await Promise.all(
      workers.all.map((w) => w.call("increment", { counter, n: INCREMENTS, mode: "lock" })),
    );
    assertEquals(counter.value, WORKERS * INCREMENTS);
  } finally {
    workers[Symbol.dispose]();
  }
  assert(workers.allTerminated);
});

Deno.test("SharedValue.lock.withLock() guards increments from 8 workers", async () => {
  const counter = new SharedValue("int32", 0);
  using workers = new Workers(WORKERS);
  await Promise.all(
    workers.all.map((w) => w.call("increment", { counter, n: 20_000, mode: "withLock" })),
  );
  assertEquals(counter.value, WORKERS * 20_000);
});

Deno.test("SharedValue.add() is exact across 8 workers without a lock", async () => {
  const counter = new SharedValue("int32", 0);
  using workers = new Workers(WORKERS);
  await Promise.all(
    workers.all.map((w) => w.call("increment", { counter, n: INCREMENTS, mode: "add" })),
  );
  assertEquals(counter.value, WORKERS * INCREMENTS);
});

Deno.test("SharedValue.value read-modify-write without a lock can lose updates", async (t) => {
  await t.step("a forced interleaving loses one update", () => {
    // Two "threads" read the same value before either writes: the second write wins.
    const counter = new SharedValue("int32", 0);
    const readA = counter.value;
    const readB = counter.value;
    counter.value = readA + 1;
    counter.value = readB + 1;
    assertEquals(counter.value, 1);
  });
  await t.step("2 workers that both read before either writes lose an update", async () => {
    const counter = new SharedValue("int32", 0);
    const barrier = new Barrier(2);
    using workers = new Workers(2);
    const reads = await Promise.all(
      workers.all.map((w) => w.call("racyIncrement", { counter, barrier })),
    );
    assertEquals(reads, [0, 0]);
    assertEquals(counter.value, 1); // two increments made, one lost
  });
  await t.step("8 racing workers never count more than the increments made", async () => {
    const counter = new SharedValue("int32", 0);
    using workers = new Workers(WORKERS);
    await Promise.all(
      workers.all.map((w) => w.call("increment", { counter, n: INCREMENTS, mode: "none" })),
    );
    // Lost updates make it smaller, never larger (how much smaller depends on timing).
    assert(counter.value <= WORKERS * INCREMENTS);
    assert(counter.value > 0);
  });
});

Deno.test("SharedValue.from() rehydrates a clone that shares memory and lock", () => {
  for (
    const [type, initial, delta] of [
      ["int32", -5, 2],
      ["uint32", 5, 2],
      ["float64", 0.25, 0.5],
      ["bigint64", 2n ** 40n, 3n],
    ] as const
  ) {
    const original = new SharedValue(type, initial);
    const copy = SharedValue.from(structuredClone(original));
    assertEquals(copy.type, type);
    // deno-lint-ignore no-explicit-any
    (copy as SharedValue<any>).add(delta);
    assertEquals(original.value, copy.value);
    original.lock.acquire();
    assert(copy.lock.locked);
    original.lock.release();
  }
});

Deno.test("SharedValue float64 add() and compareExchange() are exact", () => {
  const value = new SharedValue("float64", 1);
  assertEquals(value.add(0.5), 1);
  assertEquals(value.sub(0.25), 1.5);
  assertEquals(value.compareExchange(1.25, 3), 1.25);
  assertEquals(value.exchange(4), 3);
  assertEquals(value.value, 4);
});

Deno.test("SharedValue rejects wrong types and foreign memory", () => {
  // deno-lint-ignore no-explicit-any
  assertThrows(() => new SharedValue("int8" as any), TypeError, "'int8'");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => new SharedValue("bigint64", 1 as any), TypeError, "must be a bigint");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => (new SharedValue("int32") as any).add(1n), TypeError, "must be an integer");
  assertThrows(() => new SharedValue("int32", 1.5), TypeError, "must be an integer: received 1.5");
  const counter = new SharedValue("uint32", 7);
  assertThrows(() => counter.value = Infinity, TypeError, "received Infinity");
  assertThrows(() => counter.add(0.5), TypeError, "received 0.5");
  assertThrows(() => counter.compareExchange(7, NaN), TypeError, "received NaN");
  assertEquals(counter.value, 7); // nothing was truncated and stored
  assertThrows(() => SharedValue.from(new Lock()), TypeError, "'Lock'");
  assertThrows(() => SharedValue.from({ buffer: new ArrayBuffer(8) }), TypeError, "buffer");
  assertThrows(() => SharedValue.from(null), TypeError);
  const value = new SharedValue("int32", 1);
  assertThrows(
    () => SharedValue.from({ buffer: value.buffer }),
    TypeError,
    "Cannot rehydrate SharedValue as the message has no 'lock': received undefined",
  );
});
