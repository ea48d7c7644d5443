// Interleaved comparison of pool/ against raw baselines: every round runs each
// contender once, in turn, so that load from other processes hits all of them
// alike; the script prints medians and ratios of medians.
//
//   flock /tmp/tandem-bench.lock deno run -A bench/pool_compare.ts [rounds]
import { ProcessPool, WorkerPool } from "../pool/mod.ts";
import { numbers, rawChunk, rawPipelined as rawRound, startRaw } from "./pool_bench_raw.ts";
import { count } from "./pool_bench_tasks.ts";

const TASKS = new URL("./pool_bench_tasks.ts", import.meta.url);
type Tasks = typeof import("./pool_bench_tasks.ts");

const ROUNDS = Number(Deno.args[0] ?? 5);
const TINY = 100_000;
const MAP_INPUTS = 1_000_000;
const CPU_N = 50_000_000;

async function time(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const raw = await startRaw(2);
const pool = new WorkerPool<Tasks>(TASKS, { size: 2 });
const processes = new ProcessPool<Tasks>(TASKS, { size: 2 });
for (const p of [pool, processes]) {
  await Promise.all([p.submit("count", [1e6]), p.submit("count", [1e6])]);
}
await rawRound(raw, 2, () => ({ count: 1e6 }));

const t: Record<string, number[]> = {};
const add = (name: string, ms: number) => (t[name] ??= []).push(ms);

for (let round = 0; round < ROUNDS; round++) {
  add("tiny: raw pipelined", await time(() => rawRound(raw, TINY, (i) => i)));
  add(
    "tiny: WorkerPool",
    await time(() => Promise.all(Array.from({ length: TINY }, (_, i) => pool.submit("inc", [i])))),
  );
  add(
    "tiny: ProcessPool",
    await time(() =>
      Promise.all(Array.from({ length: TINY }, (_, i) => processes.submit("inc", [i])))
    ),
  );
  add(
    "map: raw batched",
    await time(() => {
      const chunks = MAP_INPUTS / 100;
      return rawRound(raw, chunks, rawChunk);
    }),
  );
  add(
    "map: WorkerPool",
    await time(async () => {
      let sum = 0;
      for await (const v of pool.map("inc", numbers(MAP_INPUTS), { chunkSize: 100 })) sum += v;
      return sum;
    }),
  );
  add(
    "cpu: one thread",
    await time(() => {
      for (let i = 0; i < 8; i++) count(CPU_N);
    }),
  );
  add("cpu: raw 2 workers", await time(() => rawRound(raw, 8, () => ({ count: CPU_N }))));
  add(
    "cpu: WorkerPool",
    await time(() => Promise.all(Array.from({ length: 8 }, () => pool.submit("count", [CPU_N])))),
  );
  await Promise.all(Array.from({ length: TINY }, (_, i) => pool.submit("inc", [i])));
  add(
    "cpu: WorkerPool after burst",
    await time(() => Promise.all(Array.from({ length: 8 }, () => pool.submit("count", [CPU_N])))),
  );
  add(
    "cpu: ProcessPool",
    await time(() =>
      Promise.all(Array.from({ length: 8 }, () => processes.submit("count", [CPU_N])))
    ),
  );
  add(
    "seq: WorkerPool 2,000",
    await time(async () => {
      for (let i = 0; i < 2_000; i++) await pool.submit("inc", [i]);
    }),
  );
  add(
    "seq: ProcessPool 2,000",
    await time(async () => {
      for (let i = 0; i < 2_000; i++) await processes.submit("inc", [i]);
    }),
  );
  // Both starts run with nothing ending at the same time: a worker that ends right
  // before a new one starts slows that start down by about as much as the start
  // itself costs on this box, whichever contender comes second.
  let started: Worker[] = [];
  add("start: raw Worker + round trip", await time(async () => started = await startRaw(1)));
  let fresh: WorkerPool<Tasks> | undefined;
  add(
    "start: WorkerPool first result",
    await time(() => {
      fresh = new WorkerPool<Tasks>(TASKS, { size: 2 });
      return fresh.submit("inc", [0]);
    }),
  );
  started[0].terminate();
  await fresh?.shutdown();
}

// Idle round trip: one task at a time, awaited, with a 1 ms pause before each, so
// that the thread sleeps as it would between a service's requests; interleaved with
// a raw postMessage → reply to a parked Worker. Medians of 2,000 each.
const IDLE_TRIPS = 2_000;
const single = new WorkerPool<Tasks>(TASKS, { size: 1 });
await Promise.all(Array.from({ length: 100 }, (_, i) => single.submit("inc", [i])));
const idle: Record<string, number[]> = {
  raw: [],
  "WorkerPool size 1": [],
  "WorkerPool size 2": [],
};
const trips: [string, (i: number) => Promise<unknown>][] = [
  ["raw", (i) =>
    new Promise((resolve) => {
      raw[0].onmessage = resolve;
      raw[0].postMessage(i);
    })],
  ["WorkerPool size 1", (i) => single.submit("inc", [i])],
  ["WorkerPool size 2", (i) => pool.submit("inc", [i])],
];
for (let i = 0; i < IDLE_TRIPS + 100; i++) {
  for (let j = 0; j < trips.length; j++) {
    const [name, trip] = trips[(i + j) % trips.length];
    await new Promise((resolve) => setTimeout(resolve, 1));
    const start = performance.now();
    await trip(i);
    if (i >= 100) idle[name].push(performance.now() - start);
  }
}
await single.shutdown();
for (const w of raw) w.terminate();
await pool.shutdown();
await processes.shutdown();

const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
for (const [k, v] of Object.entries(m)) {
  console.log(`${k.padEnd(34)} ${v.toFixed(1).padStart(8)} ms`);
}
const r = (a: string, b: string) => (m[a] / m[b]).toFixed(2);
console.log(`
tiny tasks: WorkerPool is ${
  r("tiny: raw pipelined", "tiny: WorkerPool")
}x the raw loop (goal >= 0.8); ${
  Math.round(TINY / m["tiny: WorkerPool"] * 1000)
} tasks/s; ProcessPool ${Math.round(TINY / m["tiny: ProcessPool"] * 1000)} tasks/s
map chunkSize 100: ${
  Math.round(MAP_INPUTS / m["map: WorkerPool"] * 1000)
} inputs/s (goal >= 1,500,000); raw batched ${
  Math.round(MAP_INPUTS / m["map: raw batched"] * 1000)
}/s
cpu speedup vs one thread: WorkerPool ${r("cpu: one thread", "cpu: WorkerPool")}x, after burst ${
  r("cpu: one thread", "cpu: WorkerPool after burst")
}x, ProcessPool ${r("cpu: one thread", "cpu: ProcessPool")}x, raw 2 workers ${
  r("cpu: one thread", "cpu: raw 2 workers")
}x (goal >= 1.9)
per-task round trip: WorkerPool ${
  (m["seq: WorkerPool 2,000"] / 2000 * 1000).toFixed(0)
} us, ProcessPool ${(m["seq: ProcessPool 2,000"] / 2000 * 1000).toFixed(0)} us
idle round trip (median of ${IDLE_TRIPS}, 1 ms apart): raw ${
  (median(idle.raw) * 1000).toFixed(0)
} us, WorkerPool size 1 ${(median(idle["WorkerPool size 1"]) * 1000).toFixed(0)} us, size 2 ${
  (median(idle["WorkerPool size 2"]) * 1000).toFixed(0)
} us (+${((median(idle["WorkerPool size 1"]) - median(idle.raw)) * 1000).toFixed(0)} us over raw)
first result: ${
  r("start: WorkerPool first result", "start: raw Worker + round trip")
}x raw (goal <= 1.5)
(${ROUNDS} interleaved rounds, medians; machine shared with other work: load average ${
  Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
})`);
