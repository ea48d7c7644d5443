// Contended throughput and wake-up latency of the sync/ Lock with real Workers.
//
//   flock /tmp/tandem-bench.lock deno bench --allow-read bench/sync_workers_bench.ts
//
// "2 workers x 1,000,000 increments" benches: one iteration = both workers doing
// 1,000,000 lock-guarded increments each (workers are started outside the timing).
// Throughput = 2,000,000 / time; the count is checked after every iteration. A blocking
// Lock spins ~50 µs before sleeping, so the lock changes hands rarely and 2 contending
// workers get close to one worker alone ("ceiling": 2,000,000 increments, no contention).
// The latency bench prints the median time from a worker's release() to the main
// thread's acquireAsync() resolving (clocks: performance.timeOrigin + now()).
import { Barrier, Lock, Semaphore, SharedArray, SharedValue } from "../sync/mod.ts";

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
    await Promise.all(workers.map((w) => run(w, message(10_000))));
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

Deno.bench(
  { name: "acquireAsync wake-up after a worker's release (x2000)", n: 1, warmup: 0 },
  async () => {
    const [worker] = await start(1);
    const lock = new Lock();
    const flags = new SharedArray("int32", 3);
    const times = new SharedArray("float64", ROUNDS);
    const held = new Semaphore(0);
    const latencies: number[] = [];
    const done = run(worker, { op: "latency", n: ROUNDS, lock, flags, times, held });
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        // (A bare Atomics.waitAsync would not keep the event loop alive.)
        await held.acquireAsync();
        const acquired = lock.acquireAsync(10_000); // registers its waiter synchronously
        Atomics.store(flags.view, 1, round);
        Atomics.notify(flags.view, 1);
        if (!(await acquired)) throw new Error("acquireAsync timed out");
        latencies.push(performance.timeOrigin + performance.now() - times.view[round - 1]);
        lock.release();
        Atomics.store(flags.view, 2, round);
        Atomics.notify(flags.view, 2);
      }
      await done;
    } finally {
      worker.terminate();
    }
    latencies.sort((a, b) => a - b);
    const at = (q: number) => (latencies[Math.floor(q * (latencies.length - 1))] * 1000).toFixed(1);
    console.log(
      `acquireAsync wake-up latency over ${ROUNDS} rounds: median ${at(0.5)} µs, p90 ${
        at(0.9)
      } µs, p99 ${at(0.99)} µs`,
    );
  },
);
