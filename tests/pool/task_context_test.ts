import { assertEquals } from "@std/assert";
import { getTaskContext, ProcessPool, WorkerPool } from "../../pool/mod.ts";
import { until, within } from "./_helpers.ts";

// A self-contained function finds `getTaskContext` in its worker's scope: it can poll
// its signal and stop when cancelled, with no task module.
function spinUntilCancelled(maxMs: number): string {
  const signal = getTaskContext()!.signal;
  getTaskContext()!.progress("started");
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    if (signal.aborted) return "stopped";
  }
  return "finished";
}

for (const kind of ["WorkerPool", "ProcessPool"] as const) {
  Deno.test(`${kind}: a self-contained function reaches its signal through getTaskContext()`, async () => {
    await using pool = kind === "WorkerPool"
      ? new WorkerPool({ size: 1, cancelGrace: 30_000 })
      : new ProcessPool({ size: 1, cancelGrace: 30_000 });
    const task = pool.submit(spinUntilCancelled, [60_000]);
    let started = false;
    task.onProgress(() => started = true);
    await until(() => started, 30_000, "the task to start");
    task.cancel();
    assertEquals(task.state, "cancelled");
    // The worker was not ended: the task saw its signal and returned.
    assertEquals(await within(pool.submit(() => 1, []), 30_000, "the next task"), 1);
    if (kind === "WorkerPool") assertEquals(pool.stats.terminated, 0);
  });
}
