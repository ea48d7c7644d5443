// Distributed stress: a real redis-server, real agent processes (started as
// `deno task stress-agent` starts its child: least permissions), a loopback target.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { HAVE_REDIS, redisTest } from "../cluster/_helpers.ts";
import type { LocalRedis } from "../../cluster/_redis_server.ts";
import {
  type ClusterStressReport,
  decodeHistogramCounts,
  planShards,
  runClusterStress,
} from "../../servers/_stress_cluster.ts";
import { encodeHistogram } from "../../servers/_hdr_log.ts";
import { Histogram } from "../../servers/_histogram.ts";

const CLI = new URL("../../servers/stress_agent_cli.ts", import.meta.url);
const CONFIG = new URL("../../deno.json", import.meta.url);

interface AgentProcess {
  readonly pid: number;
  ready: Promise<void>;
  kill(signal: Deno.Signal): void;
  stop(): Promise<void>;
}

function agentProcess(redis: LocalRedis): AgentProcess {
  const read = ["../../servers/", "../../sync/"].map((f) => new URL(f, import.meta.url).pathname);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--config=${CONFIG.pathname}`,
      "--allow-net=127.0.0.1",
      `--allow-read=${read.join(",")}`,
      "--allow-env",
      "--allow-sys=hostname",
      CLI.pathname,
      "--redis",
      redis.url,
      "--json",
    ],
    env: { TANDEM_STRESS_AGENT_CHILD: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const ready = Promise.withResolvers<void>();
  const reading = (async () => {
    let buffer = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += text;
      if (buffer.includes('"event":"ready"')) ready.resolve();
    }
    ready.reject(new Error(`agent exited before it was ready: ${buffer}`));
  })();
  const errors = new Response(child.stderr).text();
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  return {
    pid: child.pid,
    ready: ready.promise,
    kill,
    async stop() {
      kill("SIGTERM");
      await child.status;
      await reading;
      await errors;
    },
  };
}

/** A loopback target that counts the requests it answered. */
function countingTarget(): {
  url: string;
  count: () => number;
  server: Deno.HttpServer;
  first: Promise<void>;
} {
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
    server,
    first: first.promise,
  };
}

async function withAgents(
  redis: LocalRedis,
  n: number,
  fn: (agents: AgentProcess[]) => Promise<void>,
): Promise<void> {
  const agents = Array.from({ length: n }, () => agentProcess(redis));
  try {
    await Promise.all(agents.map((a) => a.ready));
    await fn(agents);
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
  }
}

redisTest(
  "runClusterStress() merges two agent processes: requests are the agents' sum",
  async (redis) => {
    const target = countingTarget();
    try {
      await withAgents(redis, 2, async () => {
        const report = await runClusterStress(
          { url: target.url, requests: 2_000, concurrency: 4, workers: 1 },
          { redis: redis.url, agents: 2 },
        );
        assertEquals(report.agents.length, 2);
        assertEquals(report.requests, 2_000);
        assertEquals(report.requests, report.agents[0].requests + report.agents[1].requests);
        assertEquals(report.successes, 2_000);
        assertEquals(report.statusCodes, { "200": 2_000 });
        assertEquals(target.count(), 2_000);
        // The merged histogram holds every response once.
        assertEquals(report.histogram.reduce((sum, b) => sum + b.count, 0), 2_000);
        assertEquals(report.timeline.reduce((sum, s) => sum + s.completed, 0), 2_000);
        assert(report.agents.every((a) => !a.lost && a.requests === 1_000));
        assertEquals(report.clusterError, undefined);
      });
    } finally {
      await target.server.shutdown();
    }
  },
);

redisTest("runClusterStress() marks a SIGKILLed agent lost and keeps its counts", async (redis) => {
  const target = countingTarget();
  try {
    await withAgents(redis, 2, async (agents) => {
      const controller = new AbortController();
      let killed = false;
      const report = await runClusterStress(
        { url: target.url, duration: 60_000, concurrency: 2, workers: 1 },
        {
          redis: redis.url,
          agents: 2,
          signal: controller.signal,
          onProgress(p) {
            if (!killed && p.completed > 0) {
              killed = true;
              // Its snapshots stop; lost after two missed ones (2.5 s), then the run stops.
              setTimeout(() => agents[0].kill("SIGKILL"), 1_500);
              setTimeout(() => controller.abort(), 6_000);
            }
          },
        },
      );
      assert(report.cancelled);
      const lost = report.agents.filter((a) => a.lost);
      assertEquals(lost.length, 1);
      assert(lost[0].requests > 0, "its counts up to its last snapshot stay");
      assert(report.clusterError?.includes("1 of 2 agents lost"));
      assertEquals(report.requests, report.agents[0].requests + report.agents[1].requests);
    });
  } finally {
    await target.server.shutdown();
  }
});

redisTest(
  "runClusterStress() stopped by its signal returns the partial merged report",
  async (redis) => {
    const target = countingTarget();
    try {
      await withAgents(redis, 2, async () => {
        const controller = new AbortController();
        const report = await runClusterStress(
          { url: target.url, duration: 60_000, concurrency: 2, workers: 1 },
          {
            redis: redis.url,
            agents: 2,
            signal: controller.signal,
            onProgress: (p) => p.completed > 0 && controller.abort(),
          },
        );
        assert(report.cancelled);
        assert(report.requests > 0);
        assertEquals(report.agents.filter((a) => a.lost), []);
        assertEquals(report.clusterError, undefined);
        assertEquals(report.requests, report.agents[0].requests + report.agents[1].requests);
      });
    } finally {
      await target.server.shutdown();
    }
  },
);

redisTest(
  "runClusterStress() rejects bad input with a clear error and sends nothing",
  async (redis, t) => {
    const target = countingTarget();
    try {
      await t.step("0 agents", async () => {
        await assertRejects(
          () =>
            runClusterStress({ url: target.url, requests: 10 }, { redis: redis.url, agents: 0 }),
          RangeError,
          "'agents' must be",
        );
      });
      await t.step("unreachable Redis", async () => {
        const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = (free.addr as Deno.NetAddr).port;
        free.close();
        await assertRejects(
          () =>
            runClusterStress({ url: target.url, requests: 10 }, {
              redis: `redis://127.0.0.1:${port}`,
              agents: 1,
              agentsTimeoutMs: 1_000,
            }),
          Error,
          "does not answer",
        );
      });
      await t.step("more agents than answer", async () => {
        await withAgents(redis, 1, async () => {
          await assertRejects(
            () =>
              runClusterStress({ url: target.url, requests: 10 }, {
                redis: redis.url,
                agents: 2,
                agentsTimeoutMs: 1_500,
              }),
            Error,
            "2 idle agents were wanted: 1 answered",
          );
        });
      });
      assertEquals(target.count(), 0);
    } finally {
      await target.server.shutdown();
    }
  },
);

Deno.test("planShards() splits connections and requests, and offsets each agent's arrivals", () => {
  const shards = planShards(
    { url: "http://127.0.0.1:8080/", requests: 10, concurrency: 5, rate: 1_000 },
    3,
  );
  assertEquals(shards.map((s) => s.options.requests), [4, 3, 3]);
  assertEquals(shards.map((s) => s.options.concurrency), [2, 2, 1]);
  assertEquals(shards.map((s) => Math.round(s.options.rate! * 1000) / 1000), [
    333.333,
    333.333,
    333.333,
  ]);
  // Agent i starts i/(N·R) s late: 0, 1/3 ms, 2/3 ms.
  assertEquals(shards.map((s) => Math.round(s.delayMs * 1000)), [0, 333, 667]);
});

Deno.test("decodeHistogramCounts() reads back what encodeHistogram() wrote", async () => {
  const h = new Histogram();
  for (const micros of [0, 1, 255, 256, 300, 1_000, 65_000, 2_000_000, 2_000_000]) h.record(micros);
  const counts = await decodeHistogramCounts(await encodeHistogram(h.data()));
  assertEquals([...counts], [...h.counts]);
});

// `deno task stress --cluster`: the CLI with the task's own flags (it starts itself again
// with the grants a distributed run needs).
const STRESS_TASK = [
  "run",
  "--allow-net=127.0.0.1,localhost,[::1]",
  "--allow-read=servers,sync",
  "--allow-run",
  "servers/stress_cli.ts",
];

async function stressCli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [...STRESS_TASK, ...args],
    cwd: new URL("../../", import.meta.url),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test({
  name: "deno task stress --cluster local --agents 2 merges two agents into the JSON report",
  async fn() {
    if (!HAVE_REDIS) return; // the skip is announced once by the helpers
    const target = countingTarget();
    const out = await Deno.makeTempFile({ suffix: ".json" });
    const hdrLog = await Deno.makeTempFile({ suffix: ".hlog" });
    try {
      const { code, stdout, stderr } = await stressCli([
        target.url,
        "--cluster",
        "local",
        "--agents",
        "2",
        "-n",
        "2000",
        "-c",
        "4",
        "-w",
        "1",
        "--json",
        "--out",
        out,
        "--hdr-log",
        hdrLog,
      ]);
      assertEquals(code, 0, stderr);
      const report = JSON.parse(stdout) as ClusterStressReport;
      assertEquals(JSON.parse(await Deno.readTextFile(out)), report);
      assertEquals(report.agents.length, 2);
      const sum = (key: "requests" | "successes" | "failures") =>
        report.agents.reduce((total, a) => total + a[key], 0);
      assertEquals(report.requests, 2_000);
      assertEquals(sum("requests"), report.requests);
      assertEquals(sum("successes"), report.successes);
      assertEquals(sum("failures"), Object.values(report.failures).reduce((a, b) => a + b, 0));
      assertEquals(target.count(), 2_000);
      assert(report.agents.every((a) => !a.lost), stdout);
      // The merged seconds reach --hdr-log: one interval line per second of the timeline.
      const intervals = (await Deno.readTextFile(hdrLog)).split("\n").filter((l) => /^\d/.test(l));
      assertEquals(intervals.length, report.timeline.length);
    } finally {
      await Deno.remove(hdrLog);
      await Deno.remove(out);
      await target.server.shutdown();
    }
  },
});

Deno.test("deno task stress --cluster local --agents 0 is bad usage naming it, nothing sent", async () => {
  const target = countingTarget();
  try {
    const { code, stdout, stderr } = await stressCli([
      target.url,
      "--cluster",
      "local",
      "--agents",
      "0",
      "-n",
      "10",
    ]);
    assertEquals(code, 2, stderr);
    assertEquals(stdout, "");
    assertEquals(
      stderr.split("\n")[0],
      "stress: Cannot parse '--agents' as a positive integer: received '0'",
    );
    assertEquals(target.count(), 0);
  } finally {
    await target.server.shutdown();
  }
});

redisTest(
  "deno task stress --agents 2 with one idle agent exits 2 with one line, nothing sent",
  async (redis) => {
    const target = countingTarget();
    try {
      await withAgents(redis, 1, async () => {
        const { code, stdout, stderr } = await stressCli([
          target.url,
          "--cluster",
          redis.url,
          "--agents",
          "2",
          "--agents-timeout",
          "1s",
          "-n",
          "10",
        ]);
        assertEquals(code, 2, stderr);
        assertEquals(stdout, "");
        const [line] = stderr.split("\n");
        assert(line.startsWith("stress: Cannot run stress on the cluster as "), stderr);
        assert(/\b1\b/.test(line), line);
        assertEquals(target.count(), 0);
      });
    } finally {
      await target.server.shutdown();
    }
  },
);

redisTest(
  "deno task stress --cluster exits 1 naming the lost agent, its counts kept",
  async (redis) => {
    const target = countingTarget();
    try {
      await withAgents(redis, 2, async (agents) => {
        const child = new Deno.Command(Deno.execPath(), {
          args: [...STRESS_TASK, target.url, "--cluster", redis.url, "--agents", "2"]
            .concat(["-d", "6s", "-c", "2", "-w", "1", "--json"]),
          cwd: new URL("../../", import.meta.url),
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }).spawn();
        const output = child.output();
        // Killed once the run is under way: lost after two missed snapshots (2.5 s < 6 s).
        await target.first;
        agents[0].kill("SIGKILL");
        const { code, stdout, stderr } = await output;
        const decoder = new TextDecoder();
        assertEquals(code, 1, decoder.decode(stderr));
        const report = JSON.parse(decoder.decode(stdout)) as ClusterStressReport;
        assertEquals(report.cancelled, false);
        assert(report.clusterError?.includes("1 of 2 agents lost"), report.clusterError);
        assertEquals(report.agents.filter((a) => a.lost).length, 1);
        assertEquals(report.requests, report.agents[0].requests + report.agents[1].requests);
      });
    } finally {
      await target.server.shutdown();
    }
  },
);
