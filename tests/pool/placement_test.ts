import { assertEquals } from "@std/assert";
import {
  BATCH_MAX,
  type DealView,
  planDeal,
  planSteal,
  WORKER_CAP,
  workerCap,
} from "../../pool/_placement.ts";

const view = (load: number, room: number, stalled = false): DealView => ({ load, room, stalled });

Deno.test("workerCap() holds about 4 ms of measured work; a process one task until measured", () => {
  assertEquals(workerCap(0, true), WORKER_CAP);
  assertEquals(workerCap(0, false), 1);
  assertEquals(workerCap(0.001, true), WORKER_CAP);
  assertEquals(workerCap(0.5, false), 8);
  assertEquals(workerCap(400, false), 1);
  assertEquals(workerCap(400, true), 2);
  // A process holds one task while at most 2 per worker wait, however short.
  assertEquals(workerCap(0.001, false, 2), 1);
  assertEquals(workerCap(0.001, false, 3), WORKER_CAP);
  assertEquals(workerCap(0.001, true, 1), WORKER_CAP);
});

Deno.test("planDeal() feeds the least loaded first, then round-robin within each worker's room", () => {
  assertEquals(planDeal([view(3, 10), view(0, 10)], 5), [1, 0, 1, 0, 1]);
  // Room limits a worker; the rest go to the others.
  assertEquals(planDeal([view(0, 1), view(0, 10)], 4), [0, 1, 1, 1]);
  // Full workers: a shorter plan.
  assertEquals(planDeal([view(1, 1), view(0, 0)], 5), [0]);
  assertEquals(planDeal([], 3), []);
  // One message holds at most BATCH_MAX tasks.
  assertEquals(planDeal([view(0, 10_000)], 10_000).length, BATCH_MAX);
});

Deno.test("planDeal() feeds a stalled worker only when no other has room", () => {
  assertEquals(planDeal([view(1, 5, true), view(1, 5)], 3), [1, 1, 1]);
  assertEquals(planDeal([view(1, 5, true), view(1, 0)], 2), [0, 0]);
});

Deno.test("planSteal() pairs an idle worker with the one holding the most unstarted tasks", () => {
  assertEquals(
    planSteal([
      { idle: false, unstarted: 3 },
      { idle: true, unstarted: 0 },
      { idle: false, unstarted: 5 },
    ]),
    { thief: 1, victim: 2, count: 3 },
  );
  assertEquals(planSteal([{ idle: true, unstarted: 0 }, { idle: false, unstarted: 1 }]), {
    thief: 0,
    victim: 1,
    count: 1,
  });
  // Nobody idle, or nothing to take.
  assertEquals(
    planSteal([{ idle: false, unstarted: 4 }, { idle: false, unstarted: 0 }]),
    undefined,
  );
  assertEquals(planSteal([{ idle: true, unstarted: 0 }, { idle: false, unstarted: 0 }]), undefined);
});
