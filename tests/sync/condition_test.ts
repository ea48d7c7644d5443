import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { Condition, Lock, RLock, SharedArray } from "../../sync/mod.ts";
import { Workers } from "./_workers.ts";

Deno.test("Condition producer/consumer with 4 workers loses and duplicates nothing", async () => {
  const PER_PRODUCER = 5_000;
  const total = 2 * PER_PRODUCER;
  const condition = new Condition(new Lock());
  const queue = new SharedArray("int32", 3 + 16);
  const seen = new SharedArray("int32", total);
  const workers = new Workers(4);
  try {
    const [p1, p2, c1, c2] = workers.all;
    const items = (from: number) => Array.from({ length: PER_PRODUCER }, (_, i) => from + i);
    const results = await Promise.all([
      p1.call("produce", { condition, queue, items: items(0) }),
      p2.call("produce", { condition, queue, items: items(PER_PRODUCER) }),
      c1.call("consume", { condition, queue, seen, total }),
      c2.call("consume", { condition, queue, seen, total }),
    ]);
    assertEquals((results[2] as number) + (results[3] as number), total);
    assert(seen.toArray().every((count) => count === 1), "every item received exactly once");
  } finally {
    workers[Symbol.dispose]();
  }
  assert(workers.allTerminated);
});

Deno.test("Condition.waitAsync() is woken by notify() and re-acquires the lock", async () => {
  const condition = new Condition();
  assert(condition.lock instanceof RLock);
  await condition.acquireAsync();
  condition.acquire(); // depth 2 is restored after the wait
  setTimeout(() => condition.withLock(() => condition.notify()), 10);
  assert(await condition.waitAsync(30_000));
  assertEquals((condition.lock as RLock).count, 2);
  condition.release();
  condition.release();
});

Deno.test("Condition.wait() and notify() require the lock", async () => {
  const condition = new Condition(new Lock());
  assertThrows(() => condition.wait(1), RangeError, "does not hold the condition's lock");
  assertThrows(() => condition.notifyAll(), RangeError);
  await assertRejects(() => condition.waitAsync(1), RangeError);
  assertThrows(() => new Condition({} as Lock), TypeError, "must be a Lock or an RLock");
});

Deno.test("Condition.waitForAsync() can be aborted and keeps the lock", async () => {
  const condition = new Condition(new Lock());
  await condition.acquireAsync();
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 10);
  await assertRejects(
    () => condition.waitForAsync(() => false, undefined, { signal: controller.signal }),
    DOMException,
  );
  assert(condition.lock.locked);
  condition.release();
});

Deno.test("Condition.waitFor() and waitForAsync() reject a predicate that is not a function", async () => {
  const condition = new Condition();
  condition.acquire();
  try {
    // deno-lint-ignore no-explicit-any
    const notFunction = true as any;
    assertThrows(
      () => condition.waitFor(notFunction, 10),
      TypeError,
      "'predicate' must be a function: received true",
    );
    await assertRejects(() => condition.waitForAsync(notFunction, 10), TypeError, "received true");
    assert(condition.lock.locked); // still held
  } finally {
    condition.release();
  }
});

Deno.test("Condition.waitFor() and waitForAsync() require the lock even when the predicate holds", async () => {
  for (const lock of [new Lock(), new RLock()]) {
    const condition = new Condition(lock);
    let calls = 0;
    const truthy = () => ++calls;
    assertThrows(
      () => condition.waitFor(truthy, 10),
      RangeError,
      "Cannot wait on condition as this thread does not hold the condition's lock",
    );
    await assertRejects(
      () => condition.waitForAsync(truthy),
      RangeError,
      "does not hold the condition's lock",
    );
    assertEquals(calls, 0, "the predicate is not called without the lock");
    assert(!lock.locked);
    // Held, the same call returns the predicate's value at once.
    condition.acquire();
    assertEquals(condition.waitFor(truthy, 10), 1);
    assertEquals(await condition.waitForAsync(truthy), 2);
    condition.release();
  }
});
