import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { Barrier, BrokenBarrierError, SharedArray } from "../../sync/mod.ts";
import { Workers } from "./_workers.ts";

Deno.test("Barrier.wait() releases all parties together", async () => {
  const PARTIES = 4;
  const barrier = new Barrier(PARTIES);
  const arrived = new SharedArray("int32", 1);
  const workers = new Workers(PARTIES);
  try {
    const results = await Promise.all(
      workers.all.map((w) => w.call("barrierWait", { barrier, arrived, timeoutMs: 60_000 })),
    ) as { index: number; arrivedWhenReleased: number }[];
    assertEquals(results.map((r) => r.index).sort(), [0, 1, 2, 3]);
    assert(results.every((r) => r.arrivedWhenReleased === PARTIES));
    // The barrier is reusable for a second round.
    const again = await Promise.all(
      workers.all.map((w) => w.call("barrierWait", { barrier, arrived, timeoutMs: 60_000 })),
    ) as { index: number }[];
    assertEquals(again.map((r) => r.index).sort(), [0, 1, 2, 3]);
  } finally {
    workers[Symbol.dispose]();
  }
  assert(workers.allTerminated);
});

Deno.test("Barrier.wait() breaks with a clear error on timeout", async () => {
  const barrier = new Barrier(3);
  const arrived = new SharedArray("int32", 1);
  using workers = new Workers(1);
  const reply = await workers.all[0].send("barrierWait", { barrier, arrived, timeoutMs: 50 });
  assertEquals(reply.error?.name, "BrokenBarrierError");
  assertEquals(reply.error?.message, "Cannot pass barrier as it timed out: 3 parties expected");
  assert(barrier.broken);
  assertThrows(() => barrier.wait(), BrokenBarrierError, "broken");
  barrier.reset();
  assert(!barrier.broken);
});

Deno.test("Barrier.abort() breaks parties waiting asynchronously", async () => {
  const barrier = new Barrier(2);
  const waiting = barrier.waitAsync();
  assertEquals(barrier.waiting, 1);
  barrier.abort();
  await assertRejects(() => waiting, BrokenBarrierError, "broken while waiting");
  barrier.reset();
  assertEquals((await Promise.all([barrier.waitAsync(), barrier.waitAsync()])).sort(), [0, 1]);
});

Deno.test("Barrier.reset() breaks the current waiters", async () => {
  const barrier = new Barrier(2, { timeoutMs: 60_000 });
  const waiting = barrier.waitAsync();
  barrier.reset();
  await assertRejects(() => waiting, BrokenBarrierError);
  assert(!barrier.broken);
  assertThrows(() => new Barrier(0), RangeError, "received 0");
});
