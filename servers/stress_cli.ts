/**
 * `deno task stress [URL] [options]`: the HTTP load tester on the command line. Without a
 * URL it starts a small target on 127.0.0.1 and stresses that. Live progress on a
 * terminal, then a report with a latency histogram (or `--json`), threshold results, and
 * any of the JSON, HTML, CSV and HdrHistogram log files. `deno task stress compare
 * BEFORE.json AFTER.json` sets two reports side by side.
 *
 * Exit codes, the first that applies:
 *
 * | code | when |
 * | ---- | ---- |
 * | 2    | bad usage: a flag, a threshold, an unreadable or unwritable file (nothing is sent) |
 * | 130  | interrupted (Ctrl+C): the partial report and files are still written |
 * | 1    | a distributed run lost an agent (`clusterError` in the report) |
 * | 1    | no request got any response at all: the run measured nothing |
 * | 3    | a threshold failed (or `--abort-on-fail` stopped the run) |
 * | 1    | without thresholds: some request failed or went unanswered (unless `--accept-failures`) |
 * | 0    | otherwise: with thresholds, they alone judge the run |
 *
 * Distributed runs (`--cluster redis://HOST:6379 --agents N`, or `--cluster local`) load
 * the coordinator (BullMQ, ioredis) only then, by a dynamic import, so that a plain run
 * downloads nothing but deno-std. Permissions: `deno task stress` grants `--allow-run`
 * only so that a `--cluster` run can start this script again with exactly what it needs
 * (net to loopback, the Redis host:port and the target's host; `--allow-env` and
 * `--allow-sys=hostname` for ioredis; with `local` also run of `redis-server` and `deno`
 * and write to the temporary folder); a run without `--cluster` revokes run permission
 * at once, so it keeps exactly the grants it had before.
 *
 * @module
 */

import { runAsChild } from "../cluster/_relaunch.ts";
import {
  runStress,
  type StressControl,
  type StressOptions,
  type StressProgress,
  type StressReport,
  type StressSecond,
} from "./stress.ts";
import {
  type ClusterArgs,
  type CompareArgs,
  parseCompareArgs,
  parseStressArgs,
  type StressArgs,
  type StressOutputs,
  type TemplatesFile,
  USAGE,
  UsageError,
} from "./_stress_args.ts";
import { formatCount, formatMs, formatProgress, formatReport } from "./_stress_format.ts";
import { DEFAULT_DURATION_MS, normalizeStressOptions } from "./_stress_options.ts";
import { parseHar, parseRequestsFile, type RequestTemplate } from "./_request_templates.ts";
import { interruptHandler } from "./_stress_interrupt.ts";
import { startTarget, type Target } from "./_target.ts";
import { Histogram, type HistogramData } from "./_histogram.ts";
import {
  brokenThresholds,
  checkThresholdsFor,
  evaluateThresholds,
  formatThresholdResults,
  type LiveCounts,
  type Threshold,
  type ThresholdHistograms,
  type ThresholdResult,
} from "./_thresholds.ts";
import { HdrLogWriter } from "./_hdr_log.ts";
import { formatCsvTimeline } from "./_csv_report.ts";
import { renderHtmlReport } from "./_html_report.ts";
import { compareReports, formatComparison, parseStressReport } from "./stress_compare.ts";

const encoder = new TextEncoder();

function writeErr(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

function usageFailure(message: string): number {
  writeErr(`stress: ${message}\nRun 'deno task stress --help' for usage.\n`);
  return 2;
}

function terminalWidth(): number {
  try {
    const { columns } = Deno.consoleSize();
    return columns >= 40 ? columns : 80;
  } catch {
    return 80;
  }
}

/** The least permissions a command line needs: net for the host, read and write per file. */
interface Grants {
  host: string;
  read: string[];
  write: string[];
}

/** The `deno run` line with exactly the grants a run needs, for permission messages. */
function commandLine(grants: Grants, args: string[]): string {
  const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg}'`);
  const write = grants.write.length > 0 ? ` --allow-write=${grants.write.join(",")}` : "";
  return `  deno run --allow-net=${grants.host} --allow-read=${
    ["servers", "sync", ...grants.read].join(",")
  }${write} servers/stress_cli.ts${args.map((a) => ` ${quote(a)}`).join("")}`;
}

/**
 * Reads a file the user named (a body, requests file, HAR or report). Without read
 * permission a terminal asks for exactly that file; elsewhere it is bad usage.
 */
async function readUserFile(what: string, path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new UsageError(
        `Cannot read ${what} '${path}' as read permission is missing: run with --allow-read=${path}`,
      );
    }
    throw new UsageError(`Cannot read ${what} '${path}': ${(error as Error).message}`);
  }
}

/** Reads `--requests-file` or `--har`: a bad file is bad usage naming its line or entry. */
async function readTemplates(
  source: TemplatesFile,
  url: string | URL,
): Promise<RequestTemplate[]> {
  const what = source.format === "har" ? "HAR file" : "requests file";
  const text = new TextDecoder().decode(await readUserFile(what, source.file));
  const base = url === "" ? undefined : url;
  try {
    return source.format === "har"
      ? parseHar(text, { file: source.file, base, cookies: source.cookies })
      : parseRequestsFile(text, { file: source.file, base });
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

/** The output files, opened (created or emptied) before the run so that a bad path sends nothing. */
type OpenOutputs = Partial<Record<keyof StressOutputs, Deno.FsFile>>;

const OUTPUT_FLAGS: Record<keyof StressOutputs, string> = {
  out: "--out",
  html: "--html",
  csv: "--csv",
  hdrLog: "--hdr-log",
};

async function openOutputs(outputs: StressOutputs): Promise<OpenOutputs> {
  const paths = Object.values(outputs).filter((f) => f !== undefined);
  const files: OpenOutputs = {};
  try {
    for (const [key, path] of Object.entries(outputs) as [keyof StressOutputs, string][]) {
      if (path === undefined) continue;
      try {
        files[key] = await Deno.open(path, { write: true, create: true, truncate: true });
      } catch (error) {
        if (error instanceof Deno.errors.NotCapable) {
          throw new UsageError(
            `Cannot write '${
              OUTPUT_FLAGS[key]
            }' file '${path}' as write permission is missing: run with --allow-write=${
              paths.join(",")
            }`,
          );
        }
        throw new UsageError(
          `Cannot write '${OUTPUT_FLAGS[key]}' file '${path}': ${(error as Error).message}`,
        );
      }
    }
  } catch (error) {
    closeOutputs(files);
    throw error;
  }
  return files;
}

function closeOutputs(files: OpenOutputs): void {
  for (const file of Object.values(files)) {
    try {
      file.close();
    } catch {
      // Already closed after an error.
    }
  }
}

async function writeAll(file: Deno.FsFile, text: string): Promise<void> {
  const bytes = encoder.encode(text);
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

/** What the run's second-by-second hook gathers: whole-run histograms and live maxima. */
class SecondsCollector {
  latency = new Histogram();
  serviceTime: Histogram | undefined;
  /** p50, p90 and max of each second, for the CSV when the timeline lacks them. */
  perSecond = new Map<number, { p50: number; p90: number; max: number }>();
  maxMs = 0;
  serviceMaxMs = 0;
  /** The run's start in ms since the epoch, once the first progress tells it. */
  startEpochMs: number | undefined;
  #hdrFile: Deno.FsFile | undefined;
  #hdr: HdrLogWriter | undefined;
  #hdrError: unknown;

  constructor(hdrFile: Deno.FsFile | undefined) {
    this.#hdrFile = hdrFile;
  }

  /** The HDR log, begun at the run's start (known from the first progress, ±1 ms). */
  #log(): HdrLogWriter | undefined {
    const file = this.#hdrFile;
    if (file && !this.#hdr) {
      this.#hdr = new HdrLogWriter((text) => writeAll(file, text), this.startEpochMs ?? Date.now());
    }
    return this.#hdr;
  }

  add(second: StressSecond, latency: HistogramData, serviceTime?: HistogramData): void {
    this.latency.merge(latency);
    if (serviceTime) {
      this.serviceTime ??= new Histogram();
      this.serviceTime.merge(serviceTime);
      if (serviceTime.total > 0) {
        this.serviceMaxMs = Math.max(this.serviceMaxMs, serviceTime.max / 1000);
      }
    }
    if (latency.total > 0) {
      const h = new Histogram(latency);
      const ms = (micros: number) => Math.round(micros) / 1000;
      this.perSecond.set(second.second, {
        p50: ms(h.percentile(50)),
        p90: ms(h.percentile(90)),
        max: ms(h.max),
      });
      this.maxMs = Math.max(this.maxMs, latency.max / 1000);
    }
    this.#log()?.write({ startMs: second.second * 1000, histogram: latency }).catch((error) => {
      this.#hdrError ??= error;
    });
  }

  /** Waits for the log's lines; a run without a closed second still gets the header. */
  async flush(startEpochMs: number): Promise<void> {
    this.startEpochMs ??= startEpochMs;
    await this.#log()?.flush().catch(() => {});
    if (this.#hdrError !== undefined) throw this.#hdrError;
  }
}

/** The report with each second's p50, p90 and max filled in from the histograms. */
function withSecondFigures(report: StressReport, seconds: SecondsCollector): StressReport {
  return {
    ...report,
    timeline: report.timeline.map((s) => {
      const figures = seconds.perSecond.get(s.second);
      if (!figures || (s as { p50?: number }).p50 !== undefined) return s;
      return { ...s, ...figures };
    }),
  };
}

/** Watches live counters for `--abort-on-fail`; counts and maxima only grow. */
class AbortWatch {
  broken: ThresholdResult[] = [];
  #thresholds: Threshold[];
  #controller: AbortController;

  constructor(thresholds: Threshold[], controller: AbortController) {
    this.#thresholds = thresholds;
    this.#controller = controller;
  }

  check(live: LiveCounts): void {
    if (this.broken.length > 0 || this.#controller.signal.aborted) return;
    const broken = brokenThresholds(this.#thresholds, live);
    if (broken.length === 0) return;
    this.broken = broken;
    this.#controller.abort();
  }
}

/** Set in the environment of the child that a `--cluster` run starts with exact grants. */
const CHILD_ENV = "TANDEM_STRESS_CLI_CHILD";
const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

/** Gives up run permission (granted only for `--cluster`'s relaunch) when it is not needed. */
function revokeRun(): void {
  if (Deno.permissions.querySync({ name: "run" }).state === "granted") {
    Deno.permissions.revokeSync({ name: "run" });
  }
}

/** Tandem's own folder `name` as a path, when this module is a local file. */
function ownFolder(name: string): string | undefined {
  const url = new URL(`../${name}/`, import.meta.url);
  return url.protocol === "file:" ? url.pathname : undefined;
}

/**
 * Starts this script again with exactly the grants a `--cluster` run needs (see the
 * module doc); resolves to its exit code. SIGINT and SIGTERM are passed on (a terminal's
 * Ctrl+C reaches both: the child takes a second one within 1 s as the same one).
 */
async function relaunch(parsed: StressArgs, cluster: ClusterArgs, args: string[]): Promise<number> {
  const net = [...LOOPBACK];
  if (cluster.redis !== "local") {
    const url = new URL(cluster.redis);
    net.push(`${url.hostname}:${url.port === "" ? "6379" : url.port}`);
  }
  if (!parsed.ownTarget && parsed.options.url !== "") {
    net.push(new URL(String(parsed.options.url)).hostname);
  }
  const read = ["servers", "sync", "cluster"].map(ownFolder).filter((f) => f !== undefined);
  read.push(...[parsed.bodyFile, parsed.templates?.file].filter((f) => f !== undefined));
  const write = Object.values(parsed.outputs).filter((f) => f !== undefined);
  const flags = ["run", "--no-prompt", `--allow-net=${[...new Set(net)].join(",")}`];
  flags.push("--allow-env", "--allow-sys=hostname");
  if (cluster.redis === "local") {
    // redis-server and the agents (this deno); Redis's folder is a new one in the temporary folder.
    flags.push(`--allow-run=redis-server,${Deno.execPath()}`);
    write.push(tempFolder());
  }
  if (read.length > 0) flags.push(`--allow-read=${read.join(",")}`);
  if (write.length > 0) flags.push(`--allow-write=${write.join(",")}`);
  // Preloaded so that BullMQ is in the start-up graph: a dynamic import alone resolved it to
  // a peer-dependency copy ('bullmq/6.7.0_1') that Deno 2.9.6 had not installed.
  flags.push(`--preload=${new URL("./_stress_cluster.ts", import.meta.url).href}`);
  return await runAsChild({ flags, module: import.meta.url, args, env: { [CHILD_ENV]: "1" } });
}

/** `TMPDIR` when readable without asking, else `/tmp` (where `Deno.makeTempDir` goes then). */
function tempFolder(): string {
  const env = Deno.permissions.querySync({ name: "env", variable: "TMPDIR" }).state;
  return (env === "granted" ? Deno.env.get("TMPDIR") : undefined) || "/tmp";
}

/** Whether this is the child a `--cluster` run started (it always has `--allow-env`). */
function isChild(): boolean {
  const env = Deno.permissions.querySync({ name: "env", variable: CHILD_ENV }).state;
  return env === "granted" && Deno.env.get(CHILD_ENV) !== undefined;
}

async function main(args: string[]): Promise<number> {
  if (args[0] === "compare") {
    revokeRun();
    return await compareMain(args.slice(1));
  }
  let parsed: StressArgs;
  try {
    parsed = parseStressArgs(args);
  } catch (error) {
    revokeRun();
    if (error instanceof UsageError) return usageFailure(error.message);
    throw error;
  }
  if (parsed.help) {
    revokeRun();
    console.log(USAGE);
    return 0;
  }
  if (parsed.cluster === undefined) revokeRun();
  else if (!isChild()) {
    if (Deno.permissions.querySync({ name: "run" }).state !== "granted") {
      // In this process BullMQ would be a dynamic import only, which Deno 2.9.6 resolved to
      // an uninstalled peer-dependency copy: the relaunch preloads it.
      return usageFailure(
        "Cannot run '--cluster' as run permission is missing: run 'deno task stress' or add --allow-run (it starts itself again with the least grants)",
      );
    }
    return await relaunch(parsed, parsed.cluster, args);
  }
  const { options, thresholds, outputs } = parsed;
  let files: OpenOutputs;
  let endpoints: string[] | undefined;
  try {
    if (parsed.bodyFile !== undefined) {
      options.body = await readUserFile("body file", parsed.bodyFile);
    }
    if (parsed.templates !== undefined) {
      options.templates = await readTemplates(parsed.templates, options.url);
      endpoints = options.templates.map((t) => t.name);
      // Without a URL, the templates' own (absolute, one origin) name the target.
      if (options.url === "") options.url = new URL("/", options.templates[0].url).href;
    }
    try {
      if (options.templates !== undefined) normalizeStressOptions(options);
      checkThresholdsFor(thresholds, {
        rate: options.rate !== undefined || options.stages !== undefined,
        endpoints,
      });
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        throw new UsageError(error.message);
      }
      throw error;
    }
    files = await openOutputs(outputs);
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(error.message);
    throw error;
  }
  const grants: Grants = {
    host: parsed.ownTarget ? "127.0.0.1" : new URL(String(options.url)).hostname,
    read: [parsed.bodyFile, parsed.templates?.file].filter((f) => f !== undefined),
    write: Object.values(outputs).filter((f) => f !== undefined),
  };
  try {
    return await run(parsed, files, grants);
  } finally {
    closeOutputs(files);
  }
}

async function run(parsed: StressArgs, files: OpenOutputs, grants: Grants): Promise<number> {
  const { options, json, thresholds } = parsed;
  let target: Target | undefined;
  if (parsed.ownTarget) {
    target = startTarget();
    options.url = target.url;
    if (!json) {
      console.log(
        `No URL given: stressing a built-in target at ${target.url} (Deno.serve in this process).`,
      );
    }
  }

  const controller = new AbortController();
  let interrupted = false;
  const onSigint = interruptHandler(controller, () => Deno.exit(130));
  const onSignal = (): void => {
    if (!controller.signal.aborted) interrupted = true;
    onSigint();
  };
  Deno.addSignalListener("SIGINT", onSignal);

  const tty = !json && Deno.stderr.isTerminal();
  const width = terminalWidth();
  const plannedMs = plannedDuration(options);
  const watch = parsed.abortOnFail ? new AbortWatch(thresholds, controller) : undefined;
  let lastLine = 0;
  const show = !json && !parsed.quiet;
  const seconds = new SecondsCollector(files.hdrLog);
  const onProgress = (progress: StressProgress): void => {
    seconds.startEpochMs ??= Date.now() - progress.elapsedMs;
    watch?.check({
      // Finished requests bound the requests sent from below: enough to break `requests<N`.
      requests: progress.completed,
      errors: progress.errors,
      // Keyed by class ("5xx"): judges `status5xx` live; a single code (`status404`)
      // reads 0 here and is judged at the end.
      statusCodes: progress.statusClasses,
      late: progress.late,
      maxMs: Math.max(seconds.maxMs, (progress as { maxMs?: number }).maxMs ?? 0),
      serviceMaxMs: seconds.serviceMaxMs,
    });
    if (!show) return;
    if (tty) {
      writeErr(`\r${formatProgress(progress, plannedMs, width)}\x1b[K`);
    } else if (progress.elapsedMs - lastLine >= 1000) {
      lastLine = progress.elapsedMs;
      writeErr(`stress: ${formatProgress(progress, plannedMs, 100).replace(/▕.*▏/, "")}\n`);
    }
  };

  let report: StressReport;
  try {
    const control: StressControl & {
      onSecond: (s: StressSecond, l: HistogramData, t: HistogramData | undefined) => void;
    } = {
      signal: controller.signal,
      onProgress,
      onSecond: (second, latency, serviceTime) => seconds.add(second, latency, serviceTime),
    };
    report = parsed.cluster
      ? await runCluster(parsed.cluster, options, {
        signal: controller.signal,
        onProgress,
        onSecond: (second, latency) => seconds.add(second, latency),
      }, json)
      : await runStress(options, control);
    await seconds.flush(Date.parse(report.startTime));
  } catch (error) {
    if (tty) writeErr("\r\x1b[K");
    if (error instanceof UsageError) {
      if (controller.signal.aborted) {
        writeErr(`stress: interrupted before the run started\n`);
        return 130;
      }
      return usageFailure(error.message);
    }
    if (
      error instanceof TypeError || error instanceof RangeError ||
      error instanceof Deno.errors.NotCapable
    ) {
      if (error instanceof Deno.errors.NotCapable) {
        const url = parsed.ownTarget ? [] : [String(options.url)];
        return usageFailure(
          `${error.message}\n${commandLine({ ...grants, read: [], write: [] }, url)}`,
        );
      }
      return usageFailure((error as Error).message);
    }
    writeErr(`stress: ${(error as Error).message ?? error}\n`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await target?.close();
  }
  if (tty) writeErr("\r\x1b[K");

  const stoppedByThreshold = watch !== undefined && watch.broken.length > 0 && !interrupted;
  let results: ThresholdResult[] = [];
  if (thresholds.length > 0) {
    results = judge(thresholds, report, {
      latency: seconds.latency.total > 0 ? seconds.latency.data() : undefined,
      serviceTime: seconds.serviceTime?.data(),
    });
    if (stoppedByThreshold) {
      // The live value that broke a threshold may be ahead of the report's (e.g. a max
      // seen in a second the report cut): the threshold fails either way.
      const broken = new Map(watch.broken.map((r) => [r.expression, r]));
      results = results.map((
        r,
      ) => (r.ok && broken.has(r.expression) ? broken.get(r.expression)! : r));
    }
    report = { ...report, thresholds: results } as StressReport;
  }

  const full = withSecondFigures(report, seconds);
  try {
    if (files.out) await writeAll(files.out, JSON.stringify(report, null, 2) + "\n");
    if (files.csv) await writeAll(files.csv, formatCsvTimeline(full));
    if (files.html) {
      await writeAll(
        files.html,
        renderHtmlReport(full, {
          thresholds: results,
          latencyHistogram: seconds.latency.total > 0 ? seconds.latency.data() : undefined,
          serviceHistogram: seconds.serviceTime?.data(),
        }),
      );
    }
  } catch (error) {
    writeErr(`stress: Cannot write the report files: ${(error as Error).message}\n`);
    return 1;
  }

  if (json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    let text = formatReport(report, width);
    if (stoppedByThreshold) {
      text = text.replace("Stopped early (Ctrl+C)", "Stopped early (--abort-on-fail)");
    }
    console.log(text);
    const agents = (report as ClusterReport).agents;
    if (agents !== undefined) {
      console.log(formatAgents(agents, (report as ClusterReport).agentsStartSkewMs));
    }
    if (results.length > 0) {
      console.log(
        ["", "Thresholds", ...formatThresholdResults(results).map((l) => `  ${l}`)].join("\n"),
      );
    }
    if (target) {
      console.log(
        `\n  The built-in target answered ${formatCount(target.served())} requests.`,
      );
    }
  }
  if (stoppedByThreshold) {
    const names = watch.broken.map((r) => `'${r.expression}'`).join(", ");
    writeErr(
      `stress: stopped early as ${names} can no longer pass (--abort-on-fail)\n`,
    );
  }
  const clusterError = (report as ClusterReport).clusterError;
  if (clusterError !== undefined && !report.cancelled) {
    writeErr(`stress: ${clusterError} (exit code 1)\n`);
    return 1;
  }
  const code = exitCode(report, {
    acceptFailures: parsed.acceptFailures,
    interrupted: report.cancelled && !stoppedByThreshold,
    thresholds: results,
  });
  if (!json) {
    if (code === 1) writeErr(`stress: ${verdict(report)} (exit code 1)\n`);
    if (code === 3) {
      const failed = results.filter((r) => !r.ok).length;
      writeErr(
        `stress: ${failed} of ${results.length} threshold${
          results.length === 1 ? "" : "s"
        } failed (exit code 3)\n`,
      );
    }
  }
  return code;
}

/** The parts of a distributed run's report the CLI reads (typed here: no static import). */
interface ClusterReport extends StressReport {
  agents?: {
    id: string;
    host: string;
    requests: number;
    successes: number;
    failures: number;
    rps: number;
    latencyMs: { p99: number };
    lost: boolean;
    lostReason?: string;
    startLateMs?: number;
  }[];
  agentsStartSkewMs?: number;
  clusterError?: string;
}

/**
 * Runs `options` over the agents of `cluster`, loading the coordinator (BullMQ) only now.
 * Anything thrown before a report (Redis not answering, too few agents, an option not
 * shared out, an agent refusing its target) is bad input: a `UsageError`, exit 2.
 */
async function runCluster(
  cluster: ClusterArgs,
  options: StressOptions,
  control: {
    signal: AbortSignal;
    onProgress: (progress: StressProgress) => void;
    onSecond: (second: StressSecond, latency: HistogramData) => void;
  },
  json: boolean,
): Promise<StressReport> {
  // Not a literal: Deno downloads the npm packages of literal dynamic imports with the
  // start-up graph, and a plain run should fetch deno-std only.
  const coordinator = "./_stress_cluster.ts";
  const { runClusterStress, startLocalCluster } =
    (await import(coordinator)) as typeof import("./_stress_cluster.ts");
  let local: AsyncDisposable | undefined;
  let redis = cluster.redis;
  try {
    if (redis === "local") {
      const started = await startLocalCluster(cluster.agents);
      local = started;
      redis = started.redis;
      if (!json) {
        console.log(`Started redis-server at ${redis} and ${cluster.agents} local agents.`);
      }
    }
    return await runClusterStress(options, {
      redis,
      agents: cluster.agents,
      agentsTimeoutMs: cluster.agentsTimeoutMs,
      signal: control.signal,
      onProgress: control.onProgress,
      onSecond: control.onSecond,
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    throw new UsageError((error as Error).message ?? String(error));
  } finally {
    await local?.[Symbol.asyncDispose]();
  }
}

/** One line per agent of a distributed run, under the report. */
function formatAgents(agents: NonNullable<ClusterReport["agents"]>, skewMs?: number): string {
  const rows = [
    ["agent", "host", "requests", "successes", "failures", "rps", "p99 ms", "start ms", "lost"],
  ];
  for (const a of agents) {
    rows.push([
      a.id.slice(0, 8),
      a.host,
      formatCount(a.requests),
      formatCount(a.successes),
      formatCount(a.failures),
      formatCount(a.rps),
      a.successes > 0 ? formatMs(a.latencyMs.p99) : "-",
      a.startLateMs === undefined ? "-" : `+${formatMs(a.startLateMs)}`.replace("+-", "-"),
      a.lost ? `yes${a.lostReason ? ` (${a.lostReason})` : ""}` : "no",
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    "  " + r.map((cell, i) => i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))
      .join("  ").trimEnd()
  );
  // How far apart their first requests went out (each against its planned start).
  const title = skewMs === undefined ? "Agents" : `Agents (started within ${formatMs(skewMs)} ms)`;
  return ["", title, ...lines].join("\n");
}

/** How long the run will last, for the progress bar, or `undefined` for a count of requests. */
function plannedDuration(options: StressOptions): number | undefined {
  if (options.duration !== undefined) return options.duration;
  if (options.stages !== undefined) return options.stages.reduce((t, s) => t + s.durationMs, 0);
  if (options.requests !== undefined) return undefined;
  const ramp = options.concurrency;
  // A connection ramp without -d lasts the ramp, at least the default 5 s.
  return typeof ramp === "object"
    ? Math.max(ramp.overMs, DEFAULT_DURATION_MS)
    : DEFAULT_DURATION_MS;
}

/**
 * Evaluates each threshold on its own: one the report cannot measure (say `p95` of a run
 * whose histograms never came) fails with its reason instead of losing the others.
 */
function judge(
  thresholds: Threshold[],
  report: StressReport,
  histograms: ThresholdHistograms,
): ThresholdResult[] {
  return thresholds.map((t) => {
    try {
      return evaluateThresholds([t], report, { histograms })[0];
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      writeErr(`stress: ${error.message}\n`);
      return {
        expression: t.expression,
        metric: t.metric,
        actual: NaN,
        ok: false,
        limit: t.value,
        unit: t.unit,
      };
    }
  });
}

/**
 * The exit code of a finished run, the first that applies: 130 when interrupted; 1 when
 * no request got any response (always: such a run measured nothing); with thresholds, 3
 * when one failed, else 0 (they alone judge the run); without, 1 when some request failed
 * or went unanswered (unless `--accept-failures`), else 0.
 */
function exitCode(
  report: StressReport,
  verdicts: { acceptFailures: boolean; interrupted: boolean; thresholds: ThresholdResult[] },
): number {
  if (verdicts.interrupted) return 130;
  if (responses(report) === 0) return 1;
  if (verdicts.thresholds.length > 0) return verdicts.thresholds.every((r) => r.ok) ? 0 : 3;
  const failed = Object.values(report.failures).reduce((a, b) => a + b, 0);
  return failed + report.inFlight > 0 && !verdicts.acceptFailures ? 1 : 0;
}

function responses(report: StressReport): number {
  return Object.values(report.statusCodes).reduce((a, b) => a + b, 0);
}

/** Why the run exits with 1, in a few words. */
function verdict(report: StressReport): string {
  if (responses(report) === 0) {
    return `no response at all to ${formatCount(report.requests)} requests`;
  }
  const failed = Object.values(report.failures).reduce((a, b) => a + b, 0);
  const parts: string[] = [];
  if (failed > 0) parts.push(`${formatCount(failed)} requests failed`);
  if (report.inFlight > 0) {
    parts.push(`${formatCount(report.inFlight)}${failed > 0 ? "" : " requests"} unanswered`);
  }
  return parts.join(", ");
}

/** `deno task stress compare BEFORE.json AFTER.json [--threshold EXPR]...` */
async function compareMain(args: string[]): Promise<number> {
  let parsed: CompareArgs;
  try {
    parsed = parseCompareArgs(args);
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(error.message);
    throw error;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const decoder = new TextDecoder();
  let text: string;
  try {
    const reports = [];
    for (const file of [parsed.before, parsed.after]) {
      const bytes = await readUserFile("report", file);
      reports.push(parseStressReport(decoder.decode(bytes), file));
    }
    const comparison = compareReports(reports[0], reports[1], { thresholds: parsed.thresholds });
    text = formatComparison(comparison);
    console.log(text.trimEnd());
    if (!comparison.ok) {
      const failed = comparison.thresholds.filter((r) => !r.ok).length;
      writeErr(
        `stress: ${failed} of ${comparison.thresholds.length} threshold${
          comparison.thresholds.length === 1 ? "" : "s"
        } failed (exit code 3)\n`,
      );
      return 3;
    }
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError || error instanceof TypeError || error instanceof RangeError
    ) {
      return usageFailure((error as Error).message);
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
