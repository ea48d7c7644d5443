/**
 * Command-line flags of `deno task stress`, parsed with `@std/cli/parse-args` and
 * checked strictly, before any traffic.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import type { StressOptions } from "./stress.ts";
import { MAX_DURATION_MS, normalizeStressOptions } from "./_stress_options.ts";
import { parseThresholds, type Threshold } from "./_thresholds.ts";
import {
  parseConcurrencyFlag,
  parseRateFlag,
  parseSeedFlag,
  parseStagesFlag,
} from "./_load_flags.ts";

/** Bad usage: the CLI prints the message and a usage hint, and exits with 2. */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The usage text. */
export const USAGE = `Usage: deno task stress [URL] [options]

Sends HTTP/1.1 requests to URL and reports throughput and latency. Without a URL (and
without --requests-file or --har) it starts a small HTTP target on 127.0.0.1 and
stresses that.

Options:
  -n, --requests N       send N requests (excludes -d)
  -d, --duration T       run for T, e.g. 500ms, 10s, 2m (default 5s)
  -c, --concurrency C    connections (default 50), or a ramp A:B/T of connections,
                         e.g. 10:200/30s (then B for the rest of the run)
  -w, --workers W        generator workers, each its own event loop (default: half the cores)
      --rate R           R requests/s at constant arrival (latency corrected for
                         coordinated omission, service time beside it), or a ramp
                         A:B/T, e.g. 100:2000/30s (then B for the rest of -d)
      --stages LIST      rate steps DURATION:RATE, each ramping from the previous
                         rate, e.g. "30s:500,2m:2000,30s:0" (sets the run's length)
      --requests-file F  JSON Lines of request templates {"name","method","url",
                         "headers","body","weight"}, picked by weight (needs
                         --allow-read=F); URLs resolve against URL, one origin
      --har F            the requests of a browser's HAR export, as templates
      --har-cookies      keep the HAR's Cookie headers (dropped by default)
      --seed N           the seed of the template picks, to repeat a run's mix
  -m, --method M         request method (default GET)
  -H, --header "K: V"    add a request header (repeatable)
      --body S           request body
      --body-file F      request body from file F (needs --allow-read=F)
      --timeout T        per-request timeout (default 5s)
      --pipeline N       N requests in flight per connection (HTTP/1.1 pipelining)
      --json             print the report as JSON only
  -q, --quiet            no live progress (the report still prints)
      --accept-failures  exit 0 even when requests failed or went unanswered
  -h, --help             show this help

Thresholds and outputs:
      --threshold EXPR   fail the run (exit 3) unless EXPR holds, e.g. "p99<250ms",
                         "errors<0.1%", "rps>=1000", "status5xx==0" (repeatable)
      --abort-on-fail    stop as soon as a threshold can no longer pass (errors,
                         requests and max: counts and maxima only grow)
      --out FILE         write the JSON report to FILE (the terminal still shows it)
      --html FILE        write a one-file HTML report with charts (opens offline)
      --csv FILE         write the per-second timeline as CSV
      --hdr-log FILE     write an HdrHistogram interval log (one histogram a second, µs)

Distributed runs (stress agents on Redis: deno task stress-agent --redis URL):
      --cluster REDIS    share the run out over idle agents on REDIS (redis://HOST:6379),
                         or 'local': start redis-server and --agents agents here
      --agents N         how many agents share the run (needs --cluster)
      --agents-timeout T how long to wait for N idle agents (default 10s)

Usage: deno task stress compare BEFORE.json AFTER.json [--threshold "p99<+10%"]...
  prints both runs side by side; thresholds with a signed % are a regression gate.

Exit codes: 0 ok; 1 some request failed or went unanswered (no response by the end of
the drain window, min(timeout, 1s) after -d) and no threshold was given, or no request
got any response at all (always); 2 bad usage (nothing is sent); 3 a threshold failed;
130 interrupted (Ctrl+C). Once thresholds are given, they alone judge the run.
Credentials in the URL (http://user:pass@host/) are sent as Basic auth.
A URL other than 127.0.0.1/localhost/[::1] needs net permission for its host, and
files need read or write permission for exactly those files (a terminal asks):
  deno run --allow-net=HOST --allow-read=servers,sync --allow-write=out.json \\
    servers/stress_cli.ts http://HOST/ --out out.json`;

/** The parsed command line. */
export interface StressArgs {
  /** Options for `runStress`; `url` is empty when no URL was given. */
  options: StressOptions;
  /** True when no URL was given (the CLI starts its own target). */
  ownTarget: boolean;
  /** Print JSON only. */
  json: boolean;
  /** No live progress (the report still prints). */
  quiet: boolean;
  /** Exit 0 even when requests failed. */
  acceptFailures: boolean;
  /** Show the help. */
  help: boolean;
  /** A file to read the body from. */
  bodyFile: string | undefined;
  /** The thresholds that judge the run (`--threshold`, repeatable), parsed. */
  thresholds: Threshold[];
  /** Stop the run as soon as a threshold can no longer pass. */
  abortOnFail: boolean;
  /** Files to write the run's results to. */
  outputs: StressOutputs;
  /** The file of request templates (`--requests-file` or `--har`), read by the CLI. */
  templates: TemplatesFile | undefined;
  /** A distributed run (`--cluster`, `--agents`, `--agents-timeout`). */
  cluster: ClusterArgs | undefined;
}

/** Where and over how many agents a distributed run goes. */
export interface ClusterArgs {
  /** A `redis://` or `rediss://` URL, or `"local"` (start Redis and the agents here). */
  redis: string;
  /** How many agents share the run. */
  agents: number;
  /** How long to wait for them, in ms (`undefined`: the coordinator's default, 10 s). */
  agentsTimeoutMs: number | undefined;
}

/** Where the request templates come from. */
export interface TemplatesFile {
  /** The file's path. */
  file: string;
  /** JSON Lines (`--requests-file`) or a HAR export (`--har`). */
  format: "jsonl" | "har";
  /** Keep the HAR's `Cookie` headers (`--har-cookies`). */
  cookies: boolean;
}

/** The files a run writes (`--out`, `--html`, `--csv`, `--hdr-log`); each is optional. */
export interface StressOutputs {
  /** The JSON report. */
  out?: string;
  /** The one-file HTML report. */
  html?: string;
  /** The per-second timeline as CSV. */
  csv?: string;
  /** The HdrHistogram interval log. */
  hdrLog?: string;
}

/** The parsed command line of `deno task stress compare`. */
export interface CompareArgs {
  /** The reference report's file. */
  before: string;
  /** The report to judge. */
  after: string;
  /** Threshold expressions (relative or absolute). */
  thresholds: string[];
  /** Show the help. */
  help: boolean;
}

const ALIASES: Record<string, string> = {
  n: "requests",
  d: "duration",
  c: "concurrency",
  w: "workers",
  m: "method",
  H: "header",
  h: "help",
  q: "quiet",
};

interface ParsedFlags {
  _: (string | number)[];
  requests?: string;
  duration?: string;
  concurrency?: string;
  workers?: string;
  rate?: string;
  stages?: string;
  seed?: string;
  "requests-file"?: string;
  har?: string;
  "har-cookies": boolean;
  method?: string;
  header?: string[];
  body?: string;
  "body-file"?: string;
  timeout?: string;
  pipeline?: string;
  json: boolean;
  quiet: boolean;
  "accept-failures": boolean;
  help: boolean;
  threshold?: string[];
  "abort-on-fail": boolean;
  out?: string;
  html?: string;
  csv?: string;
  "hdr-log"?: string;
  cluster?: string;
  agents?: string;
  "agents-timeout"?: string;
}

/**
 * Parses a duration such as `250ms`, `10s`, `1.5m`, `1h` or `10` (seconds).
 *
 * @param flag The flag name, for the message.
 * @param text The text.
 * @returns Milliseconds.
 * @throws {UsageError} When the text is not a positive duration.
 */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  const ms = match ? Number(match[1]) * factor[(match[2] ?? "s") as keyof typeof factor] : NaN;
  if (!(ms > 0)) {
    throw new UsageError(
      `Cannot parse '${flag}' as a positive duration like 500ms, 10s or 2m: received '${text}'`,
    );
  }
  if (ms > MAX_DURATION_MS) {
    throw new UsageError(`Cannot parse '${flag}' as a duration of at most 24h: received '${text}'`);
  }
  return ms;
}

function parseNumber(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `Cannot parse '${flag}' as a positive ${integer ? "integer" : "number"}: received '${text}'`,
    );
  }
  return value;
}

const STRING_FLAGS = [
  "requests",
  "duration",
  "concurrency",
  "workers",
  "rate",
  "method",
  "header",
  "body",
  "body-file",
  "timeout",
  "pipeline",
  "threshold",
  "stages",
  "seed",
  "requests-file",
  "har",
  "out",
  "html",
  "csv",
  "hdr-log",
  "cluster",
  "agents",
  "agents-timeout",
];

/** `--body ""` as `--body=`: parseArgs would take the empty value for the URL. */
function withEmptyValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : ALIASES[args[i].slice(1)];
    if (args[i + 1] === "" && STRING_FLAGS.includes(name) && /^--?[^-=]+$/.test(args[i])) {
      out.push(`--${name}=`);
      i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/**
 * Parses and checks the command line (no traffic, no file reads).
 *
 * @param args The arguments after the script name.
 * @returns The parsed arguments.
 * @throws {UsageError} On any bad usage.
 */
export function parseStressArgs(args: string[]): StressArgs {
  const unknown: string[] = [];
  const flags = parseArgs(withEmptyValues(args), {
    string: STRING_FLAGS,
    boolean: ["json", "quiet", "accept-failures", "help", "abort-on-fail", "har-cookies"],
    collect: ["header", "threshold"],
    alias: ALIASES,
    unknown: (arg: string) => {
      if (arg.startsWith("-") && arg !== "-") unknown.push(arg);
      return !arg.startsWith("-");
    },
  }) as ParsedFlags;
  const negative = unknown.find((arg) => /^-\d/.test(arg));
  if (negative !== undefined) {
    // parseArgs read the negative value as a flag of its own: name the flag it belonged to.
    const flag = args[args.indexOf(negative) - 1];
    throw new UsageError(
      flag?.startsWith("-")
        ? `Cannot parse '${flag}' as it must be positive: received '${negative}'`
        : `Cannot parse the command line as values must be positive: received '${negative}'`,
    );
  }
  if (unknown.length > 0) {
    throw new UsageError(`Cannot parse the command line as an option is unknown: '${unknown[0]}'`);
  }
  const help = flags.help;
  const positional = flags._.map(String);
  if (positional.length > 1) {
    throw new UsageError(
      `Cannot parse the command line as it takes one URL: received '${positional.join(" ")}'`,
    );
  }
  if (flags.requests !== undefined && flags.duration !== undefined) {
    throw new UsageError("Cannot parse the command line as '-n' and '-d' exclude each other");
  }
  if (flags.body !== undefined && flags["body-file"] !== undefined) {
    throw new UsageError(
      "Cannot parse the command line as '--body' and '--body-file' exclude each other",
    );
  }
  const headers: [string, string][] = [];
  for (const header of flags.header ?? []) {
    const colon = header.indexOf(":");
    if (colon <= 0) {
      throw new UsageError(`Cannot parse '-H' as 'Name: value': received '${header}'`);
    }
    headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
  }
  for (const [name, text] of Object.entries(flags)) {
    // Each value is there under its long name and its alias: name the flag as typed.
    if (text === "" && name !== "body" && name.length > 1) {
      const alias = Object.entries(ALIASES).find(([, long]) => long === name)?.[0];
      const typed = alias !== undefined && args.includes(`-${alias}`) ? `-${alias}` : `--${name}`;
      throw new UsageError(`Cannot parse '${typed}' as it has no value`);
    }
  }
  if (flags.threshold?.includes("")) {
    throw new UsageError("Cannot parse '--threshold' as it has no value");
  }
  const thresholds = thresholdsOf(flags.threshold ?? []);
  if (flags["abort-on-fail"] && thresholds.length === 0) {
    throw new UsageError(
      "Cannot parse '--abort-on-fail' as it needs a '--threshold' to judge the run by",
    );
  }
  const outputs: StressOutputs = {
    out: flags.out,
    html: flags.html,
    csv: flags.csv,
    hdrLog: flags["hdr-log"],
  };
  checkOutputs(outputs);
  if (flags["requests-file"] !== undefined && flags.har !== undefined) {
    throw new UsageError(
      "Cannot parse the command line as '--requests-file' and '--har' exclude each other",
    );
  }
  if (flags["har-cookies"] && flags.har === undefined) {
    throw new UsageError("Cannot parse '--har-cookies' as it needs '--har'");
  }
  const templatesFile = flags["requests-file"] ?? flags.har;
  const ownTarget = positional.length === 0 && templatesFile === undefined;
  const options: StressOptions = {
    url: positional[0] ?? "",
    requests: parseNumber("-n", flags.requests, true),
    duration: flags.duration === undefined ? undefined : parseDuration("-d", flags.duration),
    concurrency: flags.concurrency === undefined
      ? undefined
      : parseConcurrencyFlag(flags.concurrency, typedFlag(args, "concurrency")),
    workers: parseNumber("-w", flags.workers, true),
    rate: flags.rate === undefined ? undefined : parseRateFlag(flags.rate),
    ...(flags.stages === undefined ? {} : stagesOf(flags.stages)),
    seed: flags.seed === undefined ? undefined : parseSeedFlag(flags.seed),
    method: flags.method,
    headers,
    body: flags.body,
    timeout: flags.timeout === undefined ? undefined : parseDuration("--timeout", flags.timeout),
    pipeline: parseNumber("--pipeline", flags.pipeline, true),
  };
  if (!help) {
    try {
      // Checks ranges and the URL now, so bad usage sends no traffic (templates, read
      // later from their file, are checked with them then).
      normalizeStressOptions({
        ...options,
        url: options.url === "" ? "http://127.0.0.1/" : options.url,
      });
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        throw new UsageError(error.message);
      }
      throw error;
    }
  }
  const cluster = clusterOf(flags, ownTarget);
  return {
    options,
    ownTarget,
    json: flags.json,
    quiet: flags.quiet,
    acceptFailures: flags["accept-failures"],
    help,
    bodyFile: flags["body-file"],
    thresholds,
    abortOnFail: flags["abort-on-fail"],
    outputs,
    templates: templatesFile === undefined ? undefined : {
      file: templatesFile,
      format: flags.har === undefined ? "jsonl" : "har",
      cookies: flags["har-cookies"],
    },
    cluster,
  };
}

/** `--cluster`, `--agents` and `--agents-timeout`: all or nothing, checked before any traffic. */
function clusterOf(flags: ParsedFlags, ownTarget: boolean): ClusterArgs | undefined {
  if (flags.cluster === undefined) {
    for (const name of ["agents", "agents-timeout"] as const) {
      if (flags[name] !== undefined) {
        throw new UsageError(`Cannot parse '--${name}' as it needs '--cluster'`);
      }
    }
    return undefined;
  }
  const redis = flags.cluster;
  if (redis !== "local") {
    let url: URL | undefined;
    try {
      url = new URL(redis);
    } catch {
      // reported below
    }
    if (url === undefined || !["redis:", "rediss:"].includes(url.protocol) || url.hostname === "") {
      throw new UsageError(
        `Cannot parse '--cluster' as a redis://HOST:PORT URL or 'local': received '${redis}'`,
      );
    }
    if (ownTarget) {
      // The built-in target listens on this machine's loopback, which remote agents cannot reach.
      throw new UsageError(
        "Cannot parse '--cluster' as agents on other machines need a URL to stress: received none",
      );
    }
  }
  if (flags.agents === undefined) {
    throw new UsageError("Cannot parse '--cluster' as it needs '--agents N'");
  }
  return {
    redis,
    agents: parseNumber("--agents", flags.agents, true)!,
    agentsTimeoutMs: flags["agents-timeout"] === undefined
      ? undefined
      : Math.ceil(parseDuration("--agents-timeout", flags["agents-timeout"])),
  };
}

/** The flag as the user typed it (`-c` or `--concurrency`), for messages. */
function typedFlag(args: string[], name: string): string {
  const alias = Object.entries(ALIASES).find(([, long]) => long === name)?.[0];
  return alias !== undefined && args.some((a) => a === `-${alias}` || a.startsWith(`-${alias}=`))
    ? `-${alias}`
    : `--${name}`;
}

function stagesOf(text: string): Pick<StressOptions, "stages" | "startRate"> {
  const { stages, startRate } = parseStagesFlag(text);
  return startRate === undefined ? { stages } : { stages, startRate };
}

/** Parses `--threshold` values; a malformed one is bad usage. */
function thresholdsOf(expressions: string[]): Threshold[] {
  try {
    return parseThresholds(expressions);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

const OUTPUT_FLAGS: Record<keyof StressOutputs, string> = {
  out: "--out",
  html: "--html",
  csv: "--csv",
  hdrLog: "--hdr-log",
};

/** Two outputs to one file would overwrite each other: refuse before the run. */
function checkOutputs(outputs: StressOutputs): void {
  const seen = new Map<string, string>();
  for (const [key, path] of Object.entries(outputs) as [keyof StressOutputs, string][]) {
    if (path === undefined) continue;
    const other = seen.get(path);
    if (other !== undefined) {
      throw new UsageError(
        `Cannot parse '${OUTPUT_FLAGS[key]}' as '${other}' writes to '${path}' already`,
      );
    }
    seen.set(path, OUTPUT_FLAGS[key]);
  }
}

/**
 * Parses and checks the command line of `deno task stress compare BEFORE AFTER
 * [--threshold EXPR]...` (no file reads).
 *
 * @param args The arguments after `compare`.
 * @returns The parsed arguments.
 * @throws {UsageError} On any bad usage, e.g. a malformed threshold or a missing file name.
 */
export function parseCompareArgs(args: string[]): CompareArgs {
  const unknown: string[] = [];
  const flags = parseArgs(args, {
    string: ["threshold"],
    boolean: ["help"],
    collect: ["threshold"],
    alias: { h: "help" },
    unknown: (arg: string) => {
      if (arg.startsWith("-") && arg !== "-") unknown.push(arg);
      return !arg.startsWith("-");
    },
  }) as { _: (string | number)[]; threshold?: string[]; help: boolean };
  if (unknown.length > 0) {
    throw new UsageError(
      `Cannot parse the compare command line as an option is unknown: '${unknown[0]}'`,
    );
  }
  const files = flags._.map(String);
  const thresholds = flags.threshold ?? [];
  if (!flags.help && files.length !== 2) {
    throw new UsageError(
      `Cannot compare reports as it takes two files, BEFORE.json and AFTER.json: received ${
        files.length === 0 ? "none" : files.map((f) => `'${f}'`).join(" ")
      }`,
    );
  }
  if (thresholds.some((t) => t === "")) {
    throw new UsageError("Cannot parse '--threshold' as it has no value");
  }
  thresholdsOf(thresholds);
  return { before: files[0], after: files[1], thresholds, help: flags.help };
}
