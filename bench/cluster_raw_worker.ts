// The raw BullMQ baseline's worker for bench/cluster_bench.ts: a BullMQ Worker that
// runs `x + 1` inline (no thread, no value encoding). Usage:
// deno run --allow-net=127.0.0.1 --allow-env cluster_raw_worker.ts URL QUEUE CONCURRENCY
import { Worker } from "bullmq";
import { Redis } from "ioredis";

const [url, queue, concurrency] = Deno.args;
const connection = new Redis(url, { maxRetriesPerRequest: null });
const worker = new Worker(queue, (job) => Promise.resolve(job.data.x + 1), {
  connection,
  concurrency: Number(concurrency),
});
await worker.waitUntilReady();
console.log("started");
const stop = async () => {
  await worker.close();
  connection.disconnect();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
