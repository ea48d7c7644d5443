import {
  assert,
  assertEquals,
  assertFalse,
  assertMatch,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { OwnerDiedError, RLock } from "../../sync/mod.ts";
import {
  acquireBehindDeadHolder,
  holdInDeadWorker,
  mixedHandleIncrements,
  TestWorker,
  Workers,
} from "./_workers.ts";

Deno.test("RLock.acquire() recurses to depth 1,000 in a worker", async () => {
  const lock = new RLock();
  const worker = new TestWorker();
  try {
    const result = await worker.call("rlockDepth", { lock, depth: 1_000 });
    assertEquals(result, { deepest: 1_000, lockedAfter: false });
    assertFalse(lock.locked);
  } finally {
    worker.terminate();
  }
  assert(worker.terminated);
});

Deno.test("RLock.release() by a thread that does not own it throws", async () => {
  const lock = new RLock();
  const worker = new TestWorker();
  try {
    lock.acquire();
    assertEquals(await worker.call("tryRelease", { lock }), "RangeError");
    assert(lock.owned);
    lock.release();
    assertEquals(await worker.call("hold", { lock }), "held");
    assert(lock.locked);
    assertFalse(lock.owned);
    assertEquals(lock.count, 0);
    const error = assertThrows(() => lock.release(), RangeError);
    assertMatch(
      error.message,
      /^Cannot release lock as this thread does not own it: owner is thread \d+/,
    );
    assertFalse(lock.tryAcquire());
    assertEquals(await worker.call("release", { lock }), "released");
  } finally {
    worker.terminate();
  }
  assert(worker.terminated);
});

Deno.test("RLock counts per owner and frees at zero", async () => {
  const lock = new RLock();
  assert(lock.acquire());
  assert(lock.tryAcquire());
  assert(await lock.acquireAsync());
  assertEquals(lock.count, 3);
  lock.release();
  lock.release();
  assert(lock.locked);
  lock.release();
  assertFalse(lock.locked);
  assertThrows(() => lock.release(), RangeError, "not locked");
  const copy = RLock.from(structuredClone(lock));
  copy.acquire();
  assert(lock.owned);
  assertEquals(lock.count, 1);
  copy.release();
});

Deno.test("RLock.acquire() blocked in a worker (no timeout) reports an owner that died", async () => {
  const lock = new RLock();
  using workers = new Workers(2);
  const [holder, waiter] = workers.all;
  const reply = await acquireBehindDeadHolder(lock, holder, waiter);
  assertFalse(reply.ok);
  assertEquals(reply.error?.name, "OwnerDiedError");
  assertFalse(lock.locked);
  assert(lock.acquire(0));
  assertEquals(lock.count, 1);
  lock.release();
});

Deno.test("RLock.acquireAsync() reports an owner that died holding it", async () => {
  const lock = new RLock();
  const worker = await holdInDeadWorker(lock);
  assert(worker.terminated);
  await assertRejects(() => lock.acquireAsync(30_000), OwnerDiedError);
  assert(await lock.acquireAsync(1000));
  assertEquals(lock.count, 1);
  lock.release();
});

Deno.test("RLock guards nested sections exactly across workers on its memory or its buffer", async () => {
  // Depth 3 each time: the count is per owner, and each handle switches to
  // WebAssembly's compare-and-swap after its first uses unless built from the buffer.
  const lock = new RLock();
  assert(lock.memory instanceof WebAssembly.Memory);
  assert(RLock.from(structuredClone(lock)).memory instanceof WebAssembly.Memory);
  assertEquals(RLock.from({ buffer: lock.buffer, byteOffset: lock.byteOffset }).memory, undefined);
  const { count, used } = await mixedHandleIncrements(lock, 30_000, 3);
  assertEquals(used, ["memory", "buffer", "memory", "buffer"]);
  assertEquals(count, 120_000);
  assertFalse(lock.locked);
});
