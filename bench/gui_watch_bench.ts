/**
 * What watching a run in the web GUI costs the run: many short rounds, each a run of a
 * fixed number of requests against one fixed target, alternately watched and not:
 *
 * - **unwatched**: `runStress` alone, in this process;
 * - **watched**: the same run started through the GUI's API (`serveGui` in this
 *   process), with the page loaded (`/`, `/app.js`, `/app.css`, `/uplot.js`) and its
 *   Server-Sent Events stream followed until the final event, by `curl` in its own
 *   process (a browser tab's CPU is not the run's: the GUI's is).
 *
 * Each round measures, per request, this process's CPU time from the page load to the final
 * event (user + system of every thread, the generator Workers included:
 * `process.cpuUsage()`, i.e. `getrusage`), and the run's own time (the report's
 * `durationMs`, so 1 / req/s: the page load before the run is not in it). Pairs are run in ABBA order (unwatched first in even rounds, watched
 * first in odd ones) so that a drift of the machine's load cancels; the first 2 rounds
 * are warm-up. It prints the geometric mean of the per-round ratios watched / unwatched
 * with a 95 % confidence interval (Student's t over the logs of the ratios) and the median.
 *
 * On a shared 2-core machine a run's own speed wobbles by ±20 % from one second to the
 * next, far above 1 %, so it then measures the GUI's own work apart, where little else
 * moves: runs of 1 s and 6 s reported by a quiet stand-in runner (progress every 100 ms,
 * each second closed with a histogram, as `runStress` does) with and without the GUI and
 * a watcher; the extra CPU of the 6 s runs over the 1 s runs is the cost per second of
 * watching, the rest its cost once per run. Both are set against the CPU a real run burns
 * per second here, and so is one page load.
 *
 * Run it with `deno task bench:gui [ROUNDS] [REQUESTS]` (default 30 rounds of 40,000
 * requests over 16 connections and runStress's default workers; it takes the machine-wide
 * bench lock). The
 * target is a small `Deno.serve` in its own process; the run and the GUI only use
 * 127.0.0.1. Needs `curl`.
 *
 * @module
 */

import process from "node:process";
import { runStress, type StressOptions, type StressReport } from "../servers/stress.ts";
import { Histogram } from "../servers/_histogram.ts";
import { serveGui, type StressRunner } from "../gui_web/gui_server.ts";

const CONNECTIONS = 16;
const WARMUP = 2;
/** Runs of each length in the measurement apart: CPU time of one wobbles by ~10 ms here. */
const QUIET_REPEATS = 5;

/** One measured run: CPU time of this process, the run's own length, its requests. */
interface Sample {
  cpuMs: number;
  /** The report's `durationMs`: the run's req/s is `requests` over it. */
  runMs: number;
  requests: number;
}

/** Starts the fixed target in its own process and resolves to its URL. */
async function startTarget(): Promise<{ url: string; stop(): Promise<void> }> {
  const code = `Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: (a) => console.log(a.port) },
    () => new Response("hello world\\n"));`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/\n/.test(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error("The target exited before it listened");
    text += value;
  }
  void reader.cancel().catch(() => {});
  return {
    url: `http://127.0.0.1:${Number(text.trim())}/`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function curl(args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("curl", {
    args: ["-sS", "--fail", ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`curl ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
}

/** Measures `run`: this process's CPU time over all of it, and the run's report. */
async function measure(run: () => Promise<StressReport>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const report = await run();
  const used = process.cpuUsage(cpu);
  return {
    cpuMs: (used.user + used.system) / 1000,
    runMs: report.durationMs,
    requests: report.requests,
  };
}

/** Student's t for a two-sided 95 % interval with `df` degrees of freedom. */
function t95(df: number): number {
  const table: [number, number][] = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [4, 2.776],
    [5, 2.571],
    [10, 2.228],
    [15, 2.131],
    [20, 2.086],
    [30, 2.042],
    [60, 2.0],
    [120, 1.98],
  ];
  for (let i = 1; i < table.length; i++) {
    const [d1, t1] = table[i - 1];
    const [d2, t2] = table[i];
    if (df <= d2) return t1 + ((t2 - t1) * (df - d1)) / (d2 - d1);
  }
  return 1.96;
}

/** Geometric mean of ratios, its 95 % interval, and the median. */
function summarize(ratios: number[]): { mean: number; low: number; high: number; median: number } {
  const logs = ratios.map(Math.log);
  const n = logs.length;
  const mean = logs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (t95(n - 1) * sd) / Math.sqrt(n);
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { mean: Math.exp(mean), low: Math.exp(mean - half), high: Math.exp(mean + half), median };
}

function percent(ratio: number): string {
  const p = (ratio - 1) * 100;
  return `${p >= 0 ? "+" : ""}${p.toFixed(2)} %`;
}

/**
 * A stand-in for `runStress` that costs next to nothing itself but reports as a real run
 * does: progress every 100 ms, and each second closed with a latency histogram (1,000
 * values spread over 0.2–20 ms), so that what a watched run adds is the GUI's own work.
 */
function quietRunner(report: StressReport): StressRunner {
  return (options, control = {}) =>
    new Promise((resolve) => {
      const start = performance.now();
      let second = 0;
      const timer = setInterval(() => {
        const elapsedMs = performance.now() - start;
        const completed = Math.round(elapsedMs * 30);
        control.onProgress?.({ completed, total: undefined, errors: 0, rps: 30_000, elapsedMs });
        for (; (second + 1) * 1000 <= elapsedMs; second++) {
          const h = new Histogram();
          for (let i = 0; i < 1000; i++) h.record(200 + (i * i) / 50);
          control.onSecond?.(
            { second, completed: 30_000, failures: 0, p50: 5, p90: 16, p99: 20, max: 20 },
            h.data(),
            undefined,
          );
        }
        if (elapsedMs >= (options.duration ?? 1000)) {
          clearInterval(timer);
          resolve(report);
        }
      }, 100);
    });
}

/** Starts a run through the GUI's API and follows its events with curl to the end. */
async function watchRun(url: string, body: unknown): Promise<void> {
  const response = await fetch(new URL("/api/runs", url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST /api/runs: ${await response.text()}`);
  const { id } = await response.json();
  // curl ends when the server closes the stream, after the final event.
  await curl(["-N", "-o", "/dev/null", `${url}api/runs/${id}/events`]);
}

/** CPU time of this process while `run` runs, in ms. */
async function cpuOf(run: () => Promise<unknown>): Promise<number> {
  const cpu = process.cpuUsage();
  await run();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000;
}

async function main(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 30);
  const requests = Number(args[1] ?? 40_000);
  if (!(Number.isInteger(rounds) && rounds >= 3 && Number.isInteger(requests) && requests > 0)) {
    throw new RangeError(`Usage: deno task bench:gui [ROUNDS ≥ 3] [REQUESTS]: received ${args}`);
  }
  const target = await startTarget();
  // No `workers`: the GUI's runs take runStress's default, and so do these.
  const options: StressOptions = { url: target.url, requests, concurrency: CONNECTIONS };
  const body = { url: target.url, requests, concurrency: CONNECTIONS };
  let ended: Promise<StressReport> | undefined;
  await using gui = serveGui({
    port: 0,
    maxRequests: requests,
    runStress: (o, control) => (ended = runStress(o, control)),
  });
  const assets = ["", "app.js", "app.css", "uplot.js"].map((p) => gui.url + p);
  const unwatched = () => measure(() => runStress(options));
  const watched = () =>
    measure(async () => {
      await watchRun(gui.url, body);
      return await ended!;
    });
  const template = await runStress({ ...options, requests: CONNECTIONS });
  console.log(
    `GUI watch cost: ${rounds} rounds (+${WARMUP} warm-up) of ${requests} requests, ` +
      `${CONNECTIONS} connections, ${template.workers} worker(s), target ${target.url}`,
  );
  console.log("round  unwatched req/s  watched req/s  CPU/req ratio  time/req ratio");
  const cpuRatios: number[] = [];
  const wallRatios: number[] = [];
  /** The unwatched runs' CPU per second of run, in ms: what the GUI's cost compares to. */
  let runCpuMs = 0;
  let runMs = 0;
  try {
    for (let round = 0; round < rounds + WARMUP; round++) {
      let u: Sample, w: Sample;
      if (round % 2 === 0) {
        u = await unwatched();
        w = await watched();
      } else {
        w = await watched();
        u = await unwatched();
      }
      const cpu = (w.cpuMs / w.requests) / (u.cpuMs / u.requests);
      const wall = (w.runMs / w.requests) / (u.runMs / u.requests);
      const rate = (s: Sample) => Math.round(s.requests / (s.runMs / 1000));
      console.log(
        `${round < WARMUP ? "warm" : String(round - WARMUP + 1).padStart(4)}  ${
          String(rate(u)).padStart(15)
        }  ${String(rate(w)).padStart(13)}  ${cpu.toFixed(4).padStart(13)}  ${
          wall.toFixed(4).padStart(14)
        }`,
      );
      if (round >= WARMUP) {
        cpuRatios.push(cpu);
        wallRatios.push(wall);
        runCpuMs += u.cpuMs;
        runMs += u.runMs;
      }
    }
  } finally {
    await target.stop();
  }
  console.log("\nA/B, the runs themselves (noise included):");
  const ab = [
    ["CPU time per request", cpuRatios],
    ["run time per request (1 / req/s)", wallRatios],
  ] as const;
  for (const [name, ratios] of ab) {
    const s = summarize(ratios);
    console.log(
      `  ${name}, watched / unwatched: ${s.mean.toFixed(4)} (${percent(s.mean)}), 95 % CI ` +
        `${s.low.toFixed(4)}–${s.high.toFixed(4)} (${percent(s.low)} to ${percent(s.high)}), ` +
        `median ${s.median.toFixed(4)}`,
    );
  }

  // The GUI's own work, measured apart: runs reported by a quiet stand-in, with and without
  // the GUI and a watcher, of 1 s and 6 s, alternately; the difference with minus without
  // grows by what watching costs per second, and starts at what it costs once per run.
  const runCpuPerSecond = runCpuMs / (runMs / 1000);
  const quietBody = (ms: number) => ({ url: target.url, duration: ms, concurrency: CONNECTIONS });
  await using quiet = serveGui({ port: 0, runStress: quietRunner(template) });
  const alone = quietRunner(template);
  const extra = new Map<number, number[]>([[1000, []], [6000, []]]);
  for (let i = 0; i < QUIET_REPEATS; i++) {
    for (const ms of extra.keys()) {
      const withGui = await cpuOf(() => watchRun(quiet.url, quietBody(ms)));
      const without = await cpuOf(() => alone(quietBody(ms), { onProgress() {}, onSecond() {} }));
      extra.get(ms)!.push(withGui - without);
    }
  }
  const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
  const [short, long] = [mean(extra.get(1000)!), mean(extra.get(6000)!)];
  const perSecond = (long - short) / 5;
  const perRun = short - perSecond;
  const spawns = 10;
  const spawnMs = await cpuOf(async () => {
    for (let i = 0; i < spawns; i++) await curl(["--version"]);
  }) / spawns;
  const pageLoads = 20;
  const pageMs = await cpuOf(async () => {
    for (let i = 0; i < pageLoads; i++) await curl(["-o", "/dev/null", ...assets]);
  }) / pageLoads;
  const share = (ms: number) => `${((ms / (runCpuPerSecond * 10)) * 100).toFixed(3)} %`;
  console.log(
    `\nThe GUI's own work, measured apart (a quiet stand-in runner, 1 s and 6 s, ${QUIET_REPEATS} each):`,
  );
  console.log(
    `  watched minus unwatched CPU: ${extra.get(1000)!.map((ms) => ms.toFixed(1)).join(", ")} ms ` +
      `(1 s runs), ${extra.get(6000)!.map((ms) => ms.toFixed(1)).join(", ")} ms (6 s runs)`,
  );
  console.log(
    `  per second of run (progress events, SSE): ${perSecond.toFixed(2)} ms CPU; once per run ` +
      `(POST, the watcher's stream, the final report event): ${perRun.toFixed(2)} ms, of which ` +
      `starting curl (the bench's watcher) takes ${spawnMs.toFixed(2)} ms`,
  );
  console.log(
    `  a real run here burns ${runCpuPerSecond.toFixed(0)} ms CPU per second; a watched 10 s ` +
      `run adds ${(perSecond * 10 + perRun).toFixed(1)} ms: ${share(perSecond * 10 + perRun)}`,
  );
  console.log(
    `  one page load (/, app.js, app.css, uplot.js, through curl): ${pageMs.toFixed(2)} ms CPU, ` +
      `${share(pageMs)} of a 10 s run's`,
  );
}

if (import.meta.main) await main(Deno.args);
