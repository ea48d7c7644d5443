import { assert, assertEquals, assertRejects } from "@std/assert";
import { WorkerPool } from "../../pool/worker_pool.ts";
import { mapReduce } from "../../mapreduce/map_reduce.ts";

type Tasks = typeof import("../testdata/mapreduce_tasks.ts");
const TASKS = new URL("../testdata/mapreduce_tasks.ts", import.meta.url);

function chunksOf(n: number, size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i += size) {
    out.push(Array.from({ length: Math.min(size, n - i) }, (_, k) => i + k));
  }
  return out;
}

Deno.test("mapReduce() sums chunks on a pool export, in any completion order", async () => {
  const pool = new WorkerPool<Tasks>(TASKS, { size: 2 });
  try {
    const indexes: number[] = [];
    const total = await mapReduce({
      pool,
      input: chunksOf(10_000, 97),
      map: "sum",
      reduce: (acc: number, part: number, index) => {
        indexes.push(index);
        return acc + part;
      },
      initial: 0,
    });
    assertEquals(total, (9_999 * 10_000) / 2);
    assertEquals(indexes.sort((a, b) => a - b), Array.from({ length: 104 }, (_, i) => i));
  } finally {
    await pool.shutdown();
  }
  assertEquals(pool.stats.workers, 0);
});

Deno.test("mapReduce() starts and ends its own pool for a function", async () => {
  const total = await mapReduce({
    workers: 2,
    input: (async function* () {
      for (let i = 1; i <= 20; i++) yield i;
    })(),
    map: (x: number) => x * x,
    reduce: (acc: number, part: number) => acc + part,
  });
  assertEquals(total, 2870);
});

Deno.test("mapReduce() reads a ReadableStream lazily, at most `concurrency` ahead", async () => {
  const pool = new WorkerPool<Tasks>(TASKS, { size: 2 });
  let pulled = 0;
  let reduced = 0;
  let maxAhead = 0;
  try {
    const stream = new ReadableStream<number[]>({
      pull(controller) {
        if (pulled === 50) return controller.close();
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - reduced);
        controller.enqueue([1, pulled]);
      },
    }, { highWaterMark: 0 });
    const total = await mapReduce({
      pool,
      input: stream,
      map: "slowSum",
      reduce: (acc: number, part: number) => {
        reduced++;
        return acc + part;
      },
      initial: 0,
      concurrency: 3,
    });
    assertEquals(total, 50 + (50 * 51) / 2);
    assert(maxAhead <= 4, `read ${maxAhead} chunks ahead`);
  } finally {
    await pool.shutdown();
  }
});

Deno.test("mapReduce() transfers chunk buffers when asked", async () => {
  const pool = new WorkerPool<Tasks>(TASKS, { size: 1 });
  try {
    const chunks = [new Uint8Array(10), new Uint8Array(20)];
    const total = await mapReduce({
      pool,
      input: chunks,
      map: "byteLength",
      transfer: (chunk: Uint8Array<ArrayBuffer>) => [chunk.buffer],
      reduce: (acc: number, n: number) => acc + n,
      initial: 0,
    });
    assertEquals(total, 30);
    assertEquals(chunks.map((c) => c.byteLength), [0, 0]); // detached: moved, not copied
  } finally {
    await pool.shutdown();
  }
});

Deno.test("mapReduce() rejects with a map error, cancels the rest and closes the input", async () => {
  const pool = new WorkerPool<Tasks>(TASKS, { size: 2 });
  let closed = false;
  try {
    const input = (function* () {
      try {
        for (let i = 0; i < 1000; i++) yield [i, 1];
      } finally {
        closed = true;
      }
    })();
    await assertRejects(
      () => mapReduce({ pool, input, map: "failOn13", reduce: (a: number, b: number) => a + b }),
      RangeError,
      "starts with 13",
    );
    assert(closed, "the input generator was closed");
  } finally {
    await pool.shutdown();
  }
  assertEquals(pool.stats.workers, 0);
});

Deno.test("mapReduce() rejects with the abort reason", async () => {
  const pool = new WorkerPool<Tasks>(TASKS, { size: 2 });
  try {
    const controller = new AbortController();
    const reason = new DOMException("stop", "AbortError");
    let n = 0;
    const error = await assertRejects(() =>
      mapReduce({
        pool,
        input: chunksOf(1000, 1).map((c) => [50, ...c]),
        map: "slowSum",
        reduce: (acc: number, part: number) => {
          if (++n === 2) controller.abort(reason);
          return acc + part;
        },
        initial: 0,
        signal: controller.signal,
      })
    );
    assertEquals(error, reason);
    await assertRejects(() =>
      mapReduce({
        pool,
        input: [[1]],
        map: "sum",
        reduce: (a: number, b: number) => a + b,
        signal: AbortSignal.abort(reason),
      })
    );
  } finally {
    await pool.shutdown();
  }
  assertEquals(pool.stats.workers, 0);
});

Deno.test("mapReduce() validates its options", async () => {
  const reduce = (a: number, b: number) => a + b;
  await assertRejects(
    () => mapReduce({ input: [[1]], map: "sum", reduce }),
    TypeError,
    "no 'pool' was given",
  );
  await assertRejects(
    () => mapReduce({ input: [[1]], map: (x: number[]) => x.length, reduce, concurrency: 0 }),
    RangeError,
    "received 0",
  );
  await assertRejects(
    () => mapReduce({ input: [[1]], map: (x: number[]) => x.length, reduce, workers: 0 }),
    RangeError,
    "'workers' must be a positive integer: received 0",
  );
  await assertRejects(
    () => mapReduce({ input: 5 as unknown as number[], map: (x: number) => x, reduce }),
    TypeError,
    "not iterable",
  );
  await assertRejects(
    () => mapReduce({ input: [], map: (x: number) => x, reduce, workers: 1 }),
    TypeError,
    "empty input",
  );
  assertEquals(
    await mapReduce({ input: [], map: (x: number) => x, reduce, initial: 7, workers: 1 }),
    7,
  );
});

Deno.test("mapReduce() reduces a result while the input is still being read", async () => {
  const pool = new WorkerPool<Tasks>(TASKS, { size: 1 });
  try {
    const { promise: firstReduced, resolve } = Promise.withResolvers<void>();
    const input = (async function* () {
      yield [1, 2];
      await firstReduced; // the next chunk comes only once the first result is merged
      yield [3];
    })();
    const total = await mapReduce({
      pool,
      input,
      map: "sum",
      reduce: (acc: number, part: number) => {
        resolve();
        return acc + part;
      },
      initial: 0,
    });
    assertEquals(total, 6);
  } finally {
    await pool.shutdown();
  }
  assertEquals(pool.stats.workers, 0);
});

Deno.test("mapReduce() rejects on abort while the input is stalled", async (t) => {
  const pool = new WorkerPool<Tasks>(TASKS, { size: 1 });
  const reason = new DOMException("stalled", "AbortError");
  const sum = (acc: number, part: number) => acc + part;
  try {
    await t.step("a generator that never yields again", async () => {
      const controller = new AbortController();
      const input = (async function* () {
        yield [1];
        controller.abort(reason); // while mapReduce awaits the next chunk
        await new Promise<never>(() => {});
      })();
      const error = await assertRejects(() =>
        mapReduce({ pool, input, map: "sum", reduce: sum, initial: 0, signal: controller.signal })
      );
      assertEquals(error, reason);
    });
    await t.step("a stream that never closes, which is cancelled", async () => {
      const controller = new AbortController();
      let pulls = 0;
      let cancelled = false;
      const input = new ReadableStream<number[]>({
        pull(c) {
          if (++pulls === 1) c.enqueue([1]);
          else controller.abort(reason); // and leave the read pending
        },
        cancel() {
          cancelled = true;
        },
      }, { highWaterMark: 0 });
      const error = await assertRejects(() =>
        mapReduce({ pool, input, map: "sum", reduce: sum, initial: 0, signal: controller.signal })
      );
      assertEquals(error, reason);
      assert(cancelled, "the stream was cancelled");
    });
  } finally {
    await pool.shutdown();
  }
  assertEquals(pool.stats.workers, 0);
});
