// The sync/ of two checkouts in ONE process, bench by bench, same bodies: on a shared,
// noisy machine this compares far better than two `deno task bench:sync` runs (whose
// unchanged benches moved by ±50% between runs on 2026-12-05). Interleave the order
// too: the tree benched second ran up to ~15% slower on both sides.
//
//   SYNC_BASE=/work/base SYNC_FIRST=base flock /tmp/tandem-bench.lock \
//     deno bench --allow-read --allow-env bench/sync_compare.ts
//   SYNC_BASE=/work/base SYNC_FIRST=main flock /tmp/tandem-bench.lock \
//     deno bench --allow-read --allow-env bench/sync_compare.ts
//
// "main" is this checkout; SYNC_BASE names the other (default: this one again).
type Sync = typeof import("../sync/mod.ts");

const root = (Deno.env.get("SYNC_BASE") ?? new URL("..", import.meta.url).pathname)
  .replace(/\/$/, "");
const base: Sync = await import(new URL(`file://${root}/sync/mod.ts`).href);
const main: Sync = await import("../sync/mod.ts");
const trees: [string, Sync][] = Deno.env.get("SYNC_FIRST") === "main"
  ? [["main", main], ["base", base]]
  : [["base", base], ["main", main]];

const OPS = 1_000;
let sink = 0;

for (const [tree, sync] of trees) {
  const baseline = tree === "base";
  const bench = (group: string, fn: () => void | Promise<void>): void =>
    Deno.bench({ name: `${tree} ${group}`, group, baseline }, fn);
  const lock = new sync.Lock();
  const fair = new sync.Lock({ fifo: true });
  const rlock = new sync.RLock();
  const semaphore = new sync.Semaphore(1);
  const many = Array.from({ length: 8 }, () => new sync.Lock());
  const clones = many.map((one) => sync.Lock.from(structuredClone(one)));
  const withValue = structuredClone([new sync.SharedValue("int32", 0), 5]);
  const withLock = structuredClone([new sync.Lock(), 5]);

  bench("Lock acquire/release (x1000)", () => {
    for (let i = 0; i < OPS; i++) {
      lock.acquire();
      lock.release();
    }
  });
  bench("Lock fifo acquire/release (x1000)", () => {
    for (let i = 0; i < OPS; i++) {
      fair.acquire();
      fair.release();
    }
  });
  bench("RLock acquire/release (x1000)", () => {
    for (let i = 0; i < OPS; i++) {
      rlock.acquire();
      rlock.release();
    }
  });
  bench("Lock.withLock(fn) (x1000)", () => {
    for (let i = 0; i < OPS; i++) lock.withLock(() => sink++);
  });
  bench("Lock.hold() with using (x1000)", () => {
    for (let i = 0; i < OPS; i++) {
      using _held = lock.hold();
      sink++;
    }
  });
  bench("Semaphore acquire/release (x1000)", () => {
    for (let i = 0; i < OPS; i++) {
      semaphore.acquire();
      semaphore.release();
    }
  });
  bench("await Lock.acquireAsync()/release (x1000)", async () => {
    for (let i = 0; i < OPS; i++) {
      await lock.acquireAsync();
      lock.release();
    }
  });
  bench("8 locks in turn (x1000)", () => {
    for (let i = 0; i < OPS; i++) {
      const one = many[i & 7];
      one.acquire();
      one.release();
    }
  });
  bench("8 cloned locks in turn (x1000)", () => {
    for (let i = 0; i < OPS; i++) {
      const one = clones[i & 7];
      one.acquire();
      one.release();
    }
  });
  bench("revive [cloned SharedValue, 5] (x1000)", () => {
    for (let i = 0; i < OPS; i++) sync.reviveShared(withValue.slice());
  });
  bench("revive [cloned Lock, 5] (x1000)", () => {
    for (let i = 0; i < OPS; i++) sync.reviveShared(withLock.slice());
  });
  bench("new Lock() (x1000)", () => {
    for (let i = 0; i < OPS; i++) sink += new sync.Lock().locked ? 1 : 0;
  });
  bench("new SharedValue('int32') (x1000)", () => {
    for (let i = 0; i < OPS; i++) sink += new sync.SharedValue("int32").value;
  });
}

globalThis.addEventListener("unload", () => {
  if (sink < 0) console.log(sink);
});
