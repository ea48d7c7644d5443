// Benchmarks of cluster/ (`deno task bench:cluster`), against a redis-server on a free
// loopback port and worker processes started here (least permissions, 1 thread each):
//
// - tiny: 2,000 `inc` tasks through ClusterPool.submit vs raw BullMQ (addBulk +
//   QueueEvents, an inline BullMQ Worker), one worker process each, same concurrency;
// - map: 20,000 tiny inputs with chunkSize 1,000 on 2 workers (inputs/s = 20,000 / time);
// - cpu: 8 × count(5e8) on 2 worker processes vs 1;
// - round trip: one `inc` at a time on an idle pool (the median is printed at the end),
//   against one raw BullMQ job at a time;
// - the tiny and round-trip comparisons again with raw and Tandem alternated in each
//   iteration (medians printed at the end): the load of a shared machine drifts
//   between two bench groups (raw's average moved from 273 to 731 ms between runs).
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { ClusterPool } from "../cluster/cluster_pool.ts";
import { hasRedisServer, type LocalRedis, startRedis } from "../cluster/_redis_server.ts";
import { readPaths } from "../cluster/worker_cli.ts";

const TASKS = new URL("../tests/testdata/cluster_tasks.ts", import.meta.url);
type Tasks = typeof import("../tests/testdata/cluster_tasks.ts");

const TINY = 2_000;
const MAP_INPUTS = 20_000;
const CPU_TASKS = 8;
// count(5e7) takes ~16 ms here (V8 compiles the loop tightly): too short to show the
// workers in parallel over the ~3 ms per task of Redis; 5e8 takes ~160 ms.
const CPU_N = 500_000_000;
/** Jobs a worker holds at once in the tiny-task group, Tandem and raw alike. */
const CONCURRENCY = 16;

const children: Deno.ChildProcess[] = [];
let redis: LocalRedis | undefined;

async function started(
  stream: ReadableStream<Uint8Array>,
  marker: string,
): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) throw new Error("a bench worker exited before it started");
    text += value;
  }
  (async () => {
    while (!(await reader.read()).done);
  })().catch(() => {});
}

async function tandemWorker(queue: string, concurrency?: number): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--allow-net=127.0.0.1:${redis!.port}`,
      `--allow-read=${readPaths(TASKS).join(",")}`,
      "--allow-env",
      "--allow-sys=hostname",
      new URL("../cluster/worker_cli.ts", import.meta.url).pathname,
      ...["--redis", redis!.url, "--queue", queue, "--threads", "1"],
      ...(concurrency ? ["--concurrency", String(concurrency)] : []),
      TASKS.pathname,
    ],
    stdin: "null",
    stdout: "null",
    // No --json: a log line per job would cost this process a read per job that the
    // raw worker (which logs nothing) does not (~50 ms of this process's CPU per 2,000).
    stderr: "piped",
  }).spawn();
  children.push(child);
  await started(child.stderr, "taking jobs");
}

async function rawWorker(queue: string): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--allow-net=127.0.0.1:${redis!.port}`,
      "--allow-env",
      new URL("./cluster_raw_worker.ts", import.meta.url).pathname,
      redis!.url,
      queue,
      String(CONCURRENCY),
    ],
    stdin: "null",
    stdout: "piped",
  }).spawn();
  children.push(child);
  await started(child.stdout, "started");
}

/** Raw BullMQ: addBulk then wait for every `completed` event of those jobs. */
class RawClient {
  #client: Redis;
  #eventsClient: Redis;
  #queue: Queue;
  #events: QueueEvents;
  #waiting = new Map<string, () => void>();
  #next = 0;

  constructor(url: string, queue: string) {
    this.#client = new Redis(url, { maxRetriesPerRequest: null });
    this.#eventsClient = new Redis(url, { maxRetriesPerRequest: null });
    this.#queue = new Queue(queue, { connection: this.#client });
    this.#events = new QueueEvents(queue, { connection: this.#eventsClient });
    this.#events.on("completed", ({ jobId }) => {
      this.#waiting.get(jobId)?.();
      this.#waiting.delete(jobId);
    });
  }

  ready(): Promise<void> {
    return this.#events.waitUntilReady().then(() => this.#queue.waitUntilReady()).then(() => {});
  }

  async run(n: number): Promise<void> {
    const jobs = [];
    const done = [];
    for (let i = 0; i < n; i++) {
      const jobId = `r${++this.#next}`;
      done.push(new Promise<void>((resolve) => this.#waiting.set(jobId, resolve)));
      jobs.push({
        name: "inc",
        data: { x: i },
        opts: { jobId, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } },
      });
    }
    // The same batch size as ClusterPool's addBulk (1,000).
    for (let i = 0; i < jobs.length; i += 1_000) {
      await this.#queue.addBulk(jobs.slice(i, i + 1_000));
    }
    await Promise.all(done);
  }
}

const roundTrips: number[] = [];
/** Alternated measures: on a shared machine the load drifts between two bench groups. */
const tinyRatios: number[] = []; // the first pair is the warm-up
const alternated: { raw: number[]; tandem: number[] } = { raw: [], tandem: [] };

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (!(await hasRedisServer())) {
  console.warn("cluster bench skipped: redis-server is not on PATH");
} else {
  redis = await startRedis();
  globalThis.addEventListener("unload", () => {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
    }
    Deno.kill(redis!.pid, "SIGTERM");
    try {
      Deno.removeSync(redis!.dir, { recursive: true });
    } catch {
      // redis-server may still hold it for a moment
    }
    if (roundTrips.length > 0) {
      const trips = roundTrips.slice(20); // not the warm-up
      console.log(
        `idle round trip: median ${median(trips).toFixed(3)} ms over ${trips.length} tasks`,
      );
    }
    if (tinyRatios.length > 1) {
      const ratios = tinyRatios.slice(1);
      console.log(
        `tiny tasks, alternated: raw time / ClusterPool time, median ${
          median(ratios).toFixed(2)
        } over ${ratios.length} pairs (${ratios.map((r) => r.toFixed(2)).join(", ")})`,
      );
    }
    if (alternated.raw.length > 20) {
      const raw = alternated.raw.slice(20), tandem = alternated.tandem.slice(20); // warm-up
      console.log(
        `idle round trip, alternated: median ClusterPool ${
          median(tandem).toFixed(3)
        } ms, raw BullMQ ${median(raw).toFixed(3)} ms over ${raw.length} pairs`,
      );
    }
  });
  const make = (queue: string) => new ClusterPool<Tasks>(TASKS, { redis: redis!.url, queue });
  await Promise.all([
    tandemWorker("tiny", CONCURRENCY),
    rawWorker("raw"),
    tandemWorker("one"),
    tandemWorker("two"),
    tandemWorker("two"),
  ]);
  const tiny = make("tiny"), one = make("one"), two = make("two");
  const raw = new RawClient(redis.url, "raw");
  await Promise.all([tiny.whenReady(), one.whenReady(), two.whenReady(), raw.ready()]);
  // Warm every path once (module loaded in each worker's thread, JIT).
  await Promise.all([
    ...Array.from({ length: 4 }, () => one.submit("count", [1e6])),
    ...Array.from({ length: 4 }, () => two.submit("count", [1e6])),
    ...Array.from({ length: 100 }, (_, i) => tiny.submit("inc", [i])),
    raw.run(100),
  ]);

  Deno.bench({
    name: "raw BullMQ addBulk + QueueEvents",
    group: "tiny",
    baseline: true,
    n: 10,
    warmup: 2,
    async fn() {
      await raw.run(TINY);
    },
  });
  Deno.bench({
    name: "ClusterPool.submit",
    group: "tiny",
    n: 10,
    warmup: 2,
    async fn() {
      await Promise.all(Array.from({ length: TINY }, (_, i) => tiny.submit("inc", [i])));
    },
  });
  Deno.bench({
    name: "raw BullMQ then ClusterPool.submit (ratio printed at the end)",
    group: "tiny, alternated",
    n: 8,
    warmup: 1,
    async fn() {
      const t0 = performance.now();
      await raw.run(TINY);
      const t1 = performance.now();
      await Promise.all(Array.from({ length: TINY }, (_, i) => tiny.submit("inc", [i])));
      tinyRatios.push((t1 - t0) / (performance.now() - t1));
    },
  });
  Deno.bench({
    name: `ClusterPool.map chunkSize 1000 (${MAP_INPUTS} inputs)`,
    group: "map",
    n: 10,
    warmup: 2,
    async fn() {
      let n = 0;
      const inputs = Array.from({ length: MAP_INPUTS }, (_, i) => i);
      for await (const _ of two.map("inc", inputs, { chunkSize: 1_000 })) n++;
      if (n !== MAP_INPUTS) throw new Error(`map gave ${n} results`);
    },
  });
  Deno.bench({
    name: "1 worker process",
    group: "cpu",
    baseline: true,
    n: 3,
    warmup: 1,
    async fn() {
      await Promise.all(Array.from({ length: CPU_TASKS }, () => one.submit("count", [CPU_N])));
    },
  });
  Deno.bench({
    name: "2 worker processes",
    group: "cpu",
    n: 3,
    warmup: 1,
    async fn() {
      await Promise.all(Array.from({ length: CPU_TASKS }, () => two.submit("count", [CPU_N])));
    },
  });
  Deno.bench({
    name: "raw BullMQ, one job",
    group: "round trip",
    baseline: true,
    n: 300,
    warmup: 20,
    async fn() {
      await raw.run(1);
    },
  });
  Deno.bench({
    name: "idle round trip (one inc)",
    group: "round trip",
    n: 300,
    warmup: 20,
    async fn() {
      const t0 = performance.now();
      await two.submit("inc", [1]);
      roundTrips.push(performance.now() - t0);
    },
  });
  Deno.bench({
    name: "raw BullMQ one job then one inc (medians printed at the end)",
    group: "round trip, alternated",
    n: 200,
    warmup: 20,
    async fn() {
      const t0 = performance.now();
      await raw.run(1);
      const t1 = performance.now();
      await two.submit("inc", [1]);
      alternated.raw.push(t1 - t0);
      alternated.tandem.push(performance.now() - t1);
    },
  });
}
