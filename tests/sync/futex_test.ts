import { assert, assertEquals } from "@std/assert";
import { Lock } from "../../sync/mod.ts";
import { TestWorker } from "./_workers.ts";

Deno.test("Lock.acquireAsync() behind a live owner asks whether it lives every other slice", async () => {
  // The waiter sleeps in 100 ms slices; once the same owner held the lock through two,
  // it asks navigator.locks whether that owner lives, then again every two slices.
  // (It used to ask every slice from the second on: a counter meant to space the
  // queries out was tested with `>= 1`, always true.)
  const lock = new Lock();
  const worker = new TestWorker();
  const locks = (navigator as unknown as { locks: { query: () => Promise<unknown> } }).locks;
  const query = locks.query;
  let queries = 0;
  try {
    assertEquals(await worker.call("hold", { lock }), "held");
    locks.query = function (this: unknown) {
      queries++;
      return query.call(this);
    };
    // 15 slices at most: queries after slices 2, 4, …, 14 (7); it used to be 14.
    assertEquals(await lock.acquireAsync(1_500), false);
  } finally {
    delete (locks as { query?: unknown }).query;
    worker.terminate();
  }
  assert(queries >= 1, "the waiter asked whether the owner lives");
  assert(queries <= 8, `the waiter asked ${queries} times in 1.5 s`);
});
