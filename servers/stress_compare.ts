/**
 * Compares two stress reports (`deno task stress compare BEFORE.json AFTER.json`): req/s,
 * latency percentiles and errors side by side, for the run and per endpoint, with the
 * change in % and a mark on changes beyond noise; thresholds such as `p99<+10%` or
 * `rps>-5%` turn it into a regression gate.
 *
 * A change is beyond noise when it exceeds twice the combined standard error of the two
 * runs, estimated from the spread of their per-second values (req/s from each second's
 * completed count, percentiles from each second's percentile) and never below 1 % (the
 * histogram resolves 0.4 %); runs shorter than 3 s use 5 %. Error counts are compared as
 * Poisson counts (beyond noise when the difference exceeds twice √(before + after)).
 *
 * @module
 */

import {
  evaluateThresholds,
  type LatencyView,
  percentChange,
  type ReportView,
  type SecondView,
  type ThresholdResult,
} from "./_thresholds.ts";
import { formatThresholdResults } from "./_thresholds.ts";

export type {
  EndpointView,
  LatencyView,
  ReportView,
  SecondView,
  ThresholdResult,
} from "./_thresholds.ts";

/** One line of a comparison. */
export interface CompareRow {
  /** `""` for the whole run, else the endpoint's name. */
  endpoint: string;
  /** `req/s`, `p50` … `max`, `service p50` …, `errors`, `error rate`. */
  metric: string;
  /** What the values measure. */
  unit: "req/s" | "ms" | "count" | "%";
  /** The BEFORE value, or `null` when that report lacks it. */
  before: number | null;
  /** The AFTER value, or `null` when that report lacks it. */
  after: number | null;
  /** The change in % (`null` when a value is missing). */
  change: number | null;
  /** True when the change is beyond noise. */
  beyondNoise: boolean;
  /** Whether AFTER is better (`null` when unchanged or missing). */
  better: boolean | null;
}

/** The result of {@linkcode compareReports}. */
export interface Comparison {
  /** Side-by-side rows: the run's first, then each endpoint's. */
  rows: CompareRow[];
  /** The threshold results, in the order given. */
  thresholds: ThresholdResult[];
  /** True when every threshold holds (the exit code is 3 otherwise). */
  ok: boolean;
}

/** Options of {@linkcode compareReports}. */
export interface CompareOptions {
  /**
   * Threshold expressions: relative ones (`p99<+10%`, `rps>-5%`) compare AFTER with
   * BEFORE, absolute ones (`p99<250ms`) judge AFTER alone.
   *
   * @default {[]}
   */
  thresholds?: readonly string[];
}

/** Options of {@linkcode formatComparison}. */
export interface FormatComparisonOptions {
  /**
   * Names for the two columns.
   *
   * @default {["before", "after"]}
   */
  labels?: [string, string];
}

const MIN_NOISE_PERCENT = 1;
const SHORT_RUN_NOISE_PERCENT = 5;
const MIN_SECONDS = 3;

const LATENCY_ROWS: [string, keyof LatencyView, keyof SecondView | undefined][] = [
  ["p50", "p50", "p50"],
  ["p90", "p90", "p90"],
  ["p99", "p99", "p99"],
  ["p99.9", "p999", undefined],
  ["max", "max", "max"],
];

/** Seconds that lasted a whole second (the last one may be partial). */
function fullSeconds(report: ReportView): SecondView[] {
  return report.timeline.filter((s) => (s.second + 1) * 1000 <= report.durationMs + 1);
}

/** Relative standard error (in %) of the mean of a series, or undefined when too short. */
function relativeError(values: number[]): number | undefined {
  if (values.length < MIN_SECONDS) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean === 0) return undefined;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return (Math.sqrt(variance / values.length) / mean) * 100;
}

/** The noise band in % for a metric, from the per-second series of both runs. */
function noiseBand(a: number | undefined, b: number | undefined, scale = 1): number {
  if (a === undefined || b === undefined) return SHORT_RUN_NOISE_PERCENT * scale;
  return Math.max(MIN_NOISE_PERCENT, 2 * Math.sqrt(a * a + b * b) * scale);
}

function series(report: ReportView, key: keyof SecondView): number[] | undefined {
  const seconds = fullSeconds(report).filter((s) => s.completed > 0);
  const values = seconds.map((s) => s[key]);
  return values.every((v) => typeof v === "number") ? values as number[] : undefined;
}

function errorsOf(failures: ReportView["failures"] | number): number {
  if (typeof failures === "number") return failures;
  return Object.values(failures as Record<string, number>).reduce((a, b) => a + b, 0);
}

function row(
  endpoint: string,
  metric: string,
  unit: CompareRow["unit"],
  before: number | null | undefined,
  after: number | null | undefined,
  noisePercent: number,
  higherIsBetter: boolean,
): CompareRow {
  const b = typeof before === "number" ? before : null;
  const a = typeof after === "number" ? after : null;
  const change = a === null || b === null ? null : percentChange(b, a);
  const beyondNoise = change !== null && Math.abs(change) > noisePercent;
  const better = change === null || change === 0 ? null : (change > 0) === higherIsBetter;
  return {
    endpoint,
    metric,
    unit,
    before: b,
    after: a,
    change: change === null ? null : Math.round(change * 10) / 10,
    beyondNoise,
    better,
  };
}

function countRow(
  endpoint: string,
  metric: string,
  unit: "count" | "%",
  before: number,
  after: number,
  countBefore: number,
  countAfter: number,
): CompareRow {
  const r = row(endpoint, metric, unit, before, after, Infinity, false);
  // Poisson counts: a difference within twice √(a + b) is what chance alone gives.
  r.beyondNoise = Math.abs(countAfter - countBefore) > 2 * Math.sqrt(countBefore + countAfter);
  return r;
}

function checkReport(report: unknown, which: string): asserts report is ReportView {
  const r = report as Record<string, unknown> | null;
  if (typeof r !== "object" || r === null || Array.isArray(r)) {
    throw new TypeError(
      `Cannot compare reports as '${which}' must be a stress report: received ${
        r === null ? "null" : Array.isArray(r) ? "an array" : typeof r
      }`,
    );
  }
  for (const field of ["requests", "successes", "inFlight", "rps", "durationMs"]) {
    if (typeof r[field] !== "number") {
      throw new TypeError(
        `Cannot compare reports as '${which}' must be a stress report with a number '${field}': received ${typeof r[
          field
        ]}`,
      );
    }
  }
  for (const field of ["failures", "statusCodes", "latencyMs"]) {
    if (typeof r[field] !== "object" || r[field] === null) {
      throw new TypeError(
        `Cannot compare reports as '${which}' must be a stress report with an object '${field}': received ${typeof r[
          field
        ]}`,
      );
    }
  }
  if (!Array.isArray(r.timeline)) {
    throw new TypeError(
      `Cannot compare reports as '${which}' must be a stress report with a 'timeline' array: received ${typeof r
        .timeline}`,
    );
  }
}

/**
 * Reads a stress report from JSON text, e.g. a file written by `--out` or `--json`.
 *
 * @param text The JSON text.
 * @param source A name for messages, e.g. the file's path.
 * @returns The report.
 * @throws {TypeError} When the text is not JSON or not a stress report (the message names
 * the source and the missing field).
 *
 * @example Read a report
 * ```ts
 * import { parseStressReport } from "@tandem/tandem/servers";
 * import { assertThrows } from "@std/assert";
 *
 * assertThrows(() => parseStressReport("[]", "before.json"), TypeError, "'before.json' must be a stress report");
 * ```
 */
export function parseStressReport(text: string, source: string): ReportView {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TypeError(
      `Cannot compare reports as '${source}' must be JSON: ${(error as Error).message}`,
    );
  }
  checkReport(value, source);
  return value;
}

/**
 * Compares two stress reports side by side: req/s, latency percentiles (and service time
 * when both have it), errors and error rate, for the run and for each endpoint; each row
 * has the change in % and whether it is beyond noise. Thresholds are evaluated with
 * BEFORE as the reference.
 *
 * @param before The reference run.
 * @param after The run to judge.
 * @param options Threshold expressions.
 * @returns The rows, the threshold results and whether all hold.
 * @throws {TypeError} When a report is not a stress report, or a threshold is malformed
 * or names an unknown metric.
 * @throws {RangeError} When a threshold's metric is missing from a report.
 *
 * @example A regression gate on p99 and throughput
 * ```ts
 * import { compareReports } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const run = (rps: number, p99: number) => ({
 *   requests: rps * 10, successes: rps * 10, inFlight: 0, rps, durationMs: 10_000,
 *   failures: { timeout: 0 }, statusCodes: { "200": rps * 10 },
 *   latencyMs: { min: 1, mean: 2, p50: 2, p90: 3, p99, p999: p99, max: p99 },
 *   timeline: [],
 * });
 * const result = compareReports(run(1000, 10), run(990, 12), { thresholds: ["p99<+10%", "rps>-5%"] });
 * assertEquals(result.thresholds.map((t) => [t.expression, t.actual, t.ok]), [
 *   ["p99<+10%", 20, false],
 *   ["rps>-5%", -1, true],
 * ]);
 * assertEquals(result.ok, false);
 * ```
 */
export function compareReports(
  before: ReportView,
  after: ReportView,
  options: CompareOptions = {},
): Comparison {
  checkReport(before, "before");
  checkReport(after, "after");
  const thresholds = evaluateThresholds(options.thresholds ?? [], after, { before });
  const rows: CompareRow[] = [];

  const rpsNoise = noiseBand(
    relativeError(fullSeconds(before).map((s) => s.completed)),
    relativeError(fullSeconds(after).map((s) => s.completed)),
  );
  const p99Noise = (r: ReportView) => {
    const values = series(r, "p99");
    return values && relativeError(values);
  };
  const latencyNoise = new Map<string, number>();
  for (const [label, , key] of LATENCY_ROWS) {
    const b = key && series(before, key);
    const a = key && series(after, key);
    // Without that percentile per second, the p99's spread stands in for it.
    latencyNoise.set(
      label,
      noiseBand(
        b ? relativeError(b) : p99Noise(before),
        a ? relativeError(a) : p99Noise(after),
      ),
    );
  }
  const finished = (r: ReportView) => r.requests - r.inFlight;
  const share = (count: number, of: number) => (of > 0 ? (count / of) * 100 : 0);

  rows.push(row("", "req/s", "req/s", before.rps, after.rps, rpsNoise, true));
  for (const [label, key] of LATENCY_ROWS) {
    rows.push(
      row(
        "",
        label,
        "ms",
        before.latencyMs[key],
        after.latencyMs[key],
        latencyNoise.get(label)!,
        false,
      ),
    );
  }
  if (before.serviceTimeMs && after.serviceTimeMs) {
    for (const [label, key] of LATENCY_ROWS) {
      rows.push(
        row(
          "",
          `service ${label}`,
          "ms",
          before.serviceTimeMs[key],
          after.serviceTimeMs[key],
          latencyNoise.get(label)!,
          false,
        ),
      );
    }
  }
  const eb = errorsOf(before.failures);
  const ea = errorsOf(after.failures);
  rows.push(countRow("", "errors", "count", eb, ea, eb, ea));
  rows.push(
    countRow(
      "",
      "error rate",
      "%",
      Math.round(share(eb, finished(before)) * 1000) / 1000,
      Math.round(share(ea, finished(after)) * 1000) / 1000,
      eb,
      ea,
    ),
  );

  const names = [
    ...new Set([...Object.keys(before.endpoints ?? {}), ...Object.keys(after.endpoints ?? {})]),
  ];
  for (const name of names) {
    const b = before.endpoints?.[name];
    const a = after.endpoints?.[name];
    // An endpoint has a share of the run's samples: its noise grows as √(run / endpoint).
    const scale = (count: number | undefined, total: number) =>
      count && count < total ? Math.sqrt(total / count) : 1;
    const s = Math.max(scale(b?.requests, before.requests), scale(a?.requests, after.requests));
    const epRps = (r: ReportView, e: typeof a) =>
      e && r.durationMs > 0 ? Math.round((e.requests / r.durationMs) * 10_000) / 10 : null;
    rows.push(row(name, "req/s", "req/s", epRps(before, b), epRps(after, a), rpsNoise * s, true));
    for (const [label, key] of LATENCY_ROWS) {
      rows.push(
        row(
          name,
          label,
          "ms",
          b?.latencyMs[key],
          a?.latencyMs[key],
          latencyNoise.get(label)! * s,
          false,
        ),
      );
    }
    const fb = b ? errorsOf(b.failures) : 0;
    const fa = a ? errorsOf(a.failures) : 0;
    const r = countRow(name, "errors", "count", fb, fa, fb, fa);
    if (!b) r.before = r.change = null;
    if (!a) r.after = r.change = null;
    rows.push(r);
  }
  return { rows, thresholds, ok: thresholds.every((t) => t.ok) };
}

function formatNumber(value: number | null, unit: CompareRow["unit"]): string {
  if (value === null) return "–";
  if (unit === "count") return value.toLocaleString("en-US");
  if (unit === "req/s") {
    return value.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }
  if (unit === "%") return `${value.toFixed(3)}%`;
  return value < 10 ? value.toFixed(3) : value < 100 ? value.toFixed(2) : value.toFixed(1);
}

function formatChange(r: CompareRow): string {
  if (r.change === null) return "";
  if (!Number.isFinite(r.change)) return r.change > 0 ? "+∞%" : "−∞%";
  return `${r.change > 0 ? "+" : ""}${r.change.toFixed(1)}%`;
}

/**
 * The comparison as terminal text: a table per section (the run, then each endpoint),
 * changes beyond noise marked `better` or `worse`, then one line per threshold.
 *
 * @param comparison The result of {@linkcode compareReports}.
 * @param options Column labels.
 * @returns The text, ending in a newline.
 *
 * @example Print a comparison
 * ```ts
 * import { compareReports, formatComparison } from "@tandem/tandem/servers";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const run = (rps: number) => ({
 *   requests: rps, successes: rps, inFlight: 0, rps, durationMs: 1000,
 *   failures: {}, statusCodes: {}, timeline: [],
 *   latencyMs: { min: 1, mean: 1, p50: 1, p90: 1, p99: 1, p999: 1, max: 1 },
 * });
 * const text = formatComparison(compareReports(run(1000), run(800)));
 * assertStringIncludes(text, "-20.0%  worse");
 * ```
 */
export function formatComparison(
  comparison: Comparison,
  options: FormatComparisonOptions = {},
): string {
  const [labelB, labelA] = options.labels ?? ["before", "after"];
  const lines: string[] = [];
  const table: string[][] = [];
  let section: string | undefined;
  for (const r of comparison.rows) {
    if (r.endpoint !== section) {
      section = r.endpoint;
      table.push([section === "" ? "" : `endpoint ${section}`]);
    }
    const unit = r.unit === "ms" ? " (ms)" : "";
    const mark = r.beyondNoise && r.better !== null ? (r.better ? "better" : "worse") : "";
    table.push([
      `  ${r.metric}${unit}`,
      formatNumber(r.before, r.unit),
      formatNumber(r.after, r.unit),
      formatChange(r),
      mark,
    ]);
  }
  const header = ["", labelB, labelA, "change", ""];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...table.filter((t) => t.length > 1).map((t) => t[i].length))
  );
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")
      .trimEnd();
  lines.push(format(header));
  for (const t of table) {
    if (t.length === 1) {
      if (t[0] !== "") lines.push(t[0]);
    } else {
      const cells = [...t];
      cells[4] = cells[4].padEnd(widths[4]);
      lines.push(format(cells.slice(0, 4)) + (t[4] ? `  ${t[4]}` : ""));
    }
  }
  lines.push("better/worse: beyond noise (twice the standard error of the per-second values)");
  if (comparison.thresholds.length > 0) {
    lines.push(
      "",
      "thresholds",
      ...formatThresholdResults(comparison.thresholds).map((l) => `  ${l}`),
    );
  }
  return lines.join("\n") + "\n";
}
