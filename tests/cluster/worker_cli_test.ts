// The worker CLI's task permission flags (cluster/_task_permissions.ts): parsed and
// checked without Redis; one worker with --processes shows they reach the tasks.

import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ClusterPool } from "../../cluster/cluster_pool.ts";
import {
  grantFlags,
  missingGrants,
  PermissionFlagError,
  takePermissionFlags,
} from "../../cluster/_task_permissions.ts";
import {
  queueName,
  redisTest,
  TASKS,
  type Tasks,
  withClient,
  within,
  workerProcess,
} from "./_helpers.ts";

Deno.test("takePermissionFlags() takes deno's --allow-* flags and merges repeats", () => {
  const { permissions, rest } = takePermissionFlags([
    "--queue",
    "q",
    "--allow-net=a.example:443",
    "--allow-env",
    "./tasks.ts",
    "--allow-net=b.example,[::1]:80",
    "--allow-read=/data",
    "--allow-read",
    "--allow-sys=cpus",
  ]);
  assertEquals(permissions, {
    net: ["a.example:443", "b.example", "[::1]:80"],
    env: true,
    read: true,
    sys: ["cpus"],
  });
  // A bare flag takes no value: the module stays an argument.
  assertEquals(rest, ["--queue", "q", "./tasks.ts"]);
  assertEquals(takePermissionFlags(["--", "--allow-net"]).rest, ["--", "--allow-net"]);
});

Deno.test("takePermissionFlags() refuses unknown permissions and malformed lists", () => {
  const cases: [string, string][] = [
    ["--allow-net=", "--allow-net must list non-empty values: received ''"],
    ["--allow-read=/a,,/b", "--allow-read must list non-empty values: received '/a,,/b'"],
    ["--allow-net=http://x/y", "--allow-net must list hosts with an optional port"],
    ["--allow-net=host:99999", "received 'host:99999'"],
    ["--allow-sys=nope", "--allow-sys must list names among hostname"],
    ["--allow-env=A=B", "--allow-env must list variable names: received 'A=B'"],
    ["--allow-write=/a b", "--allow-write must list values without spaces: received '/a b'"],
    ["--allow-hrtime", "unknown permission flag '--allow-hrtime'"],
    ["-A", "-A is not accepted"],
    ["--allow-all", "--allow-all is not accepted"],
  ];
  for (const [flag, message] of cases) {
    assertThrows(() => takePermissionFlags([flag]), PermissionFlagError, message);
  }
});

Deno.test("grantFlags() adds task grants to a worker's own, one flag per permission", () => {
  const own = { net: ["127.0.0.1:6379"], env: true, sys: ["hostname"], read: ["/app/"] };
  assertEquals(grantFlags(own, {}), [
    "--allow-read=/app/",
    "--allow-net=127.0.0.1:6379",
    "--allow-env",
    "--allow-sys=hostname",
  ]);
  assertEquals(
    grantFlags(own, { net: ["api.example:443"], read: true, write: ["/tmp"], env: ["TOKEN"] }),
    [
      "--allow-read",
      "--allow-write=/tmp",
      "--allow-net=127.0.0.1:6379,api.example:443",
      "--allow-env",
      "--allow-sys=hostname",
    ],
  );
});

Deno.test("missingGrants() names the task grants this process lacks", () => {
  // The test task grants read and run, never ffi.
  assertEquals(missingGrants({ read: ["/"], run: true, ffi: ["/lib.so"] }), [
    "--allow-ffi=/lib.so",
  ]);
  assertEquals(missingGrants({ ffi: true }), ["--allow-ffi"]);
});

Deno.test("deno task worker exits 2 with one clear line on a bad permission flag", async () => {
  const cli = new URL("../../cluster/worker_cli.ts", import.meta.url);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      cli.pathname,
      ...["--redis", "redis://127.0.0.1:1", "--queue", "q", "--allow-net=a,,b", TASKS.pathname],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(code, 2);
  const text = new TextDecoder().decode(stderr);
  assertStringIncludes(text, "worker: --allow-net must list non-empty values: received 'a,,b'\n");
  assert(!text.includes("Uncaught"), text);
});

redisTest(
  "deno task worker --processes --allow-net=HOST gives the task processes that grant only",
  async (redis) => {
    const queue = queueName();
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
    await pool.whenReady();
    // As `deno task worker` starts it: it relaunches itself with its least grants,
    // and its ProcessPool's processes get exactly --allow-net=127.0.0.1:PORT.
    const worker = workerProcess(
      redis,
      queue,
      ["--processes", `--allow-net=127.0.0.1:${redis.port}`],
      TASKS,
      { launcher: true },
    );
    await within(worker.next("started"), 30_000, "the worker's start");
    const key = `go-${queue}`;
    await withClient(redis, (c) => c.set(key, "1"));
    const pid = await within(
      pool.submit("pidWhenKeySet", [redis.port, key, 10_000]),
      30_000,
      "the task",
    );
    assert(pid !== worker.pid, "the task ran in a task process");
    // Another port is not granted to the task processes.
    const error = await within(
      pool.submit("pidWhenKeySet", [redis.port + 1, key, 10_000]).then(() => undefined, (e) => e),
      30_000,
      "the refused task",
    ) as Error;
    assertEquals(error.name, "NotCapable");
    assertStringIncludes(error.message, `127.0.0.1:${redis.port + 1}`);
    worker.kill("SIGTERM");
    assertEquals((await worker.status).code, 0);
    const stderr = await worker.stderr();
    assert(!stderr.includes("Uncaught"), stderr);
  },
);
