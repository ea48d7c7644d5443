import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async/delay";
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

interface ActionReply {
  index?: number;
  ranHere: boolean;
  error?: string;
  message?: string;
}

Deno.test("Barrier action runs once per round, in the last party, before any release", async () => {
  const PARTIES = 4;
  const barrier = new Barrier(PARTIES);
  // arrived: [arrivals, releases]; actions: [runs, unused, releases seen by the action]
  const arrived = new SharedArray("int32", 2);
  const actions = new SharedArray("int32", 3);
  using workers = new Workers(PARTIES);
  for (let round = 1; round <= 2; round++) {
    actions[2] = -1;
    const results = await Promise.all(
      workers.all.map((w) =>
        w.call("barrierAction", {
          barrier,
          arrived,
          actions,
          parties: PARTIES,
          timeoutMs: 60_000,
        })
      ),
    ) as ActionReply[];
    assertEquals(results.map((r) => r.index).sort(), [0, 1, 2, 3]);
    const ran = results.filter((r) => r.ranHere);
    assertEquals(ran.length, 1, "exactly one party ran the action");
    assertEquals(ran[0].index, PARTIES - 1, "the last to arrive ran it");
    assertEquals(actions[0], round);
    assertEquals(actions[2], (round - 1) * PARTIES, "no party was released before the action");
  }
  assert(!barrier.broken);
});

Deno.test("Barrier action that throws breaks the barrier; its thread gets the error", async () => {
  const barrier = new Barrier(3);
  const arrived = new SharedArray("int32", 2);
  const actions = new SharedArray("int32", 3);
  using workers = new Workers(3);
  const results = await Promise.all(
    workers.all.map((w) =>
      w.call("barrierAction", { barrier, arrived, actions, fail: true, timeoutMs: 60_000 })
    ),
  ) as ActionReply[];
  const ran = results.filter((r) => r.ranHere);
  assertEquals(ran.length, 1);
  assertEquals(ran[0].error, "RangeError");
  assertEquals(ran[0].message, "action failed on purpose");
  const others = results.filter((r) => !r.ranHere);
  assertEquals(others.map((r) => r.error), ["BrokenBarrierError", "BrokenBarrierError"]);
  assertEquals(arrived[1], 0, "nobody passed");
  assert(barrier.broken);
  assertThrows(() => barrier.wait(), BrokenBarrierError, "is broken");
  barrier.reset();
  assert(!barrier.broken);
});

Deno.test("Barrier action on the main thread: async and blocking forms, and its error", async () => {
  const log: string[] = [];
  const barrier = new Barrier(3, { action: () => log.push(`action after ${log.length}`) });
  const released = [0, 1, 2].map(async () => {
    const index = await barrier.waitAsync(60_000);
    log.push("released");
    return index;
  });
  assertEquals((await Promise.all(released)).sort(), [0, 1, 2]);
  assertEquals(log, ["action after 0", "released", "released", "released"]);

  // Only the last party's handle matters: here it has no action.
  let runs = 0;
  const counting = Barrier.from(barrier, { action: () => runs++ });
  const plain = Barrier.from(barrier);
  const early = [counting.waitAsync(60_000), counting.waitAsync(60_000)];
  assertEquals(await plain.waitAsync(60_000), 2);
  await Promise.all(early);
  assertEquals(runs, 0);

  // The blocking form, with one party.
  const single = new Barrier(1, { action: () => runs++ });
  assertEquals(single.wait(), 0);
  assertEquals(runs, 1);

  // A throwing action: the waiters get BrokenBarrierError, the thrower its own error.
  const failure = new Error("action failed");
  const failing = new Barrier(2, {
    action: () => {
      throw failure;
    },
  });
  const waiter = failing.waitAsync(60_000);
  const thrown = await assertRejects(() => failing.waitAsync(60_000));
  assertStrictEquals(thrown, failure);
  await assertRejects(() => waiter, BrokenBarrierError, "broken while waiting");
  assert(failing.broken);
  const blocking = new Barrier(1, {
    action: () => {
      throw new RangeError("blocking action failed");
    },
  });
  assertThrows(() => blocking.wait(), RangeError, "blocking action failed");
  assert(blocking.broken);

  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => new Barrier(2, { action: 5 as any }),
    TypeError,
    "Cannot create Barrier as 'action' must be a function: received 5",
  );
  // deno-lint-ignore no-explicit-any
  assertThrows(() => Barrier.from(barrier, { action: "no" as any }), TypeError);
});

Deno.test("Barrier: a party arriving while the action runs joins the next round", async () => {
  const barrier = new Barrier(2);
  const arrived = new SharedArray("int32", 1);
  using workers = new Workers(2);
  const [w1, w2] = workers.all;
  const first = w1.call("barrierWait", { barrier, arrived, timeoutMs: 60_000 }) as Promise<
    { index: number }
  >;
  while (barrier.waiting < 1) await delay(1);
  let second: Promise<{ index: number }> | undefined;
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  const withAction = Barrier.from(barrier, {
    action: () => {
      // A third thread arrives while the round is full and its action runs.
      second = w2.call("barrierWait", { barrier, arrived, timeoutMs: 60_000 }) as Promise<
        { index: number }
      >;
      while (Atomics.load(arrived.view, 0) < 2) Atomics.wait(sleep, 0, 0, 1);
      // Let it reach wait(). If it is slower, it still ends in the next round (the test
      // below checks the busy path itself, deterministically, on one thread).
      Atomics.wait(sleep, 0, 0, 200);
      assertEquals(barrier.waiting, 1, "the waiting party of this round");
    },
  });
  assertEquals(await withAction.waitAsync(60_000), 1);
  assertEquals((await first).index, 0);
  // The late thread is the first party of the next round, still waiting.
  while (barrier.waiting < 1) await delay(1);
  assertEquals(barrier.waiting, 1);
  assertEquals(await barrier.waitAsync(60_000), 1);
  assertEquals((await second!).index, 0);
  assert(!barrier.broken);
});

Deno.test("Barrier: an arrival that times out while the action runs breaks the round", () => {
  let arrivalError: unknown;
  const barrier: Barrier = new Barrier(1, {
    action: () => {
      // The round is full and its action runs: this arrival waits for the next round
      // (the busy path) and times out.
      try {
        Barrier.from(barrier).wait(1);
      } catch (error) {
        arrivalError = error;
      }
    },
  });
  assertThrows(() => barrier.wait(), BrokenBarrierError, "while its action ran");
  assertInstanceOf(arrivalError, BrokenBarrierError);
  assertStringIncludes((arrivalError as Error).message, "timed out");
  assert(barrier.broken);
});
