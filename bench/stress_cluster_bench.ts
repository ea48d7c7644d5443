/**
 * Distributed stress runs (issue 17) on one machine, against nginx, in one run with
 * alternating rounds: the speed and accuracy goals of a run shared out over 2 local
 * agents (a throwaway `redis-server` and 2 agent processes, as `--cluster local` starts
 * them).
 *
 * - requests of 2 agents against 1 local run with `workers: 2`, same duration and
 *   connections (goal ≥ 0.9×: the 2 cores are shared with nginx and Redis, so this
 *   measures the agents' overhead, not scaling);
 * - `rate: 4000` over 2 agents for 5 s: requests sent against those due, the report's
 *   achieved rate, and the worst full second of the merged timeline (goals: within 1 %,
 *   every second within 5 %);
 * - the agents' start skew (goal ≤ 5 ms on one machine): the report's own
 *   `agentsStartSkewMs` (when each agent's engine started sending, through the measured
 *   clock offsets), and, independently, from the agents' first requests in nginx's access
 *   log: `$msec` (1 ms resolution) and `$remote_port` of every request of the rate run,
 *   each port mapped to its agent process by `ss -tnp` during the run;
 * - bytes an agent publishes per second (goal < 2 KB/s for its snapshots), counted by a
 *   Redis client of this bench subscribed to every run channel: every message of the run
 *   over its length, since a second's histogram travels once the engine closes it (3 s
 *   later), so in a 5 s run most of them ride in the final message, not in a snapshot.
 *
 * Each run's merged `requests` is also compared with nginx's own counter (`stub_status`).
 *
 * Run it with `deno task bench:stress-cluster [ROUNDS]` (default 3 rounds; it takes the
 * machine-wide bench lock). Needs Debian's `nginx-light`, `redis-server` and `ss`
 * (iproute2). Prints a markdown table and writes `bench/results/stress_cluster.json`.
 *
 * @module
 */

import { Redis } from "ioredis";
import { type ClusterStressReport, runStress, type StressReport } from "../servers/stress.ts";
import { startLocalCluster } from "../servers/_stress_cluster.ts";
import {
  freePort,
  type Nginx as SharedNginx,
  nginxReturn,
  startNginx as startSharedNginx,
} from "./_nginx.ts";

const ROOT = new URL("../", import.meta.url);
const SECONDS = 5;
const CONNECTIONS = 16;
const RATE = 4_000;
const AGENTS = 2;
const BODY = "hello world\n";
const decoder = new TextDecoder();

interface Nginx extends SharedNginx {
  version: string;
  /** The target of the rate runs: every request logged with `$msec $remote_port`. */
  loggedUrl: string;
  loggedPort: number;
  accessLog: string;
}

/** The shared nginx plus a second server that logs each request's time and client port. */
async function startNginx(): Promise<Nginx> {
  const loggedPort = freePort();
  const nginx = await startSharedNginx({
    body: BODY,
    extraHttp: (dir) =>
      `log_format skew '$msec $remote_port';
  server {
    listen 127.0.0.1:${loggedPort};
    access_log ${dir}/access.log skew;
    location / { ${nginxReturn(BODY)} }
  }`,
  });
  const versionOut = await new Deno.Command("nginx", { args: ["-v"] }).output();
  return {
    ...nginx,
    version: decoder.decode(versionOut.stderr).trim().replace("nginx version: nginx/", ""),
    loggedUrl: `http://127.0.0.1:${loggedPort}/`,
    loggedPort,
    accessLog: `${nginx.dir}/access.log`,
  };
}

/** What one agent published on a run's channel. */
interface Traffic {
  /** Bytes of its snapshots. */
  snapshot: number;
  /** Bytes of its other messages (accepted, done with the last seconds' histograms). */
  other: number;
  /** How many snapshots. */
  snapshots: number;
}

/** Bytes each agent published on run channels, by message type, counted from outside. */
class ChannelMeter {
  #client: Redis;
  bytes = new Map<string, Traffic>();

  constructor(url: string) {
    this.#client = new Redis(url, { lazyConnect: true });
  }

  async start(): Promise<void> {
    await this.#client.connect();
    await this.#client.psubscribe("tandem-stress:run:*");
    this.#client.on("pmessage", (_pattern: string, _channel: string, text: string) => {
      const message = JSON.parse(text) as { type: string; agent: string };
      const entry = this.bytes.get(message.agent) ?? { snapshot: 0, other: 0, snapshots: 0 };
      // Bytes on the wire: UTF-8 of the message (the channel name is not counted).
      const size = new TextEncoder().encode(text).length;
      if (message.type === "snapshot") {
        entry.snapshot += size;
        entry.snapshots++;
      } else entry.other += size;
      this.bytes.set(message.agent, entry);
    });
  }

  /** Takes the counts of the run just finished. */
  take(): Map<string, Traffic> {
    const taken = this.bytes;
    this.bytes = new Map();
    return taken;
  }

  async stop(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }
}

/** The client ports of each process connected to `port` (`ss -tnp`), as port → pid. */
async function portsByProcess(port: number): Promise<Map<number, number>> {
  const out = await new Deno.Command("ss", {
    args: ["-Htnp", "dst", `127.0.0.1:${port}`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const ports = new Map<number, number>();
  for (const line of decoder.decode(out.stdout).split("\n")) {
    const match = /127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:\d+\s.*pid=(\d+)/.exec(line);
    if (match) ports.set(Number(match[1]), Number(match[2]));
  }
  return ports;
}

/**
 * Each process's first logged request (ms since the epoch, 1 ms resolution), and the
 * first request of each of its connections, in ms after the run's first request.
 */
async function firstRequests(
  accessLog: string,
  ports: Map<number, number>,
): Promise<{ firstMs: number[]; connectionsMs: number[][]; unmapped: number }> {
  const byPort = new Map<number, number>();
  let unmapped = 0;
  for (const line of (await Deno.readTextFile(accessLog)).split("\n")) {
    if (line === "") continue;
    const [msec, text] = line.split(" ");
    const port = Number(text);
    if (!ports.has(port)) {
      unmapped++;
      continue;
    }
    const at = Math.round(Number(msec) * 1000);
    if (at < (byPort.get(port) ?? Infinity)) byPort.set(port, at);
  }
  const byPid = new Map<number, number[]>();
  for (const [port, at] of byPort) {
    const pid = ports.get(port)!;
    byPid.set(pid, [...(byPid.get(pid) ?? []), at]);
  }
  const groups = [...byPid.values()].map((times) => times.sort((a, b) => a - b))
    .sort((a, b) => a[0] - b[0]);
  const origin = groups[0]?.[0] ?? 0;
  return {
    firstMs: groups.map((times) => times[0]),
    connectionsMs: groups.map((times) => times.map((t) => t - origin)),
    unmapped,
  };
}

interface Throughput {
  round: number;
  local: Summary;
  cluster: Summary;
  ratio: number;
}

interface Summary {
  requests: number;
  rps: number;
  p99: number;
  nginxCounted: number;
  /** Every message an agent published on the run channel, per second of the run. */
  publishedBytesPerAgentSecond?: number[];
  /** Its snapshots alone, per second of the run. */
  snapshotBytesPerAgentSecond?: number[];
  snapshotsPerAgent?: number[];
  clockOffsetsMs?: number[];
  /** The report's `agentsStartSkewMs`. */
  reportSkewMs?: number;
  /** The agents' `startLateMs` (null: never started). */
  startLateMs?: (number | null)[];
}

interface RateRun extends Summary {
  round: number;
  dueRatio: number;
  rpsRatio: number;
  seconds: number[];
  worstSecond: number;
  /** Last minus first of the agents' first requests in nginx's log, in ms. */
  logSkewMs: number | null;
  firstRequestsMs: number[];
  /**
   * Each agent's first request after the run's planned start (the report's `startTime`,
   * on this machine's clock, as nginx's), in ms, earliest agent first.
   */
  firstRequestsLateMs: number[];
  /** Per agent, its connections' first requests, in ms after the run's first request. */
  connectionsFirstMs: number[][];
  unmappedLogLines: number;
}

function summary(
  report: StressReport | ClusterStressReport,
  nginxCounted: number,
  meter?: Map<string, Traffic>,
): Summary {
  const out: Summary = {
    requests: report.requests,
    rps: report.rps,
    p99: report.latencyMs.p99,
    nginxCounted,
  };
  if ("agents" in report) {
    const seconds = report.durationMs / 1000;
    const traffic = (id: string): Traffic =>
      meter?.get(id) ?? { snapshot: 0, other: 0, snapshots: 0 };
    out.publishedBytesPerAgentSecond = report.agents.map((a) =>
      Math.round((traffic(a.id).snapshot + traffic(a.id).other) / seconds)
    );
    out.snapshotBytesPerAgentSecond = report.agents.map((a) =>
      Math.round(traffic(a.id).snapshot / seconds)
    );
    out.snapshotsPerAgent = report.agents.map((a) => meter?.get(a.id)?.snapshots ?? 0);
    out.clockOffsetsMs = report.agents.map((a) => a.clockOffsetMs);
    out.reportSkewMs = report.agentsStartSkewMs;
    out.startLateMs = report.agents.map((a) => a.startLateMs ?? null);
    if (report.clusterError) throw new Error(`Cannot measure: ${report.clusterError}`);
  }
  return out;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const pct = (ratio: number): string =>
  `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(2)} %`;

if (import.meta.main) {
  const rounds = Number(Deno.args[0] ?? 3);
  const throughput: Throughput[] = [];
  const rate: RateRun[] = [];
  const base = { duration: SECONDS * 1000, concurrency: CONNECTIONS };
  const nginx = await startNginx();
  let cluster: Awaited<ReturnType<typeof startLocalCluster>> | undefined;
  let meter: ChannelMeter | undefined;
  try {
    cluster = await startLocalCluster(AGENTS);
    const redis = cluster.redis;
    const channels = meter = new ChannelMeter(redis);
    await channels.start();
    console.error(
      `nginx ${nginx.version} on ${nginx.url}; ${AGENTS} local agents on ${redis}`,
    );
    const counted = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
      const before = await nginx.requests();
      const result = await run();
      return [result, (await nginx.requests()) - before - 1];
    };
    const local = async (): Promise<Summary> => {
      const [report, n] = await counted(() =>
        runStress({ url: nginx.url, ...base, workers: AGENTS })
      );
      console.error(`  local -w ${AGENTS}: ${fmt(report.requests)} requests`);
      return summary(report, n);
    };
    const distributed = async (): Promise<Summary> => {
      channels.take();
      const [report, n] = await counted(() =>
        runStress({ url: nginx.url, ...base, workers: 1 }, {
          cluster: { redis, agents: AGENTS },
        })
      );
      console.error(`  ${AGENTS} agents: ${fmt(report.requests)} requests`);
      return summary(report, n, channels.take());
    };
    for (let round = 0; round < rounds; round++) {
      // Alternate the order, so that each ratio compares runs made seconds apart.
      let l: Summary, c: Summary;
      if (round % 2 === 0) {
        l = await local();
        c = await distributed();
      } else {
        c = await distributed();
        l = await local();
      }
      throughput.push({ round: round + 1, local: l, cluster: c, ratio: c.requests / l.requests });

      channels.take();
      await Deno.truncate(nginx.accessLog).catch(() => {});
      let ports: Promise<Map<number, number>> | undefined;
      const [report, n] = await counted(() =>
        runStress(
          { url: nginx.loggedUrl, ...base, rate: RATE, workers: 1 },
          {
            cluster: { redis, agents: AGENTS },
            // Once both agents run, their connections name their ports.
            onProgress: (p) => {
              if (p.completed >= RATE / 2) ports ??= portsByProcess(nginx.loggedPort);
            },
          },
        )
      );
      const { firstMs, connectionsMs, unmapped } = await firstRequests(
        nginx.accessLog,
        await (ports ?? Promise.resolve(new Map())),
      );
      const full = report.timeline.filter((s) => s.second < SECONDS).map((s) => s.completed);
      const worst = full.reduce(
        (w, c) => Math.abs(c / RATE - 1) > Math.abs(w / RATE - 1) ? c : w,
        RATE,
      );
      rate.push({
        round: round + 1,
        ...summary(report, n, channels.take()),
        dueRatio: report.requests / (RATE * SECONDS),
        rpsRatio: report.rps / RATE,
        seconds: full,
        worstSecond: worst,
        logSkewMs: firstMs.length === AGENTS ? firstMs[AGENTS - 1] - firstMs[0] : null,
        firstRequestsMs: firstMs,
        firstRequestsLateMs: firstMs.map((t) => t - Date.parse(report.startTime)),
        connectionsFirstMs: connectionsMs,
        unmappedLogLines: unmapped,
      });
      console.error(`  rate ${RATE}: ${fmt(report.requests)} requests, ${report.rps} req/s`);
    }
  } finally {
    await meter?.stop();
    await cluster?.stop();
    await nginx.stop();
  }

  const lines: string[] = [];
  lines.push(
    `Distributed stress on one machine: nginx ${nginx.version} (1 worker, ${BODY.length}-byte ` +
      `body) on 127.0.0.1, Redis and ${AGENTS} local agents (\`startLocalCluster\`), ` +
      `${CONNECTIONS} connections, ${SECONDS} s per run, ${rounds} rounds; ` +
      `${navigator.hardwareConcurrency} cores shared with nginx, Redis and other work.`,
  );
  lines.push("");
  lines.push(
    `| round | local \`workers: ${AGENTS}\` | ${AGENTS} agents × \`workers: 1\` | ratio | ` +
      `rate ${fmt(RATE)}/s: sent / due | report rps | seconds | worst second | ` +
      `start skew: report (agents, rate) | start skew: nginx log (rate) | ` +
      `first requests after the start (rate) | published per agent |`,
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (let i = 0; i < throughput.length; i++) {
    const t = throughput[i], r = rate[i];
    const bytes = [
      ...(t.cluster.publishedBytesPerAgentSecond ?? []),
      ...(r.publishedBytesPerAgentSecond ?? []),
    ];
    lines.push(
      `| ${t.round} | ${fmt(t.local.requests)} req (p99 ${t.local.p99} ms) | ` +
        `${fmt(t.cluster.requests)} req (p99 ${t.cluster.p99} ms) | ${t.ratio.toFixed(2)}× | ` +
        `${fmt(r.requests)} (${pct(r.dueRatio)}) | ${fmt(r.rps, 1)} (${pct(r.rpsRatio)}) | ` +
        `${r.seconds.join(", ")} | ${fmt(r.worstSecond)} (${pct(r.worstSecond / RATE)}) | ` +
        `${t.cluster.reportSkewMs ?? "n/a"} ms, ${r.reportSkewMs ?? "n/a"} ms | ` +
        `${r.logSkewMs ?? "n/a"} ms | ${r.firstRequestsLateMs.join(", ")} ms | ` +
        `${fmt(Math.min(...bytes))}–${fmt(Math.max(...bytes))} B/s |`,
    );
  }
  lines.push("");
  const goal = (label: string, value: string, met: boolean, target: string): string =>
    `- ${label}: ${value} (goal ${target}: ${met ? "met" : "NOT met"})`;
  const ratio = median(throughput.map((t) => t.ratio));
  lines.push(
    goal(
      "requests, 2 agents / local `workers: 2` (median)",
      `${ratio.toFixed(2)}×`,
      ratio >= 0.9,
      "≥ 0.9×",
    ),
  );
  const due = rate.map((r) => r.dueRatio);
  const worstDue = due.reduce((w, v) => Math.abs(v - 1) > Math.abs(w - 1) ? v : w, 1);
  lines.push(
    goal(
      `rate ${fmt(RATE)}/s, requests sent / due (worst run)`,
      pct(worstDue),
      Math.abs(worstDue - 1) <= 0.01,
      "within 1 %",
    ),
  );
  const rps = rate.map((r) => r.rpsRatio);
  const worstRps = rps.reduce((w, v) => Math.abs(v - 1) > Math.abs(w - 1) ? v : w, 1);
  lines.push(
    goal(
      `rate ${fmt(RATE)}/s, report's rps / rate (worst run; over durationMs)`,
      pct(worstRps),
      Math.abs(worstRps - 1) <= 0.01,
      "within 1 %",
    ),
  );
  const worstSecond = rate.map((r) => r.worstSecond / RATE).reduce(
    (w, v) => Math.abs(v - 1) > Math.abs(w - 1) ? v : w,
    1,
  );
  lines.push(
    goal(
      "worst second of the merged timeline",
      pct(worstSecond),
      Math.abs(worstSecond - 1) <= 0.05,
      "within 5 %",
    ),
  );
  const reportSkews = [...throughput.map((t) => t.cluster), ...rate].map((s) =>
    s.reportSkewMs ?? NaN
  );
  const reportSkew = Math.max(...reportSkews);
  lines.push(
    goal(
      "agents' start skew, the report's agentsStartSkewMs (worst run)",
      `${reportSkew} ms`,
      reportSkew <= 5,
      "≤ 5 ms",
    ),
  );
  const skews = rate.map((r) => r.logSkewMs ?? NaN);
  const skew = Math.max(...skews);
  lines.push(
    goal(
      "agents' start skew, first requests in nginx's log (worst rate run; 1 ms resolution)",
      `${skew} ms`,
      skew <= 5,
      "≤ 5 ms",
    ),
  );
  const bytes = [...throughput.map((t) => t.cluster), ...rate].flatMap((s) =>
    s.publishedBytesPerAgentSecond ?? []
  );
  const maxBytes = Math.max(...bytes);
  lines.push(
    goal(
      "bytes an agent publishes per second, snapshots and final message (worst agent)",
      `${fmt(maxBytes)} B/s`,
      maxBytes < 2048,
      "< 2 KB/s",
    ),
  );
  const runs = [...throughput.flatMap((t) => [t.local, t.cluster]), ...rate];
  const deltas = [...new Set(runs.map((r) => r.nginxCounted - r.requests))];
  lines.push(`- nginx stub_status minus \`requests\`, every run: ${deltas.join(", ")}`);
  console.log(lines.join("\n"));
  await Deno.mkdir(new URL("bench/results/", ROOT), { recursive: true });
  await Deno.writeTextFile(
    new URL("bench/results/stress_cluster.json", ROOT),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        nginx: nginx.version,
        seconds: SECONDS,
        connections: CONNECTIONS,
        rate: RATE,
        agents: AGENTS,
        throughput,
        rateRuns: rate,
      },
      null,
      2,
    ) + "\n",
  );
}
