/**
 * Private: pass/fail thresholds over a stress report (`--threshold EXPR`), the check that
 * a threshold can no longer pass during a run (`--abort-on-fail`), and the regression
 * gates of `stress compare` (`p99<+10%`).
 *
 * An expression is `[endpoint:NAME:][service:]METRIC OP VALUE`:
 *
 * | metric                         | value                        | reads                       |
 * | ------------------------------ | ---------------------------- | --------------------------- |
 * | `p50` `p95` `p99.9` `min` `mean` `max` | `250ms`, `1s`, `800us`, bare = ms | `latencyMs` (corrected); `service:` reads `serviceTimeMs` |
 * | `errors`                       | count `5` or share `0.1%`    | sum of `failures`           |
 * | `status5xx` `status404`        | count or share of responses  | `statusCodes`               |
 * | `late`                         | count or share of requests   | `late` (rate runs)          |
 * | `requests`                     | count                        | `requests`                  |
 * | `rps`                          | req/s                        | `rps`                       |
 *
 * OP is one of `<` `<=` `>` `>=` `==` `!=`. A signed percentage (`+10%`, `-5%`) is a
 * change against a BEFORE report, for `stress compare` only.
 *
 * @module
 */

import type { StressFailures } from "./stress.ts";
import { Histogram, type HistogramData } from "./_histogram.ts";

/** Latency figures in ms as reports carry them; more percentiles may be present. */
export interface LatencyView {
  /** Smallest value. */
  min: number;
  /** Mean. */
  mean: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  /** Largest value. */
  max: number;
}

/** One endpoint of a report with several request templates. */
export interface EndpointView {
  /** Requests sent. */
  requests: number;
  /** Responses with a 1xx–3xx status. */
  successes: number;
  /** Failures: a count, or counts by cause. */
  failures: number | StressFailures | Record<string, number>;
  /** Count per response status code. */
  statusCodes?: Record<string, number>;
  /** Corrected latency. */
  latencyMs: LatencyView;
  /** Service time (rate runs). */
  serviceTimeMs?: LatencyView | null;
}

/** One second of a report's timeline; fields after `p99` come with later report versions. */
export interface SecondView {
  /** Seconds since the start. */
  second: number;
  /** Requests finished in that second. */
  completed: number;
  /** Failures in that second. */
  failures: number;
  /** 99th percentile latency in ms. */
  p99: number;
  /** Median latency in ms. */
  p50?: number;
  /** 90th percentile latency in ms. */
  p90?: number;
  /** Largest latency in ms. */
  max?: number;
  /** Target arrival rate of that second (rate runs). */
  targetRate?: number | null;
  /** Open connections in that second. */
  connections?: number;
}

/**
 * The parts of a stress report that thresholds, the CSV and HTML outputs and compare
 * read. A `StressReport` is one; the optional fields are those of rate runs and of runs
 * with several endpoints.
 */
export interface ReportView {
  /** The target. */
  url?: string;
  /** Requests sent. */
  requests: number;
  /** Responses with a 1xx–3xx status. */
  successes: number;
  /** Failures by cause. */
  failures: StressFailures | Record<string, number>;
  /** Requests unfinished when the run stopped. */
  inFlight: number;
  /** Count per response status code. */
  statusCodes: Record<string, number>;
  /** Finished requests per second. */
  rps: number;
  /** Wall time in ms. */
  durationMs: number;
  /** Corrected latency. */
  latencyMs: LatencyView;
  /** One entry per second. */
  timeline: SecondView[];
  /** Requested rate, or `null`. */
  rate?: number | null;
  /** Service time (rate runs). */
  serviceTimeMs?: LatencyView | null;
  /** Requests sent more than 1 ms after their intended start (rate runs). */
  late?: number | { count: number; worstMs?: number } | null;
  /** Per-endpoint statistics. */
  endpoints?: Record<string, EndpointView> | null;
}

/** A comparison operator of a threshold. */
export type ThresholdOp = "<" | "<=" | ">" | ">=" | "==" | "!=";

/** A parsed threshold expression. */
export interface Threshold {
  /** The expression as given (trimmed). */
  expression: string;
  /** Canonical metric name, with its scope: `p99`, `service:p99`, `endpoint:login:p95`. */
  metric: string;
  /** The kind of quantity. */
  kind: "latency" | "errors" | "status" | "late" | "requests" | "rps";
  /** For `latency`: `min`, `mean`, `max` or `pNN` (`p999` is 99.9); for `status`: `5xx` or `404`. */
  name: string;
  /** The percentile for `pNN` latency metrics. */
  percentile?: number;
  /** True for `service:` (service time instead of corrected latency). */
  service: boolean;
  /** The endpoint of `endpoint:NAME:`. */
  endpoint?: string;
  /** The comparison. */
  op: ThresholdOp;
  /** The limit: ms for latency, a count, a share in %, req/s, or a change in %. */
  value: number;
  /** What `value` (and the result's `actual`) measures. */
  unit: "ms" | "count" | "%" | "req/s";
  /** True for a change against a BEFORE report (`+10%`, `-5%`). */
  relative: boolean;
}

/** The outcome of one threshold, as the report's `thresholds` lists it. */
export interface ThresholdResult {
  /** The expression as given. */
  expression: string;
  /** Canonical metric name. */
  metric: string;
  /** The measured value in `unit` (for a relative threshold, the change in %). */
  actual: number;
  /** True when the threshold holds. */
  ok: boolean;
  /** The limit, in `unit`. */
  limit: number;
  /** What `actual` and `limit` measure. */
  unit: "ms" | "count" | "%" | "req/s";
}

/** Exact histograms for percentiles a report does not list (e.g. `p95`). */
export interface ThresholdHistograms {
  /** Corrected latency of the whole run. */
  latency?: HistogramData;
  /** Service time of the whole run. */
  serviceTime?: HistogramData;
  /** Per endpoint. */
  endpoints?: Record<string, { latency?: HistogramData; serviceTime?: HistogramData }>;
}

/** Options of {@linkcode evaluateThresholds}. */
export interface EvaluateOptions {
  /** The BEFORE report, for relative thresholds. */
  before?: ReportView;
  /** Histograms for percentiles the report does not list. */
  histograms?: ThresholdHistograms;
}

/** Counters a running stress test can read live, for {@linkcode brokenThresholds}. */
export interface LiveCounts {
  /** Requests sent so far. */
  requests?: number;
  /** Failures so far. */
  errors?: number;
  /** Responses per status code so far. */
  statusCodes?: Record<string, number>;
  /** Late requests so far. */
  late?: number;
  /** Largest corrected latency so far, in ms. */
  maxMs?: number;
  /** Largest service time so far, in ms. */
  serviceMaxMs?: number;
  /** The same per endpoint. */
  endpoints?: Record<string, LiveCounts>;
}

const SYNTAX = /^(.*?)(<=|>=|==|!=|<|>)([^<>=!]*)$/;
const VALUE = /^([+-])?(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|us|µs|%|\/s)?$/;
const METRICS_HINT =
  "use p50, p90, p95, p99, p99.9, min, mean, max, errors, rps, late, requests, status5xx or status404, " +
  "with 'service:' or 'endpoint:NAME:' in front where they apply";

function malformed(expression: string, why: string): TypeError {
  return new TypeError(
    `Cannot use threshold '${expression}' as ${why}: write METRIC OP VALUE, e.g. 'p99<250ms'`,
  );
}

/** `p99` → 99, `p999` → 99.9, `p99.9` → 99.9, `p9999` → 99.99, `p100` → 100. */
function percentileOf(name: string): number | undefined {
  const m = /^p(\d+(?:\.\d+)?)$/.exec(name);
  if (!m) return undefined;
  const digits = m[1];
  let p: number;
  if (digits.includes(".") || digits.length <= 2 || digits === "100") p = Number(digits);
  else if (digits.startsWith("99")) p = Number(`${digits.slice(0, 2)}.${digits.slice(2)}`);
  else return undefined;
  return p > 0 && p <= 100 ? p : undefined;
}

/**
 * Parses one threshold expression.
 *
 * @param expression E.g. `"p99<250ms"`, `"errors<0.1%"`, `"endpoint:login:p95<300ms"`.
 * @returns The threshold.
 * @throws {TypeError} When the expression is not a string or is malformed, or the metric is unknown.
 * @throws {RangeError} When the value does not suit the metric (e.g. `rps<5ms`).
 */
export function parseThreshold(expression: string): Threshold {
  if (typeof expression !== "string") {
    throw new TypeError(
      `Cannot use threshold as it must be a string: received ${typeof expression}`,
    );
  }
  const text = expression.trim();
  const m = SYNTAX.exec(text);
  if (!m) throw malformed(text, "it has no operator (< <= > >= == !=)");
  const left = m[1].trim();
  const op = m[2] as ThresholdOp;
  const right = m[3].trim();
  if (left === "") throw malformed(text, "it has no metric");
  if (/[<>=!]$/.test(left)) throw malformed(text, `'${m[1].trim()}${op}' is not an operator`);
  const v = VALUE.exec(right);
  if (!v) throw malformed(text, `'${right}' is not a number with an optional unit`);

  let scope = left;
  let endpoint: string | undefined;
  if (scope.startsWith("endpoint:")) {
    const rest = scope.slice("endpoint:".length);
    const colon = rest.lastIndexOf(":");
    if (colon <= 0) throw malformed(text, "'endpoint:' needs a name and a metric");
    scope = rest.slice(colon + 1);
    let name = rest.slice(0, colon);
    if (name.endsWith(":service")) {
      name = name.slice(0, -":service".length);
      scope = `service:${scope}`;
    }
    endpoint = name;
  }
  let service = false;
  if (scope.startsWith("service:")) {
    service = true;
    scope = scope.slice("service:".length);
  }
  const name = scope.trim().toLowerCase();
  const sign = v[1];
  const number = Number(v[2]) * (sign === "-" ? -1 : 1);
  const suffix = v[3];
  const relative = sign !== undefined;
  if (relative && suffix !== "%") {
    throw new RangeError(
      `Cannot use threshold '${text}' as a signed value must be a change in %, e.g. '+10%': received '${right}'`,
    );
  }
  const prefix = (endpoint === undefined ? "" : `endpoint:${endpoint}:`) +
    (service ? "service:" : "");

  let kind: Threshold["kind"];
  let canonical = name;
  let percentile: number | undefined;
  let unit: Threshold["unit"];
  let value = number;
  const wrongUnit = (wanted: string): RangeError =>
    new RangeError(
      `Cannot use threshold '${text}' as '${name}' must be compared with ${wanted}: received '${right}'`,
    );
  const p = percentileOf(name);
  if (p !== undefined || name === "min" || name === "mean" || name === "max") {
    kind = "latency";
    if (p !== undefined) {
      percentile = p;
      canonical = p === 100 ? "max" : `p${String(p).replace(".", "")}`;
      if (p === 100) percentile = undefined;
    }
    unit = "ms";
    if (!relative) {
      if (suffix === "%" || suffix === "/s") throw wrongUnit("a time such as '250ms' or '1s'");
      value = suffix === "s"
        ? number * 1000
        : suffix === "us" || suffix === "µs"
        ? number / 1000
        : number;
    }
  } else if (service) {
    throw new TypeError(
      `Cannot use threshold '${text}' as 'service:' applies to latency metrics only (p99, max, …): received '${name}'`,
    );
  } else if (name === "rps") {
    kind = "rps";
    unit = "req/s";
    if (!relative && suffix !== undefined && suffix !== "/s") {
      throw wrongUnit("requests per second such as '1000'");
    }
  } else if (
    name === "errors" || name === "late" || name === "requests" ||
    /^status(\d{3}|[1-5]xx)$/.test(name)
  ) {
    kind = name === "errors" || name === "late" || name === "requests" ? name : "status";
    if (kind === "status") canonical = name;
    unit = suffix === "%" ? "%" : "count";
    if (!relative && suffix !== undefined && suffix !== "%") {
      throw wrongUnit("a count such as '5' or a share such as '0.1%'");
    }
    if (!relative && kind === "requests" && unit === "%") throw wrongUnit("a count such as '1000'");
    if (!relative && unit === "%" && number > 100) throw wrongUnit("a share of at most 100%");
  } else {
    throw new TypeError(
      `Cannot use threshold '${text}' as '${name}' is not a metric: ${METRICS_HINT}`,
    );
  }
  if (relative) unit = "%";
  return {
    expression: text,
    metric: prefix + canonical,
    kind,
    name: kind === "status" ? name.slice("status".length) : canonical,
    ...(percentile === undefined ? {} : { percentile }),
    service,
    ...(endpoint === undefined ? {} : { endpoint }),
    op,
    value,
    unit,
    relative,
  };
}

/**
 * Parses threshold expressions, e.g. the values of repeated `--threshold` flags.
 *
 * @param expressions The expressions.
 * @returns The thresholds, in order.
 * @throws {TypeError} For the first malformed expression or unknown metric (the message names it).
 * @throws {RangeError} For the first value that does not suit its metric.
 */
export function parseThresholds(expressions: readonly string[]): Threshold[] {
  return expressions.map(parseThreshold);
}

/** What a run will measure, for {@linkcode checkThresholdsFor}. */
export interface RunShape {
  /** True for a run with a rate (it measures service time and late requests). */
  rate: boolean;
  /** The endpoint names of a run with several request templates. */
  endpoints?: readonly string[];
}

/**
 * Checks before a run that it will measure what the thresholds read, so that a typo in
 * an endpoint's name or a service-time threshold on a run without a rate is bad usage
 * (exit 2, nothing sent) instead of an error after the run.
 *
 * @param thresholds Expressions or parsed thresholds.
 * @param run Whether the run has a rate, and its endpoint names.
 * @throws {TypeError} When an expression is malformed or names an unknown metric.
 * @throws {RangeError} When a threshold needs a rate the run lacks, or names an endpoint
 * the run does not have.
 */
export function checkThresholdsFor(
  thresholds: readonly (string | Threshold)[],
  run: RunShape,
): void {
  for (const t of thresholds.map(asThreshold)) {
    if (!run.rate && (t.service || t.kind === "late")) {
      throw new RangeError(
        `Cannot use threshold '${t.expression}' as it needs a run with a rate (--rate): ` +
          (t.service ? "service time" : "late requests") + " are measured only then",
      );
    }
    if (t.endpoint !== undefined && !run.endpoints?.includes(t.endpoint)) {
      const names = run.endpoints ?? [];
      throw new RangeError(
        `Cannot use threshold '${t.expression}' as the run has no endpoint '${t.endpoint}': ` +
          (names.length ? `it has ${names.map((n) => `'${n}'`).join(", ")}` : "it has none"),
      );
    }
    if (t.relative) {
      throw new RangeError(
        `Cannot use threshold '${t.expression}' as a change in % needs a BEFORE report: use it with 'stress compare'`,
      );
    }
  }
}

function compare(actual: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case "<":
      return actual < limit;
    case "<=":
      return actual <= limit;
    case ">":
      return actual > limit;
    case ">=":
      return actual >= limit;
    case "==":
      return actual === limit;
    case "!=":
      return actual !== limit;
  }
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function failureCount(failures: EndpointView["failures"]): number {
  return typeof failures === "number" ? failures : sum(Object.values(failures) as number[]);
}

function statusCount(codes: Record<string, number> | undefined, name: string): number {
  if (!codes) return 0;
  if (name.endsWith("xx")) {
    return sum(Object.entries(codes).filter(([code]) => code[0] === name[0]).map(([, n]) => n));
  }
  return codes[name] ?? 0;
}

function lateCount(late: ReportView["late"]): number | undefined {
  if (late === undefined || late === null) return undefined;
  return typeof late === "number" ? late : late.count;
}

function unavailable(t: Threshold, what: string): RangeError {
  return new RangeError(`Cannot evaluate threshold '${t.expression}' as the report has no ${what}`);
}

/** The value of a threshold's metric in a report, in the threshold's unit (absolute). */
function measure(t: Threshold, report: ReportView, histograms?: ThresholdHistograms): number {
  let scope: ReportView | EndpointView = report;
  let hists: { latency?: HistogramData; serviceTime?: HistogramData } | undefined = histograms;
  if (t.endpoint !== undefined) {
    const endpoints = report.endpoints ?? {};
    const found = endpoints[t.endpoint];
    if (!found) {
      const names = Object.keys(endpoints);
      throw unavailable(
        t,
        `endpoint '${t.endpoint}'` +
          (names.length ? `: it has ${names.map((n) => `'${n}'`).join(", ")}` : ": it has none"),
      );
    }
    scope = found;
    hists = histograms?.endpoints?.[t.endpoint];
  }
  const finished = scope === report ? report.requests - report.inFlight : scope.requests;
  const share = (count: number, of: number): number => (of > 0 ? (count / of) * 100 : 0);
  switch (t.kind) {
    case "latency": {
      const latency = t.service ? scope.serviceTimeMs : scope.latencyMs;
      if (!latency) throw unavailable(t, "service time (it needs a run with a rate)");
      const data = t.service ? hists?.serviceTime : hists?.latency;
      if (t.percentile !== undefined && data && data.total > 0) {
        return Math.round(new Histogram(data).percentile(t.percentile)) / 1000;
      }
      const value = (latency as unknown as Record<string, number | undefined>)[t.name];
      if (typeof value !== "number") {
        throw unavailable(t, `${t.name}: use p50, p90, p99, p99.9, min, mean or max`);
      }
      return value;
    }
    case "errors": {
      const count = failureCount(scope.failures);
      return t.unit === "%" ? share(count, finished) : count;
    }
    case "status": {
      const codes = scope.statusCodes;
      if (!codes) throw unavailable(t, "status codes for this endpoint");
      const count = statusCount(codes, t.name);
      return t.unit === "%" ? share(count, sum(Object.values(codes))) : count;
    }
    case "late": {
      const count = scope === report ? lateCount(report.late) : undefined;
      if (count === undefined) {
        throw unavailable(t, "count of late requests (it needs a run with a rate)");
      }
      return t.unit === "%" ? share(count, report.requests) : count;
    }
    case "requests":
      return scope.requests;
    case "rps":
      return scope === report
        ? report.rps
        : report.durationMs > 0
        ? Math.round((scope.requests / report.durationMs) * 10_000) / 10
        : 0;
  }
}

function asThreshold(t: string | Threshold): Threshold {
  return typeof t === "string" ? parseThreshold(t) : t;
}

/**
 * Evaluates thresholds against a report (and a BEFORE report for relative ones).
 * Percentiles read corrected latency (`latencyMs`), or service time with `service:`.
 *
 * @param thresholds Expressions or parsed thresholds.
 * @param report The report (the AFTER report in a comparison).
 * @param options The BEFORE report, and histograms for percentiles the report lacks.
 * @returns One result per threshold, in order.
 * @throws {TypeError} When an expression is malformed or names an unknown metric.
 * @throws {RangeError} When the report lacks the metric (service time in a run without a
 * rate, an unknown endpoint), or a relative threshold has no BEFORE report.
 */
export function evaluateThresholds(
  thresholds: readonly (string | Threshold)[],
  report: ReportView,
  options: EvaluateOptions = {},
): ThresholdResult[] {
  const { before, histograms } = options;
  return thresholds.map(asThreshold).map((t) => {
    let actual: number;
    if (t.relative) {
      if (!before) {
        throw new RangeError(
          `Cannot evaluate threshold '${t.expression}' as a change in % needs a BEFORE report: use it with 'stress compare'`,
        );
      }
      const absolute = {
        ...t,
        unit: t.kind === "latency" ? "ms" : t.kind === "rps" ? "req/s" : "count",
        relative: false,
      } as Threshold;
      actual = percentChange(measure(absolute, before), measure(absolute, report));
    } else {
      actual = measure(t, report, histograms);
    }
    // Judged on the value as shown (3 decimals), so that 4.2 → 4.62 is +10 % exactly.
    actual = Math.round(actual * 1000) / 1000;
    return {
      expression: t.expression,
      metric: t.metric,
      actual,
      ok: compare(actual, t.op, t.value),
      limit: t.value,
      unit: t.unit,
    };
  });
}

/**
 * The change from `before` to `after` in %: 0 when both are 0, `Infinity` from 0 to more.
 *
 * @param before The first value.
 * @param after The second value.
 * @returns The change in %.
 */
export function percentChange(before: number, after: number): number {
  if (before === after) return 0;
  if (before === 0) return after > 0 ? Infinity : -Infinity;
  return ((after - before) / Math.abs(before)) * 100;
}

/**
 * The thresholds that can no longer pass, given counters that only grow during a run:
 * counts (`errors<5`, `status5xx==0`, `late<10`, `requests<=1000`) and maxima
 * (`max<1s`, `service:max<200ms`) with `<`, `<=` or `==` that are already broken.
 * Shares, percentiles, means and rates can still recover, so they are never listed.
 *
 * @param thresholds Expressions or parsed thresholds.
 * @param live The counters so far; a counter that is absent decides nothing.
 * @returns The results of the broken thresholds (`ok: false`), in order.
 * @throws {TypeError} When an expression is malformed or names an unknown metric.
 */
export function brokenThresholds(
  thresholds: readonly (string | Threshold)[],
  live: LiveCounts,
): ThresholdResult[] {
  const broken: ThresholdResult[] = [];
  for (const t of thresholds.map(asThreshold)) {
    if (t.relative || t.unit === "%") continue;
    if (t.op !== "<" && t.op !== "<=" && t.op !== "==") continue;
    const scope = t.endpoint === undefined ? live : live.endpoints?.[t.endpoint];
    if (!scope) continue;
    let value: number | undefined;
    if (t.kind === "latency") {
      if (t.name === "max") value = t.service ? scope.serviceMaxMs : scope.maxMs;
    } else if (t.kind === "errors") value = scope.errors;
    else if (t.kind === "status") {
      value = scope.statusCodes && statusCount(scope.statusCodes, t.name);
    } else if (t.kind === "late") value = scope.late;
    else if (t.kind === "requests") value = scope.requests;
    if (value === undefined) continue;
    // The counter only grows: once it is past the limit, the end result fails too.
    const past = t.op === "<" ? value >= t.value : value > t.value;
    if (past) {
      broken.push({
        expression: t.expression,
        metric: t.metric,
        actual: value,
        ok: false,
        limit: t.value,
        unit: t.unit,
      });
    }
  }
  return broken;
}

function formatValue(value: number, unit: ThresholdResult["unit"], relative = false): string {
  if (!Number.isFinite(value)) return value > 0 ? "+∞%" : "−∞%";
  if (relative) return `${value > 0 ? "+" : ""}${value.toFixed(1)}%`;
  const n = Math.abs(value) >= 100
    ? value.toFixed(1)
    : Math.abs(value) >= 10
    ? value.toFixed(2)
    : value.toFixed(3);
  const text = String(Number(n));
  if (unit === "ms") return `${text} ms`;
  if (unit === "%") return `${text}%`;
  if (unit === "req/s") return `${text} req/s`;
  return text;
}

/**
 * One terminal line per threshold result: `✓ p99<250ms  (p99 = 212.4 ms)`.
 *
 * @param results The results.
 * @returns The lines.
 */
export function formatThresholdResults(results: readonly ThresholdResult[]): string[] {
  const width = Math.max(0, ...results.map((r) => r.expression.length));
  return results.map((r) => {
    const relative = /[<>=!]\s*[+-]/.test(r.expression);
    return `${r.ok ? "✓" : "✗"} ${r.expression.padEnd(width)}  ${r.metric} = ${
      formatValue(r.actual, r.unit, relative)
    }${r.ok ? "" : "  FAILED"}`;
  });
}
