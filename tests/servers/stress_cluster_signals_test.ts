// Distributed stress when something goes away: a terminal's Ctrl+C (SIGINT to a whole
// process group) on `--cluster local`, an agent whose Redis is gone, an agent whose
// coordinator is gone. Real processes; each scenario a few seconds.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { Redis } from "ioredis";
import { HAVE_REDIS } from "../cluster/_helpers.ts";
import { startRedis } from "../../cluster/_redis_server.ts";
import { closeClient } from "../../cluster/_redis.ts";
import { runClusterStress } from "../../servers/_stress_cluster.ts";
import { claimKey } from "../../servers/_stress_cluster_protocol.ts";

const ROOT = new URL("../../", import.meta.url);
const CONFIG = new URL("../../deno.json", import.meta.url);
const AGENT_CLI = new URL("../../servers/stress_agent_cli.ts", import.meta.url);
/** A guard only, so that a hang fails the test instead of the suite: never reached when fixed. */
const HANG_MS = 20_000;

/** A loopback target that counts the requests it answered. */
function countingTarget() {
  let count = 0;
  const first = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    count++;
    first.resolve();
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    count: () => count,
    first: first.promise,
    server,
  };
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT"); // harmless: tells whether it still exists
    return true;
  } catch {
    return false;
  }
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Waits for `status`, or kills `pids` after {@linkcode HANG_MS} and says so. */
async function statusOrKill(
  status: Promise<Deno.CommandStatus>,
  kill: () => void,
): Promise<Deno.CommandStatus | "hung"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) =>
    timer = setTimeout(() => {
      kill();
      resolve("hung");
    }, HANG_MS)
  );
  const result = await Promise.race([status, hung]);
  clearTimeout(timer);
  if (result === "hung") await status;
  return result;
}

/** PIDs of processes whose command line contains `text` (pgrep -f). */
async function pidsWith(text: string): Promise<number[]> {
  const { stdout } = await new Deno.Command("pgrep", { args: ["-f", "--", text] }).output();
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l !== "").map(Number);
}

/** `deno task stress`'s command line (deno.json), run from the project's root. */
const STRESS_TASK = [
  "run",
  "--allow-net=127.0.0.1,localhost,[::1]",
  "--allow-read=servers,sync",
  "--allow-run",
  "servers/stress_cli.ts",
];

Deno.test("a terminal's Ctrl+C on --cluster local gives the partial report, exit 130, nothing left", async () => {
  if (!HAVE_REDIS) return; // the skip is announced once by the helpers
  const target = countingTarget();
  // `deno task stress`'s flags; its own process group, so that the whole group gets the
  // SIGINT as from a terminal.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...STRESS_TASK,
      target.url,
      "--cluster",
      "local",
      "--agents",
      "2",
      "-d",
      "30s",
      "--rate",
      "100",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    detached: true,
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  let left: number[] = [];
  try {
    let url: string | undefined;
    while (url === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
      url = /Started redis-server at (redis:\/\/\S+) and/.exec(stdout)?.[1];
    }
    if (url === undefined) {
      throw new Error(`no 'Started redis-server' line: ${stdout}${await stderr}`);
    }
    const redis = new Redis(url);
    let dir: string, redisPid: number;
    try {
      dir = ((await redis.config("GET", "dir")) as string[])[1];
      redisPid = Number(/process_id:(\d+)/.exec(await redis.info("server"))![1]);
    } finally {
      await closeClient(redis, 500);
    }
    const agents = await pidsWith(`--redis ${url}`);
    assertEquals(agents.length, 2);
    left = [...agents, redisPid];
    await target.first;
    // As a terminal's Ctrl+C: the whole group (a negative PID).
    Deno.kill(-child.pid, "SIGINT");
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        stdout += value;
      }
    })();
    const status = await statusOrKill(child.status, () => {
      killAll([...left]);
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    });
    await reading;
    const errors = await stderr;
    if (status === "hung") {
      throw new Error(`still running after the group's SIGINT: ${stdout}\n${errors}`);
    }
    assertEquals(status.code, 130, errors);
    assertMatch(stdout, /agent +host +requests/);
    // The coordinator stopped them by PID before it exited.
    assertEquals(left.filter(alive), []);
    assertEquals(await Deno.stat(dir).then(() => "left", () => "removed"), "removed");
  } finally {
    killAll(left);
    await target.server.shutdown();
  }
});

Deno.test("a stress agent stops its run once its coordinator's claim is gone, and exits on SIGINT without Redis", async (t) => {
  if (!HAVE_REDIS) return; // the skip is announced once by the helpers
  const redis = await startRedis();
  const target = countingTarget();
  const id = `signals-${crypto.randomUUID().slice(0, 8)}`;
  const read = ["../../servers/", "../../sync/"].map((f) => new URL(f, import.meta.url).pathname);
  // As `deno task stress-agent` starts its child.
  const agent = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--config=${CONFIG.pathname}`,
      "--allow-net=127.0.0.1",
      `--allow-read=${read.join(",")}`,
      "--allow-env",
      "--allow-sys=hostname",
      AGENT_CLI.pathname,
      "--redis",
      redis.url,
      "--id",
      id,
      "--json",
    ],
    env: { TANDEM_STRESS_AGENT_CHILD: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(agent.stderr).text();
  const ready = Promise.withResolvers<void>();
  let events = "";
  const reading = (async () => {
    for await (const text of agent.stdout.pipeThrough(new TextDecoderStream())) {
      events += text;
      if (events.includes('"event":"ready"')) ready.resolve();
    }
    ready.reject(new Error(`agent exited before it was ready: ${events}`));
  })();
  try {
    await ready.promise;

    await t.step("the claim gone (a coordinator killed), the agent stops its shard", async () => {
      const client = new Redis(redis.url);
      try {
        const running = runClusterStress(
          { url: target.url, duration: 20_000, rate: 50, concurrency: 2 },
          { redis: redis.url, agents: 1 },
        );
        await target.first;
        // What a coordinator's death leaves: no one refreshes the claim.
        await client.del(claimKey(id));
        const report = await running;
        assert(report.requests < 1_000, `the whole shard ran: ${report.requests}`);
        assertEquals(report.agents.map((a) => a.lost), [false]);
        assertMatch(events, /"event":"done"/);
      } finally {
        await closeClient(client, 500);
      }
    });

    await t.step("Redis gone, SIGINT still stops the agent: exit 0", async () => {
      await redis.kill();
      agent.kill("SIGINT");
      const status = await statusOrKill(agent.status, () => killAll([agent.pid]));
      await reading;
      const errors = await stderr;
      if (status === "hung") throw new Error(`still running after SIGINT: ${events}\n${errors}`);
      assertEquals(status.code, 0, errors);
      assertMatch(events, /"event":"stopped"/);
    });
  } finally {
    killAll([agent.pid]);
    await agent.status;
    await reading.catch(() => {});
    await stderr;
    await redis.stop();
    await target.server.shutdown();
  }
});

Deno.test("deno task stress --cluster local without redis-server on PATH says so in one line, exit 2", async () => {
  const target = countingTarget();
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        ...STRESS_TASK,
        target.url,
        "--cluster",
        "local",
        "--agents",
        "2",
        "-n",
        "10",
      ],
      cwd: ROOT,
      stdin: "null",
      env: { NO_COLOR: "1", PATH: "/nonexistent" },
    }).output();
    const errors = new TextDecoder().decode(stderr);
    assertEquals(code, 2, errors);
    assertEquals(new TextDecoder().decode(stdout), "");
    assertMatch(
      errors,
      /^stress: Cannot start a local Redis as 'redis-server' is not on PATH: install redis-server \(apt install redis-server\) or give --cluster redis:\/\/HOST:PORT$/m,
    );
    assertEquals(target.count(), 0);
  } finally {
    await target.server.shutdown();
  }
});
