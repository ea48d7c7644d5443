// What 100,000 locks (or SharedValues) cost to make and to keep: µs each and RSS growth,
// for the sync/ of a given checkout, so that two trees can be compared in one sitting.
//
//   flock /tmp/tandem-bench.lock deno run --allow-read bench/sync_lock_cost.ts \
//     [root=.] [Lock|RLock|SharedValue] [count=100000]
//
// Each run is a fresh process (RSS is the process's own); run it a few times per tree,
// in turns.
const [root = ".", kind = "Lock", count = "100000"] = Deno.args;
const url = new URL(`${root.replace(/\/$/, "")}/sync/mod.ts`, `file://${Deno.cwd()}/`);
const sync = await import(url.href);
const n = Number(count);
const make: () => unknown = kind === "SharedValue"
  ? () => new sync.SharedValue("int32", 1)
  : kind === "RLock"
  ? () => new sync.RLock()
  : () => new sync.Lock();

const kept: unknown[] = new Array(n);
const before = Deno.memoryUsage().rss;
const start = performance.now();
for (let i = 0; i < n; i++) kept[i] = make();
const ms = performance.now() - start;
const grown = Deno.memoryUsage().rss - before;
console.log(
  `${kind} x${n} (${root}): ${(ms * 1000 / n).toFixed(2)} µs each (${ms.toFixed(0)} ms), ` +
    `RSS +${(grown / 2 ** 20).toFixed(1)} MiB (${Math.round(grown / n)} B each)`,
);
