// Distributed stress: one real redis-server and two real agent processes for the whole
// file (started as `deno task stress-agent` starts its child: least permissions), a
// loopback target; each scenario is a step, so agents start once (about 1 s each).

import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { HAVE_REDIS } from "../cluster/_helpers.ts";
import { type LocalRedis, startRedis } from "../../cluster/_redis_server.ts";
import {
  type ClusterStressReport,
  decodeHistogramCounts,
  planShards,
  runClusterStress,
} from "../../servers/_stress_cluster.ts";
import { encodeHistogram } from "../../servers/_hdr_log.ts";
import { Histogram } from "../../servers/_histogram.ts";
import { intendedStartMs, normalizeLoadShape } from "../../servers/_load_profile.ts";
import { WeightedPicker } from "../../servers/_weighted_pick.ts";
import { AGENTS_KEY } from "../../servers/_stress_cluster_protocol.ts";
import { Redis } from "ioredis";
import { closeClient } from "../../cluster/_redis.ts";
import {
  runStress,
  type StressOptions,
  type StressProgress,
  type StressSecond,
} from "../../servers/stress.ts";

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
  reset: () => void;
  server: Deno.HttpServer;
  first: () => Promise<void>;
} {
  let count = 0;
  let first = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    count++;
    first.resolve();
    // `/missing` is a 404, for failures by cause.
    return new Response("ok", { status: new URL(request.url).pathname === "/missing" ? 404 : 200 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    count: () => count,
    reset: () => {
      count = 0;
      first = Promise.withResolvers<void>();
    },
    server,
    first: () => first.promise,
  };
}

// `deno task stress --cluster`: the CLI with the task's own flags (it starts itself again
// with the grants a distributed run needs).
const STRESS_TASK = [
  "run",
  "--allow-net=127.0.0.1,localhost,[::1]",
  "--allow-read=servers,sync",
  "--allow-run",
  "servers/stress_cli.ts",
];

function stressCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [...STRESS_TASK, ...args],
    cwd: new URL("../../", import.meta.url),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

async function stressCli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await stressCommand(args).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Resolves once `n` agents beat as idle (polling every 50 ms). */
async function idleAgents(redis: LocalRedis, n: number): Promise<void> {
  const client = new Redis(redis.url);
  try {
    for (;;) {
      const beats = Object.values(await client.hgetall(AGENTS_KEY));
      if (beats.filter((b) => JSON.parse(b).state === "idle").length >= n) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await closeClient(client, 500);
  }
}

function stringify(report: ClusterStressReport): string {
  return JSON.stringify({ requests: report.requests, agents: report.agents });
}

const TEMPLATES = [
  { name: "home", url: "/" },
  { name: "item", url: "/item?id=1", weight: 3 },
];

Deno.test("distributed stress: three agent processes on one Redis", async (t) => {
  if (!HAVE_REDIS) return; // the skip is announced once by the helpers
  const redis = await startRedis();
  // Started together (about 1 s each): runs take 2 of them; the last step takes all 3
  // and kills one.
  const agents = [agentProcess(redis), agentProcess(redis), agentProcess(redis)];
  const target = countingTarget();
  try {
    await Promise.all(agents.map((a) => a.ready));

    await t.step(
      "runStress({ cluster }) merges two agents live and at the end: requests are their sum",
      async () => {
        target.reset();
        const progress: StressProgress[] = [];
        const seconds: StressSecond[] = [];
        let histogramTotal = 0;
        const report = await runStress(
          { url: target.url, requests: 3_000, rate: 2_000, concurrency: 4, workers: 1 },
          {
            cluster: { redis: redis.url, agents: 2 },
            onProgress: (p) => progress.push(p),
            onSecond: (second, latency) => {
              seconds.push(second);
              histogramTotal += latency.total;
            },
          },
        );
        assertEquals(report.agents.length, 2);
        assertEquals(report.requests, 3_000);
        assertEquals(report.requests, report.agents[0].requests + report.agents[1].requests);
        assertEquals(report.successes, 3_000);
        assertEquals(report.statusCodes, { "200": 3_000 });
        assertEquals(target.count(), 3_000);
        // The merged histogram holds every response once.
        assertEquals(report.histogram.reduce((sum, b) => sum + b.count, 0), 3_000);
        assertEquals(report.timeline.reduce((sum, s) => sum + s.completed, 0), 3_000);
        assert(report.agents.every((a) => !a.lost && a.requests === 1_500));
        assertEquals(report.clusterError, undefined);
        // Status classes come with the per-second snapshots, while the run goes.
        assert(
          progress.some((p) => (p.statusClasses?.["2xx"] ?? 0) > 0 && p.completed < 3_000),
          JSON.stringify(progress.at(-2)),
        );
        assertEquals(progress.at(-1)!.completed, 3_000);
        // Each agent's own counts, live.
        const live = progress.find((p) => p.agents?.every((a) => a.state === "running"));
        assertEquals(live?.agents?.map((a) => a.host).length, 2);
        assertEquals(
          live?.agents?.map((a) => a.id).sort(),
          report.agents.map((a) => a.id).sort(),
        );
        // Every merged second once, in order, as the report's timeline has it.
        assertEquals(seconds, report.timeline);
        assertEquals(histogramTotal, 3_000);
        // Every agent's start, on the coordinator's clock, and their spread.
        assert(report.agents.every((a) => typeof a.startLateMs === "number"));
        const lates = report.agents.map((a) => a.startLateMs!);
        assertAlmostEquals(
          report.agentsStartSkewMs!,
          Math.max(...lates) - Math.min(...lates),
          1e-3,
        );
        assertEquals(report.rate, 2_000);
        assertEquals(typeof report.serviceTimeMs?.p99, "number");
      },
    );

    await t.step(
      "runClusterStress() shares a rate ramp, templates and a seed out: reproducible picks",
      async () => {
        target.reset();
        // Count mode: every request taken is sent, so each agent picks exactly 225 times.
        const report = await runClusterStress({
          url: target.url,
          rate: { from: 0, to: 1_200, overMs: 500 },
          requests: 450,
          concurrency: 4,
          workers: 1,
          templates: TEMPLATES,
          seed: 7,
        }, { redis: redis.url, agents: 2 });
        assertEquals(report.requests, 450);
        assertEquals(report.agents.map((a) => a.requests), [225, 225]);
        assertEquals(report.seed, 7);
        const endpoints = report.endpoints!;
        assertEquals(Object.keys(endpoints), ["home", "item"]);
        assertEquals(endpoints.home.requests + endpoints.item.requests, 450);
        // Agent i picks with the run's seed + i (7 and 8 here), as a local run with that
        // seed would: the mix is the same on every run.
        const homes = [7, 8].map((seed) => {
          const picker = new WeightedPicker([1, 3], { seed });
          return Array.from({ length: 225 }, () => picker.pick()).filter((i) => i === 0).length;
        });
        assertEquals(endpoints.home.requests, homes[0] + homes[1]);
        assertEquals(target.count(), 450);
      },
    );

    await t.step("runClusterStress() shares stages out: the run's schedule", async () => {
      target.reset();
      const report = await runClusterStress({
        url: target.url,
        stages: [{ durationMs: 300, rate: 600 }, { durationMs: 300, rate: 600 }],
        concurrency: 4,
        workers: 1,
      }, { redis: redis.url, agents: 2 });
      // 0 → 600/s over 0.3 s, then 600/s for 0.3 s: 90 + 180 arrivals due (a request
      // still unsent at the end on a loaded machine is not sent, as in a local run).
      assertEquals(report.targetRate, 450);
      assertEquals(report.rate, 600);
      assert(report.agents.every((a) => a.requests > 0 && a.requests <= 135), stringify(report));
      assertEquals(report.requests, report.agents[0].requests + report.agents[1].requests);
      assertEquals(target.count(), report.requests);
    });

    await t.step("runClusterStress() shares a ramp of connections out", async () => {
      const report = await runClusterStress(
        {
          url: target.url,
          concurrency: { from: 2, to: 4, overMs: 300 },
          duration: 500,
          workers: 1,
        },
        { redis: redis.url, agents: 2 },
      );
      assertEquals(report.concurrency, 4);
      assert(report.successes > 0);
      assertEquals(report.successes, report.requests - report.inFlight);
    });

    await t.step(
      "two coordinators at once: exactly one gets the agents, the other a clear error; the CLI exits 2",
      async () => {
        target.reset();
        // The previous run's agents beat idle just after their final counts: wait for it.
        await idleAgents(redis, 3);
        const controllers = [new AbortController(), new AbortController()];
        const progress: StressProgress[][] = [[], []];
        const runs = controllers.map((controller, i) =>
          runClusterStress(
            { url: `${target.url}missing`, duration: 60_000, concurrency: 3, workers: 1 },
            {
              redis: redis.url,
              agents: 3,
              agentsTimeoutMs: 1_000,
              signal: controller.signal,
              onProgress: (p) => progress[i].push(p),
            },
          )
        );
        // The loser gives up after 1 s; the winner runs until it is stopped.
        const first = await Promise.race(
          runs.map((run, i) => run.then(() => i, () => i)),
        );
        const loser = await runs[first].then(() => undefined, (error: Error) => error);
        assert(loser instanceof Error, "the first to settle is the one without agents");
        assertEquals(
          loser!.message,
          "Cannot run stress on the cluster as 3 idle agents were wanted: 0 answered within 1000 ms (3 alive, 3 busy with another run)",
        );
        // A third coordinator, from the command line, while the winner still runs.
        const { code, stdout, stderr } = await stressCli([
          target.url,
          "--cluster",
          redis.url,
          "--agents",
          "1",
          "--agents-timeout",
          "1s",
          "-n",
          "10",
        ]);
        assertEquals(code, 2, stderr);
        assertEquals(stdout, "");
        assertEquals(
          stderr.split("\n")[0],
          "stress: Cannot run stress on the cluster as 1 idle agents were wanted: 0 answered within 1000 ms (3 alive, 3 busy with another run)",
        );
        // Stopped by its signal, the winner returns the partial merged report.
        controllers[1 - first].abort();
        const winner = await runs[1 - first];
        assert(winner.cancelled);
        assert(winner.requests > 0);
        assertEquals(winner.agents.filter((a) => a.lost), []);
        assertEquals(winner.clusterError, undefined);
        assertEquals(winner.requests, winner.agents.reduce((sum, a) => sum + a.requests, 0));
        // Its 404s were counted by cause while it ran, from the agents' snapshots.
        assert(progress[1 - first].some((p) => (p.failures?.http4xx ?? 0) > 0));
        assertEquals(winner.failures.http4xx, winner.requests - winner.inFlight);
      },
    );

    await t.step(
      "runClusterStress() rejects bad input with a clear error and sends nothing",
      async (t) => {
        target.reset();
        await t.step("0 agents", async () => {
          await assertRejects(
            () =>
              runClusterStress({ url: target.url, requests: 10 }, { redis: redis.url, agents: 0 }),
            RangeError,
            "'agents' must be",
          );
        });
        await t.step("a bad cluster option to runStress", async () => {
          await assertRejects(
            () =>
              runStress({ url: target.url, requests: 10 }, {
                cluster: { redis: redis.url, agents: "2" as unknown as number },
              }),
            TypeError,
            "'agents' must be",
          );
          await assertRejects(
            () =>
              runStress({ url: target.url, requests: 10 }, {
                cluster: { redis: "http://127.0.0.1/", agents: 2 },
              }),
            TypeError,
            "'redis' must be a redis:// or rediss:// URL",
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
                agentsTimeoutMs: 500,
              }),
            Error,
            "does not answer",
          );
        });
        await t.step("more agents than answer", async () => {
          await assertRejects(
            () =>
              runClusterStress({ url: target.url, requests: 10 }, {
                redis: redis.url,
                agents: 4,
                agentsTimeoutMs: 500,
              }),
            Error,
            "4 idle agents were wanted: ",
          );
        });
        assertEquals(target.count(), 0);
      },
    );

    await t.step(
      "deno task stress --cluster exits 1 naming a SIGKILLed agent, its counts kept",
      async () => {
        target.reset();
        const child = stressCommand([
          target.url,
          "--cluster",
          redis.url,
          "--agents",
          "3",
          ...["-d", "3s", "-c", "3", "-w", "1", "--json"],
        ]).spawn();
        const output = child.output();
        // Killed once it has sent a snapshot with counts (every 1 s): lost after two
        // missed ones (2.5 s); the run waits for that.
        await target.first();
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        agents[2].kill("SIGKILL");
        const { code, stdout, stderr } = await output;
        const decoder = new TextDecoder();
        assertEquals(code, 1, decoder.decode(stderr));
        const report = JSON.parse(decoder.decode(stdout)) as ClusterStressReport;
        assertEquals(report.cancelled, false);
        assert(report.clusterError?.includes("1 of 3 agents lost"), report.clusterError);
        const lost = report.agents.filter((a) => a.lost);
        assertEquals(lost.length, 1);
        assert(lost[0].requests > 0, "its counts up to its last snapshot stay");
        assertEquals(report.requests, report.agents.reduce((sum, a) => sum + a.requests, 0));
      },
    );
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await target.server.shutdown();
    await redis.stop();
  }
});

Deno.test("runStress({ startAt }) loads its workers, then sends from that time on", async (t) => {
  let first = Infinity;
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    first = Math.min(first, Date.now());
    return new Response("ok");
  });
  const url = `http://127.0.0.1:${server.addr.port}/`;
  await t.step("a time ahead", async () => {
    // A first run loads (and under `deno test` type-checks) the worker module: seconds.
    await runStress({ url, requests: 1, concurrency: 1, workers: 1 });
    first = Infinity;
    const startAt = Date.now() + 300;
    const report = await runStress({ url, requests: 10, concurrency: 1, workers: 1 }, { startAt });
    assertEquals(report.successes, 10);
    assertEquals(Date.parse(report.startTime), startAt);
    // Date.now() is whole ms: a request in the start's own ms may read 1 ms earlier.
    assert(first >= startAt - 1, `first request ${startAt - first} ms early`);
    // The report says when the first request was written, after its start.
    assert(report.firstRequestMs! >= 0, String(report.firstRequestMs));
  });
  await t.step("bad values are refused before anything starts", async () => {
    await assertRejects(
      () => runStress({ url, requests: 1 }, { startAt: "soon" as unknown as number }),
      TypeError,
      "'startAt' must be a time in ms since the epoch",
    );
    await assertRejects(
      () => runStress({ url, requests: 1 }, { startAt: Date.now() + 2 * 86_400_000 }),
      RangeError,
      "'startAt' must be",
    );
    await assertRejects(
      () =>
        runStress({ url, requests: 1 }, {
          startAt: Date.now(),
          cluster: { redis: "redis://127.0.0.1:1", agents: 1 },
        }),
      TypeError,
      "'startAt' and 'cluster' exclude each other",
    );
  });
});

Deno.test("runStress() publishes failures by cause live (what agents forward)", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("busy", { status: 503 }),
  );
  const progress: StressProgress[] = [];
  const report = await runStress(
    { url: `http://127.0.0.1:${server.addr.port}/`, duration: 400, concurrency: 2, workers: 1 },
    { onProgress: (p) => progress.push(p) },
  );
  const live = progress.filter((p) => p.failures !== undefined);
  assert(live.some((p) => p.failures!.http5xx > 0), JSON.stringify(progress.at(0)));
  assert(live.every((p) => p.failures!.http5xx <= report.failures.http5xx));
  assertEquals(Object.keys(live[0].failures!).sort(), Object.keys(report.failures).sort());
});

Deno.test("planShards() splits connections and requests, and offsets each agent's arrivals", () => {
  const shards = planShards(
    { url: "http://127.0.0.1:8080/", requests: 10, concurrency: 5, rate: 1_000 },
    3,
  );
  assertEquals(shards.map((s) => s.options.requests), [4, 3, 3]);
  assertEquals(shards.map((s) => s.options.concurrency), [2, 2, 1]);
  assertEquals(shards.map((s) => Math.round((s.options.rate as number) * 1000) / 1000), [
    333.333,
    333.333,
    333.333,
  ]);
  // Agent i sends the run's arrivals i, i + 3, …: it starts at the run's i-th, i/R s late.
  assertEquals(shards.map((s) => s.delayMs), [0, 1, 2]);
});

Deno.test("planShards() gives N agents together exactly the run's arrivals, ramps and stages too", () => {
  const runs: StressOptions[] = [
    { url: "http://127.0.0.1/", rate: 1_000, duration: 1_000 },
    { url: "http://127.0.0.1/", rate: { from: 100, to: 2_000, overMs: 3_000 }, duration: 5_000 },
    { url: "http://127.0.0.1/", rate: { from: 0, to: 500, overMs: 1_000 }, requests: 900 },
    {
      url: "http://127.0.0.1/",
      stages: [{ durationMs: 700, rate: 300 }, { durationMs: 1_000, rate: 50 }],
      startRate: 20,
    },
  ];
  for (const options of runs) {
    const run = normalizeLoadShape(options).rate!;
    const shards = planShards(options, 3);
    const merged: number[] = [];
    for (const { options: wire, delayMs } of shards) {
      const own = normalizeLoadShape(wire as StressOptions).rate!;
      for (let k = 0; k < 100; k++) merged.push(delayMs + intendedStartMs(own, k));
    }
    merged.sort((a, b) => a - b);
    for (let j = 0; j < 300; j++) {
      assertAlmostEquals(merged[j], intendedStartMs(run, j), 1e-6, `arrival ${j}`);
    }
  }
});

Deno.test("planShards() derives each agent's seed from the run's", () => {
  const shards = planShards({ url: "http://127.0.0.1/", requests: 10, templates: TEMPLATES }, 3, 7);
  assertEquals(shards.map((s) => s.options.seed), [7, 8, 9]);
  assert(shards.every((s) => s.options.templates === true));
});

Deno.test("decodeHistogramCounts() reads back what encodeHistogram() wrote", async () => {
  const h = new Histogram();
  for (const micros of [0, 1, 255, 256, 300, 1_000, 65_000, 2_000_000, 2_000_000]) h.record(micros);
  const counts = await decodeHistogramCounts(await encodeHistogram(h.data()));
  assertEquals([...counts], [...h.counts]);
});

/** The npm packages `deno run <module>` loads: code imports only (not type-only ones). */
async function runtimePackages(module: string): Promise<string[]> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", module],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "null",
  }).output();
  assert(success);
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
    roots: string[];
    modules: { specifier: string; dependencies?: { code?: { specifier: string } }[] }[];
  };
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>(graph.roots);
  const npm = new Set<string>();
  const queue = [...graph.roots];
  while (queue.length > 0) {
    for (const dependency of modules.get(queue.pop()!)?.dependencies ?? []) {
      const code = dependency.code?.specifier;
      if (code === undefined || seen.has(code)) continue;
      seen.add(code);
      if (code.startsWith("npm:")) npm.add(code.slice(4).replace(/^\//, "").split("/")[0]);
      else queue.push(code);
    }
  }
  return [...npm].sort();
}

Deno.test("servers/mod.ts and a plain `deno task stress` load neither BullMQ nor ioredis", async () => {
  assertEquals(await runtimePackages("servers/mod.ts"), []);
  assertEquals(await runtimePackages("servers/stress_cli.ts"), ["deno-std@1.4.0"]);
  // The walk sees them where they are loaded.
  assert((await runtimePackages("servers/stress_cluster.ts")).includes("bullmq@6.7.0"));
});

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
