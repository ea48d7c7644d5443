// Contended throughput and wake-up latency of the sync/ Lock with real Workers.
//
//   flock /tmp/tandem-bench.lock deno bench --allow-read bench/sync_workers_bench.ts
//
// "2 workers x 1,000,000 increments" benches: one iteration = both workers doing
// 1,000,000 lock-guarded increments each. Workers are started, and warmed up by one
// untimed run of the same work, outside the timing: a fresh worker's V8 needs about
// 500,000 iterations of the loop to reach optimized code on this machine, and the bench
// is about the lock, not the JIT's tier-up.
// Throughput = 2,000,000 / time; the count is checked after every iteration. A blocking
// Lock spins ~50 µs before sleeping, so the lock changes hands rarely and 2 contending
// workers get close to one worker alone ("ceiling": 2,000,000 increments, no contention).
// The latency bench prints the median time from a worker's release() to the main
// thread's acquireAsync() resolving (clocks: performance.timeOrigin + now()).
import { Barrier, Lock, SharedArray, SharedValue } from "../sync/mod.ts";

const N = 1_000_000;
const WORKER = new URL("./sync_bench_worker.ts", import.meta.url);

function start(count: number): Promise<Worker[]> {
  return Promise.resolve(
    Array.from({ length: count }, () => new Worker(WORKER, { type: "module" })),
  );
}

function run(worker: Worker, message: unknown): Promise<void> {
  return new Promise((resolve) => {
    worker.onmessage = () => resolve();
    worker.postMessage(message);
  });
}

const group = "2 workers x 1,000,000 lock-guarded increments";

Deno.bench({ name: "bare futex lock", group, baseline: true, n: 5, warmup: 1 }, async (b) => {
  const raw = new SharedArray("int32", 1);
  await contendedWith(b, "bare", raw);
});

Deno.bench({ name: "Lock, raw Int32Array counter", group, n: 5, warmup: 1 }, async (b) => {
  const raw = new SharedArray("int32", 1);
  await contendedWith(b, "lockRaw", raw);
});

// The ceiling: one worker doing all 2,000,000 increments alone, with no contention.
Deno.bench({ name: "Lock, one worker alone (ceiling)", group, n: 5, warmup: 1 }, async (b) => {
  const raw = new SharedArray("int32", 1);
  await contendedWith(b, "lockRaw", raw, undefined, undefined, 1);
});

Deno.bench({ name: "Lock, SharedValue.value counter", group, n: 5, warmup: 1 }, async (b) => {
  const counter = new SharedValue("int32", 0);
  await contendedWith(b, "lockValue", undefined, counter);
});

const FAIR_EACH = 200_000;
const fairGroup = "fairness: 2 workers x 200,000 lock-guarded increments";

for (const fifo of [false, true]) {
  Deno.bench({
    name: fifo ? "Lock fifo (handoff)" : "Lock barging (default)",
    group: fairGroup,
    baseline: !fifo,
    n: 3,
    warmup: 1,
  }, async (b) => {
    const workers = await start(2);
    const lock = new Lock({ fifo });
    const raw = new SharedArray("int32", 1);
    const shares = new SharedArray("int32", 4);
    const barrier = new Barrier(2);
    try {
      // Load the worker modules first, then start both together at the barrier.
      await Promise.all(workers.map((w) => run(w, { op: "bare", n: 0, raw, bare: raw })));
      b.start();
      await Promise.all(
        workers.map((w, index) =>
          run(w, { op: "share", n: FAIR_EACH, lock, raw, shares, index, barrier })
        ),
      );
      b.end();
    } finally {
      for (const w of workers) w.terminate();
    }
    const switches = shares.get(3);
    console.log(
      `${fifo ? "fifo" : "barging"}: the lock changed hands ${switches} times in ${
        2 * FAIR_EACH
      } acquisitions`,
    );
  });
}

async function contendedWith(
  b: Deno.BenchContext,
  op: string,
  raw = new SharedArray("int32", 1),
  counter = new SharedValue("int32", 0),
  lock = new Lock(),
  count = 2,
): Promise<void> {
  const workers = await start(count);
  const bare = new SharedArray("int32", 1);
  const message = (n: number) => ({ op, n: n * 2 / count, lock, counter, raw, bare });
  try {
    await Promise.all(workers.map((w) => run(w, message(N))));
    counter.value = 0;
    raw.set(0, 0);
    b.start();
    await Promise.all(workers.map((w) => run(w, message(N))));
    b.end();
  } finally {
    for (const w of workers) w.terminate();
  }
  const total = op === "lockValue" ? counter.value : raw.get(0);
  if (total !== 2 * N) throw new Error(`Lost updates: counted ${total}, expected ${2 * N}`);
}

const ROUNDS = 2_000;

/** Waits (`Atomics.waitAsync`) while `i32[index]` is `expected`; false on timeout. */
async function waitWhile(i32: Int32Array, index: number, expected: number): Promise<boolean> {
  const waited = Atomics.waitAsync(i32, index, expected, 10_000);
  if (!waited.async) return true;
  // A pending waitAsync does not keep the event loop alive: a timer does.
  const keepAlive = setTimeout(() => {}, 10_000);
  const outcome = await waited.value;
  clearTimeout(keepAlive);
  return outcome !== "timed-out";
}

// Rounds alternate between the lock and the runtime's floor, so both see the same
// machine: this VM's wake-up of an idle core swings between ~10 and ~70 µs from one
// minute to the next. Each round: the worker says it is ready (flags[3]; in a lock
// round it holds the lock by then); the main thread starts waiting, on the lock
// (acquireAsync) or on flags[0] (a bare Atomics.waitAsync), and sets flags[1]; the
// worker, woken by that, stamps the time and releases the lock or bumps flags[0]; the
// main thread measures and sets flags[2].
Deno.bench(
  { name: "acquireAsync wake-up after a worker's release (x2000)", n: 1, warmup: 0 },
  async () => {
    const [worker] = await start(1);
    const lock = new Lock();
    const flags = new SharedArray("int32", 4);
    const times = new SharedArray("float64", ROUNDS);
    const latencies: number[][] = [[], []];
    const done = run(worker, { op: "latency", n: ROUNDS, lock, flags, times });
    const view = flags.view;
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const bare = round % 2;
        if (!(await waitWhile(view, 3, round - 1))) throw new Error("The worker is stuck");
        const woken = bare ? waitWhile(view, 0, Atomics.load(view, 0)) : lock.acquireAsync(10_000); // registers its waiter synchronously
        Atomics.store(view, 1, round);
        Atomics.notify(view, 1);
        if (!(await woken)) throw new Error("The wake-up timed out");
        latencies[bare].push(performance.timeOrigin + performance.now() - times.view[round - 1]);
        if (!bare) lock.release();
        Atomics.store(view, 2, round);
        Atomics.notify(view, 2);
      }
      await done;
    } finally {
      worker.terminate();
    }
    const median = (list: number[]) => list.sort((a, b) => a - b)[list.length >> 1] * 1000;
    const [ours, floor] = latencies.map(median);
    console.log(
      `wake-up medians over ${ROUNDS} interleaved rounds: acquireAsync ${ours.toFixed(1)} µs, ` +
        `bare Atomics.waitAsync ${floor.toFixed(1)} µs (the floor), difference ${
          (ours - floor).toFixed(1)
        } µs`,
    );
  },
);
