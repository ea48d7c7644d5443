import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { AsyncPool, type AsyncTaskContext } from "../../pool/mod.ts";
import { gatedInputs } from "./_helpers.ts";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

Deno.test("AsyncPool.submit() runs at most concurrency tasks at once", async () => {
  await using pool = new AsyncPool({ concurrency: 3 });
  let running = 0;
  let peak = 0;
  const work = async (i: number) => {
    running++;
    peak = Math.max(peak, running);
    await sleep(5);
    running--;
    return i;
  };
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.submit(work, [i])));
  assertEquals(results, Array.from({ length: 12 }, (_, i) => i));
  assertEquals(peak, 3);
  assertEquals(pool.stats.completed, 12);
});

Deno.test("AsyncPool.map() yields in order and lazily", async () => {
  await using pool = new AsyncPool({ concurrency: 4 });
  const results = await Array.fromAsync(pool.map(async (x: number) => {
    await sleep(10 - x);
    return x * 2;
  }, [1, 2, 3, 4, 5]));
  assertEquals(results, [2, 4, 6, 8, 10]);
  const unordered = await Array.fromAsync(
    pool.map((x: number) => x + 1, [1, 2, 3], { ordered: false, chunkSize: 2 }),
  );
  assertEquals(unordered.sort(), [2, 3, 4]);
  assertThrows(() => pool.map((x: number) => x, [1], { chunkSize: 0 }), RangeError);
});

Deno.test("AsyncPool.cancel() aborts a running task's signal and rejects it at once", async () => {
  await using pool = new AsyncPool({ concurrency: 1 });
  let aborted = false;
  const task = pool.submit(async function (this: AsyncTaskContext) {
    this.signal.addEventListener("abort", () => aborted = true);
    await sleep(10_000, this.signal);
  }, []);
  const queued = pool.submit(() => 1, []);
  await Promise.resolve();
  assertEquals(task.state, "running");
  assertEquals(queued.state, "queued");
  assert(queued.cancel());
  assert(task.cancel());
  assertEquals(task.state, "cancelled");
  assert(aborted);
  await assertRejects(() => Promise.resolve(task), DOMException);
  assertEquals(await pool.submit(() => 2, []), 2);
});

Deno.test("AsyncPool.submit() times out and rejects beyond maxQueue", async () => {
  await using pool = new AsyncPool({ concurrency: 1, maxQueue: 1 });
  const slow = pool.submit(
    function (this: AsyncTaskContext) {
      return sleep(10_000, this.signal);
    },
    [],
    { timeout: 30 },
  );
  const queued = pool.submit(() => "queued", []);
  const over = pool.submit(() => "over", []);
  await assertRejects(() => Promise.resolve(over), RangeError, "'maxQueue' is 1");
  const error = await assertRejects(() => Promise.resolve(slow), DOMException);
  assertEquals((error as DOMException).name, "TimeoutError");
  assertEquals(await queued, "queued");
  assertThrows(() => new AsyncPool({ concurrency: 0 }), RangeError, "'concurrency'");
});

Deno.test("AsyncPool.map() yields results while an async source is slow to produce more", async () => {
  await using pool = new AsyncPool({ concurrency: 2 });
  // The source yields its second input only once the first result arrived.
  const { inputs, open } = gatedInputs();
  const results: number[] = [];
  for await (const value of pool.map((x: number) => 10 * x, inputs, { ordered: false })) {
    results.push(value);
    open();
  }
  assertEquals(results, [10, 20]);
});

Deno.test("AsyncPool refuses timeouts that setTimeout cannot honour", async () => {
  assertThrows(() => new AsyncPool({ taskTimeout: 3e9 }), RangeError, "'taskTimeout'");
  assertThrows(() => new AsyncPool({ shutdownTimeout: -1 }), RangeError, "'shutdownTimeout'");
  await using pool = new AsyncPool({ concurrency: 1 });
  assertThrows(() => pool.submit(() => 1, [], { timeout: 2 ** 31 }), RangeError, "'timeout'");
  await assertRejects(() => pool.shutdown({ timeout: NaN }), RangeError, "'timeout'");
});

Deno.test("AsyncPool.shutdown() settles in bounded time and rejects later submits", async () => {
  const pool = new AsyncPool({ concurrency: 1 });
  const stuck = pool.submit(() => new Promise<never>(() => {}), []);
  const queued = pool.submit(() => 1, []);
  await pool.shutdown({ timeout: 20 });
  assertEquals(queued.state, "cancelled");
  assertEquals(stuck.state, "rejected");
  await assertRejects(() => Promise.resolve(stuck), DOMException, "shut down");
  await assertRejects(() => Promise.resolve(pool.submit(() => 1, [])), TypeError, "shut down");
});
