// A Redis that never answers at start (a wrong URL, a stopped server): the pool, the
// worker and its command line fail with a clear error in bounded time instead of
// waiting for ever. A closed loopback port stands for it; no redis-server is needed.

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { ClusterPool } from "../../cluster/cluster_pool.ts";
import { ClusterWorker } from "../../cluster/worker.ts";
import { BrokenPoolError } from "../../pool/broken_pool_error.ts";
import { queueName, TASKS, type Tasks, within } from "./_helpers.ts";

/** A loopback port that nothing listens on (it was free a moment ago). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("ClusterPool rejects its tasks with a BrokenPoolError when Redis never answers", async () => {
  const port = closedPort();
  const pool = new ClusterPool<Tasks>(TASKS, {
    redis: `redis://127.0.0.1:${port}`,
    queue: queueName(),
    connectTimeout: 500,
  });
  const task = pool.submit("inc", [1]);
  const message = `Cannot run tasks as Redis at redis://127.0.0.1:${port} does not answer ` +
    `within 500 ms: connection refused`;
  await assertRejects(() => within(task, 5_000, "the task"), BrokenPoolError, message);
  await assertRejects(() => pool.whenReady(), BrokenPoolError, message);
  // A task submitted after the failure rejects at once, with the same error.
  await assertRejects(() => pool.submit("inc", [2]), BrokenPoolError, message);
  assertEquals(pool.stats.failed, 2);
  // Nothing left to wait for: shutdown closes what it opened and returns.
  await within(pool.shutdown(), 5_000, "the shutdown");
});

Deno.test("ClusterWorker.start() rejects with the URL when Redis never answers", async () => {
  const port = closedPort();
  const worker = new ClusterWorker(TASKS, {
    redis: `redis://127.0.0.1:${port}`,
    queue: queueName(),
    threads: 1,
    connectTimeout: 500,
  });
  await assertRejects(
    () => within(worker.start(), 5_000, "the start"),
    Error,
    `Cannot start worker as Redis at redis://127.0.0.1:${port} does not answer within 500 ms`,
  );
  await within(worker.close({ graceMs: 0 }), 5_000, "the close");
});

Deno.test("deno task worker exits 2 with one line when Redis never answers", async () => {
  const port = closedPort();
  const cli = new URL("../../cluster/worker_cli.ts", import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      "--allow-sys=hostname",
      `--allow-net=127.0.0.1:${port}`,
      cli.pathname,
      ...["--redis", `redis://127.0.0.1:${port}`, "--queue", "q", "--threads", "1"],
      ...["--connect-timeout", "0.5", TASKS.pathname],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const { code, stderr } = await within(child.output(), 20_000, "the worker's exit");
  assertEquals(code, 2);
  const text = new TextDecoder().decode(stderr);
  assertStringIncludes(
    text,
    `worker: Cannot start worker as Redis at redis://127.0.0.1:${port} does not answer within 500 ms: connection refused`,
  );
  assertEquals(text.trim().split("\n").length, 1, text);
  assert(!text.includes("Uncaught"), text);
});
