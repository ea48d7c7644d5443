// Benchmarks of pool/: `flock /tmp/tandem-bench.lock deno bench -A bench/pool_bench.ts`
// Every group has its raw baseline measured in the same run.
import { ProcessPool, WorkerPool } from "../pool/mod.ts";
import { numbers, rawChunk, rawPipelined, startRaw } from "./pool_bench_raw.ts";
import { count } from "./pool_bench_tasks.ts";

const TASKS = new URL("./pool_bench_tasks.ts", import.meta.url);
type Tasks = typeof import("./pool_bench_tasks.ts");
type Pool = WorkerPool<Tasks> | ProcessPool<Tasks>;

const TINY = 100_000;
const MAP_INPUTS = 1_000_000;
const CPU_TASKS = 8;
const CPU_N = 50_000_000;
const SEQ = 2_000;
const BENCH = { n: 3, warmup: 1 };

/** A pool of 2 whose workers ran `count` and `inc` once (loaded and compiled). */
async function warmPool(kind: "worker" | "process"): Promise<Pool> {
  const pool = kind === "worker"
    ? new WorkerPool<Tasks>(TASKS, { size: 2 })
    : new ProcessPool<Tasks>(TASKS, { size: 2 });
  await Promise.all([pool.submit("count", [1e6]), pool.submit("count", [1e6])]);
  await Promise.all([pool.submit("inc", [0]), pool.submit("inc", [1])]);
  return pool;
}

/** Times `body` on a warm pool, excluding the pool's start and shutdown. */
async function onPool(
  b: Deno.BenchContext,
  kind: "worker" | "process",
  body: (pool: Pool) => Promise<unknown>,
  before?: (pool: Pool) => Promise<unknown>,
): Promise<void> {
  const pool = await warmPool(kind);
  await before?.(pool);
  b.start();
  await body(pool);
  b.end();
  await pool.shutdown();
}

/** Times `body` on warm raw workers. */
async function onRaw(b: Deno.BenchContext, body: (workers: Worker[]) => Promise<unknown>) {
  const workers = await startRaw(2);
  await rawPipelined(workers, 2, () => ({ count: 1e6 }));
  b.start();
  await body(workers);
  b.end();
  for (const w of workers) w.terminate();
}

const tiny = (pool: Pool) =>
  Promise.all(Array.from({ length: TINY }, (_, i) => pool.submit("inc", [i])));
const cpu = (pool: Pool) =>
  Promise.all(Array.from({ length: CPU_TASKS }, () => pool.submit("count", [CPU_N])));

// --- tiny tasks: 100,000 × x + 1 over 2 workers ---
Deno.bench({
  group: "tiny tasks",
  name: "raw pipelined postMessage, 2 workers",
  baseline: true,
  ...BENCH,
  async fn(b) {
    await onRaw(b, (workers) => rawPipelined(workers, TINY, (i) => i));
  },
});
Deno.bench({
  group: "tiny tasks",
  name: "WorkerPool.submit, size 2",
  ...BENCH,
  async fn(b) {
    await onPool(b, "worker", tiny);
  },
});
Deno.bench({
  group: "tiny tasks",
  name: "ProcessPool.submit, size 2",
  ...BENCH,
  async fn(b) {
    await onPool(b, "process", tiny);
  },
});

// --- map: 1,000,000 inputs in chunks of 100 ---
Deno.bench({
  group: "map chunkSize 100",
  name: "raw batched postMessage, 2 workers",
  baseline: true,
  ...BENCH,
  async fn(b) {
    await onRaw(b, (workers) => rawPipelined(workers, MAP_INPUTS / 100, rawChunk));
  },
});
Deno.bench({
  group: "map chunkSize 100",
  name: "WorkerPool.map, size 2",
  ...BENCH,
  async fn(b) {
    await onPool(b, "worker", async (pool) => {
      let sum = 0;
      for await (const v of pool.map("inc", numbers(MAP_INPUTS), { chunkSize: 100 })) sum += v;
      if (sum === 0) throw new Error("no results");
    });
  },
});

// --- CPU-bound: 8 × count(50M) ---
Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "one thread",
  baseline: true,
  ...BENCH,
  fn() {
    for (let i = 0; i < CPU_TASKS; i++) count(CPU_N);
  },
});
Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "raw 2 workers, postMessage (the parallel ceiling here)",
  ...BENCH,
  async fn(b) {
    await onRaw(b, (workers) => rawPipelined(workers, CPU_TASKS, () => ({ count: CPU_N })));
  },
});
Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "WorkerPool, size 2",
  ...BENCH,
  async fn(b) {
    await onPool(b, "worker", cpu);
  },
});
Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "WorkerPool, size 2, right after 100,000 tiny tasks",
  ...BENCH,
  async fn(b) {
    await onPool(b, "worker", cpu, tiny);
  },
});
Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "ProcessPool, size 2",
  ...BENCH,
  async fn(b) {
    await onPool(b, "process", cpu);
  },
});

// --- worker start: first result of a fresh pool ---
Deno.bench({
  group: "first result",
  name: "raw new Worker + first round trip",
  baseline: true,
  n: 10,
  warmup: 2,
  async fn(b) {
    b.start();
    const workers = await startRaw(1);
    b.end();
    workers[0].terminate();
  },
});
Deno.bench({
  group: "first result",
  name: "new WorkerPool + first submit",
  n: 10,
  warmup: 2,
  async fn(b) {
    b.start();
    const pool = new WorkerPool<Tasks>(TASKS, { size: 2 });
    await pool.submit("inc", [0]);
    b.end();
    await pool.shutdown();
  },
});

// --- per-task overhead: 2,000 sequential round trips ---
const sequential = async (pool: Pool) => {
  for (let i = 0; i < SEQ; i++) await pool.submit("inc", [i]);
};
Deno.bench({
  group: "per-task overhead (sequential)",
  name: "WorkerPool, one task at a time",
  baseline: true,
  ...BENCH,
  async fn(b) {
    await onPool(b, "worker", sequential);
  },
});
Deno.bench({
  group: "per-task overhead (sequential)",
  name: "ProcessPool, one task at a time",
  ...BENCH,
  async fn(b) {
    await onPool(b, "process", sequential);
  },
});
