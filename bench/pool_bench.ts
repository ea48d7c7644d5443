// Benchmarks of pool/: `flock /tmp/tandem-bench.lock deno bench -A bench/pool_bench.ts`
// Every group has its raw baseline measured in the same run.
import { ProcessPool, WorkerPool } from "../pool/mod.ts";
import { count } from "./pool_bench_tasks.ts";

const TASKS = new URL("./pool_bench_tasks.ts", import.meta.url);
const RAW = new URL("./pool_raw_worker.ts", import.meta.url);
type Tasks = typeof import("./pool_bench_tasks.ts");

const TINY = 100_000;
const MAP_INPUTS = 1_000_000;
const CPU_TASKS = 8;
const CPU_N = 50_000_000;
const BENCH = { n: 3, warmup: 1 };

function startRaw(n: number): Promise<Worker[]> {
  const workers = Array.from({ length: n }, () => new Worker(RAW, { type: "module" }));
  // One round trip each so that the measured part starts with loaded workers.
  return Promise.all(workers.map((w) =>
    new Promise<Worker>((resolve) => {
      w.onmessage = () => resolve(w);
      w.postMessage(0);
    })
  ));
}

/** Runs `total` messages over the workers, pipelined, round-robin. */
function rawPipelined(
  workers: Worker[],
  total: number,
  message: (i: number) => unknown,
): Promise<void> {
  return new Promise((resolve) => {
    let received = 0;
    for (const w of workers) {
      w.onmessage = () => {
        if (++received === total) resolve();
      };
    }
    for (let i = 0; i < total; i++) workers[i % workers.length].postMessage(message(i));
  });
}

/** A pool of 2 whose workers ran `inc` and `count` once (loaded and compiled). */
async function warmPool(): Promise<WorkerPool<Tasks>> {
  const pool = new WorkerPool<Tasks>(TASKS, { size: 2 });
  await Promise.all([pool.submit("count", [1e6]), pool.submit("count", [1e6])]);
  await Promise.all([pool.submit("inc", [0]), pool.submit("inc", [1])]);
  return pool;
}

// --- tiny tasks: 100,000 × x + 1 over 2 workers ---

Deno.bench({
  group: "tiny tasks",
  name: "raw pipelined postMessage, 2 workers",
  baseline: true,
  ...BENCH,
  async fn(b) {
    const workers = await startRaw(2);
    b.start();
    await rawPipelined(workers, TINY, (i) => i);
    b.end();
    for (const w of workers) w.terminate();
  },
});

Deno.bench({
  group: "tiny tasks",
  name: "WorkerPool.submit, size 2",
  ...BENCH,
  async fn(b) {
    const pool = await warmPool();
    b.start();
    const tasks = new Array(TINY);
    for (let i = 0; i < TINY; i++) tasks[i] = pool.submit("inc", [i]);
    for (let i = 0; i < TINY; i++) await tasks[i];
    b.end();
    await pool.shutdown();
  },
});

Deno.bench({
  group: "tiny tasks",
  name: "ProcessPool.submit, size 2",
  ...BENCH,
  async fn(b) {
    const pool = new ProcessPool<Tasks>(TASKS, { size: 2 });
    await Promise.all([pool.submit("inc", [0]), pool.submit("inc", [1])]);
    b.start();
    const tasks = new Array(TINY);
    for (let i = 0; i < TINY; i++) tasks[i] = pool.submit("inc", [i]);
    for (let i = 0; i < TINY; i++) await tasks[i];
    b.end();
    await pool.shutdown();
  },
});

// --- map: 1,000,000 inputs in chunks of 100 ---

Deno.bench({
  group: "map chunkSize 100",
  name: "raw batched postMessage, 2 workers",
  baseline: true,
  ...BENCH,
  async fn(b) {
    const workers = await startRaw(2);
    b.start();
    let sum = 0;
    await new Promise<void>((resolve) => {
      let received = 0;
      const chunks = MAP_INPUTS / 100;
      for (const w of workers) {
        w.onmessage = (e) => {
          for (const v of e.data as number[]) sum += v;
          if (++received === chunks) resolve();
        };
      }
      for (let c = 0; c < chunks; c++) {
        const chunk = new Array(100);
        for (let k = 0; k < 100; k++) chunk[k] = c * 100 + k;
        workers[c % 2].postMessage(chunk);
      }
    });
    b.end();
    if (sum === 0) throw new Error("no results");
    for (const w of workers) w.terminate();
  },
});

function* numbers(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

Deno.bench({
  group: "map chunkSize 100",
  name: "WorkerPool.map, size 2",
  ...BENCH,
  async fn(b) {
    const pool = await warmPool();
    b.start();
    let sum = 0;
    for await (const v of pool.map("inc", numbers(MAP_INPUTS), { chunkSize: 100 })) sum += v;
    b.end();
    if (sum === 0) throw new Error("no results");
    await pool.shutdown();
  },
});

// --- CPU-bound: 8 × count(50M) ---

Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "one thread",
  baseline: true,
  n: 3,
  warmup: 1,
  fn() {
    for (let i = 0; i < CPU_TASKS; i++) count(CPU_N);
  },
});

Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "raw 2 workers, postMessage (the parallel ceiling here)",
  n: 3,
  warmup: 1,
  async fn(b) {
    const workers = await startRaw(2);
    await rawPipelined(workers, 2, () => ({ count: 1e6 }));
    b.start();
    await rawPipelined(workers, CPU_TASKS, () => ({ count: CPU_N }));
    b.end();
    for (const w of workers) w.terminate();
  },
});

Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "WorkerPool, size 2",
  n: 3,
  warmup: 1,
  async fn(b) {
    const pool = await warmPool();
    b.start();
    await Promise.all(Array.from({ length: CPU_TASKS }, () => pool.submit("count", [CPU_N])));
    b.end();
    await pool.shutdown();
  },
});

Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "WorkerPool, size 2, right after 100,000 tiny tasks",
  n: 3,
  warmup: 1,
  async fn(b) {
    const pool = await warmPool();
    const burst = Array.from({ length: TINY }, (_, i) => pool.submit("inc", [i]));
    await Promise.all(burst);
    b.start();
    await Promise.all(Array.from({ length: CPU_TASKS }, () => pool.submit("count", [CPU_N])));
    b.end();
    await pool.shutdown();
  },
});

Deno.bench({
  group: "cpu 8 x count(50M)",
  name: "ProcessPool, size 2",
  n: 3,
  warmup: 1,
  async fn(b) {
    const pool = new ProcessPool<Tasks>(TASKS, { size: 2 });
    await Promise.all([pool.submit("count", [1e6]), pool.submit("count", [1e6])]);
    b.start();
    await Promise.all(Array.from({ length: CPU_TASKS }, () => pool.submit("count", [CPU_N])));
    b.end();
    await pool.shutdown();
  },
});

// --- worker start: first result of a fresh pool ---

Deno.bench({
  group: "first result",
  name: "raw new Worker + first round trip",
  baseline: true,
  n: 10,
  warmup: 2,
  async fn() {
    const workers = await startRaw(1);
    workers[0].terminate();
  },
});

Deno.bench({
  group: "first result",
  name: "new WorkerPool + first submit",
  n: 10,
  warmup: 2,
  async fn() {
    const pool = new WorkerPool<Tasks>(TASKS, { size: 2 });
    await pool.submit("inc", [0]);
    await pool.shutdown();
  },
});

// --- per-task overhead: 2,000 sequential round trips ---

const SEQ = 2_000;

Deno.bench({
  group: "per-task overhead (sequential)",
  name: "WorkerPool, one task at a time",
  baseline: true,
  n: 3,
  warmup: 1,
  async fn(b) {
    const pool = await warmPool();
    b.start();
    for (let i = 0; i < SEQ; i++) await pool.submit("inc", [i]);
    b.end();
    await pool.shutdown();
  },
});

Deno.bench({
  group: "per-task overhead (sequential)",
  name: "ProcessPool, one task at a time",
  n: 3,
  warmup: 1,
  async fn(b) {
    const pool = new ProcessPool<Tasks>(TASKS, { size: 2 });
    await Promise.all([pool.submit("inc", [0]), pool.submit("inc", [1])]);
    b.start();
    for (let i = 0; i < SEQ; i++) await pool.submit("inc", [i]);
    b.end();
    await pool.shutdown();
  },
});
