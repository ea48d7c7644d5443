// Makespan of mixed task durations on 2 workers against the greedy optimum: the
// makespan of list scheduling, where each task in submission order starts on the
// first worker to be free (what Python's executors do); goal <= 1.1. The makespan
// alone hides a short task that waits behind a long one while a worker idles, so the
// mean completion time of the tasks is compared with list scheduling's too.
// Tasks spin on the wall clock, so load from other processes does not stretch them.
//
//   flock /tmp/tandem-bench.lock deno run -A bench/makespan_compare.ts [pool/mod.ts URL] [rounds]
//
// The first argument picks the pool module (e.g. an older checkout's) to compare.

const poolUrl = Deno.args[0] ?? new URL("../pool/mod.ts", import.meta.url).href;
const ROUNDS = Number(Deno.args[1] ?? 3);
const { WorkerPool, ProcessPool, asCompleted } = await import(
  poolUrl.includes(":") ? poolUrl : new URL(poolUrl, `file://${Deno.cwd()}/`).href
);

function spin(ms: number): number {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
  return ms;
}

/** List scheduling of `durations` on `workers` workers: makespan and mean completion. */
function greedy(durations: number[], workers: number): [number, number] {
  const free = new Array(workers).fill(0);
  let sum = 0;
  for (const d of durations) {
    let k = 0;
    for (let i = 1; i < workers; i++) if (free[i] < free[k]) k = i;
    free[k] += d;
    sum += free[k];
  }
  return [Math.max(...free), sum / durations.length];
}

/** Seeded durations: mostly short tasks with a few long ones. */
function mixed(n: number, seed: number): number[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const kinds = [1, 2, 5, 5, 10, 20, 80];
  return Array.from({ length: n }, () => kinds[Math.floor(next() * kinds.length)]);
}

const scenarios: [string, number[]][] = [
  ["[400, 400, 5, 5, 5, 5]", [400, 400, 5, 5, 5, 5]],
  ["[400, 5 x 6]", [400, 5, 5, 5, 5, 5, 5]],
  ["[5 x 6, 400]", [5, 5, 5, 5, 5, 5, 400]],
  ["60 mixed 1-80 ms", mixed(60, 7)],
  ["200 x 2 ms + 200", [...Array(200).fill(2), 200]],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

type Pool = {
  submit(fn: (ms: number) => number, args: [number]): PromiseLike<number>;
  shutdown(): Promise<void>;
};

/** Makespan and mean completion time of one run. */
async function makespan(pool: Pool, durations: number[]): Promise<[number, number]> {
  const start = performance.now();
  let sum = 0;
  await Promise.all(
    durations.map((d) => pool.submit(spin, [d]).then(() => sum += performance.now() - start)),
  );
  return [performance.now() - start, sum / durations.length];
}

const rows: string[] = [];
for (
  const [kind, make] of [
    ["WorkerPool", () => new WorkerPool({ size: 2 })],
    ["ProcessPool", () => new ProcessPool({ size: 2 })],
  ] as [string, () => Pool][]
) {
  const pool = make();
  // Warm both workers, and the dispatcher's measure of task time, with tiny tasks.
  await Promise.all(Array.from({ length: 200 }, () => pool.submit(spin, [0])));
  for (const [name, durations] of scenarios) {
    const times: number[] = [];
    const means: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [total, mean] = await makespan(pool, durations);
      times.push(total);
      means.push(mean);
      // Tiny tasks between rounds, as a program would run: the dispatcher measures
      // tasks short again before the next mix.
      await Promise.all(Array.from({ length: 200 }, () => pool.submit(spin, [0])));
    }
    const [ideal, idealMean] = greedy(durations, 2);
    const m = median(times);
    const mean = median(means);
    rows.push(
      `${kind.padEnd(12)} ${name.padEnd(24)} makespan ${m.toFixed(0).padStart(4)} ms / greedy ${
        ideal.toFixed(0).padStart(4)
      } = ${(m / ideal).toFixed(2)}   mean completion ${mean.toFixed(0).padStart(4)} / ${
        idealMean.toFixed(0).padStart(4)
      } = ${(mean / idealMean).toFixed(2)}`,
    );
  }
  // asCompleted over [300, 150, 10] ms: the order results arrive in.
  const tasks = [300, 150, 10].map((d) => pool.submit(spin, [d]));
  const order: number[] = [];
  for await (const value of asCompleted(tasks)) order.push(value as number);
  rows.push(
    `${kind.padEnd(12)} asCompleted [300, 150, 10] yields ${
      order.join(", ")
    } (greedy: 150, 10, 300)`,
  );
  await pool.shutdown();
}
console.log(rows.join("\n"));
console.log(
  `(${poolUrl}; ${ROUNDS} rounds, medians; load average ${
    Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
  })`,
);
