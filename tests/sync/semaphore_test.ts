import { assert, assertEquals, assertFalse, assertRejects, assertThrows } from "@std/assert";
import { BoundedSemaphore, Event, Semaphore, SharedArray } from "../../sync/mod.ts";
import { TestWorker, Workers } from "./_workers.ts";

Deno.test("Semaphore(2) never lets more than 2 of 4 workers in", async () => {
  const semaphore = new Semaphore(2);
  const inside = new SharedArray("int32", 1);
  using workers = new Workers(4);
  const most = await Promise.all(
    workers.all.map((w) => w.call("semaphoreWork", { semaphore, inside, n: 20_000 })),
  ) as number[];
  assert(most.every((m) => m >= 1 && m <= 2));
  assertEquals(semaphore.value, 2);
});

Deno.test("Semaphore acquire forms time out, abort and wake", async () => {
  const semaphore = new Semaphore(0);
  assertFalse(semaphore.tryAcquire());
  assertFalse(semaphore.acquire(5));
  assertFalse(await semaphore.acquireAsync(5));
  await assertRejects(() => semaphore.acquireAsync(1000, { signal: AbortSignal.abort() }));
  const pending = semaphore.acquireAsync(30_000);
  semaphore.release();
  assert(await pending);
  assertThrows(() => semaphore.release(0), RangeError, "received 0");
  assertThrows(() => new Semaphore(-1), RangeError, "received -1");
  {
    semaphore.release();
    using _permit = semaphore.hold();
    assertEquals(semaphore.value, 0);
    assertThrows(() => semaphore.hold(0), DOMException);
  }
  assertEquals(semaphore.value, 1);
});

Deno.test("BoundedSemaphore.release() above the initial value throws", () => {
  const semaphore = new BoundedSemaphore(2);
  semaphore.acquire();
  semaphore.release();
  assertThrows(
    () => semaphore.release(),
    RangeError,
    "Cannot release semaphore as it would exceed its initial value: 2 + 1 > 2",
  );
  const copy = BoundedSemaphore.from(structuredClone(semaphore));
  assert(copy instanceof BoundedSemaphore);
  assertThrows(() => copy.release(), RangeError);
  assertThrows(() => Semaphore.from(semaphore), TypeError, "'BoundedSemaphore'");
});

Deno.test("Event.set() wakes a worker blocked in wait()", async () => {
  const event = new Event();
  const worker = new TestWorker();
  try {
    const waiting = worker.call("eventWait", { event, timeoutMs: 60_000 });
    setTimeout(() => event.set(), 20);
    assertEquals(await waiting, true);
    assert(event.isSet());
    event.clear();
    assertEquals(await worker.call("eventWait", { event, timeoutMs: 5 }), false);
    assertFalse(await event.waitAsync(5));
  } finally {
    worker.terminate();
  }
  assert(worker.terminated);
});
