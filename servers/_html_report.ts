/**
 * Private: the one-file HTML report of a stress run (`--html FILE`). It needs no network:
 * uPlot (45 KB minified, MIT) and its stylesheet are inlined from `_uplot_asset.ts`,
 * the data travels as JSON inside the page, and no fonts or images are loaded.
 *
 * Sections: the summary, the threshold results, latency percentiles (a table and the
 * percentile spectrum on HdrHistogram's log axis, where 99 % and 99.9 % get room), the
 * latency histogram, req/s and latency over time, status codes and failures, and a table
 * per endpoint when the run had several.
 *
 * uPlot instead of hand-drawn SVG: it is a kept library (cursor, legend and zoom for
 * free) and the whole page stays near 70 KB; a chart library that needs a bundler or
 * several hundred KB (Chart.js 200 KB, ECharts 1 MB) would be most of the file.
 *
 * @module
 */

import { Histogram, type HistogramData } from "./_histogram.ts";
import type { LatencyView, ReportView, ThresholdResult } from "./_thresholds.ts";
import { UPLOT_CSS, UPLOT_JS, UPLOT_VERSION } from "./_uplot_asset.ts";

/** A report as the HTML page reads it: the common view plus the run's description. */
export interface HtmlReportInput extends ReportView {
  /** The request method. */
  method?: string;
  /** Connections. */
  concurrency?: number;
  /** Generator workers. */
  workers?: number;
  /** Requests in flight per connection. */
  pipeline?: number;
  /** Bytes read per second. */
  bytesPerSecond?: number;
  /** Display buckets of the latency histogram. */
  histogram?: { fromMs: number; toMs: number; count: number }[];
  /** Start, ISO 8601. */
  startTime?: string;
  /** End, ISO 8601. */
  endTime?: string;
  /** True when the run was interrupted. */
  cancelled?: boolean;
  /** Why requests failed without a response, most frequent first. */
  failureReasons?: { cause: string; reason: string; count: number }[];
  /** Threshold results, when the report carries them. */
  thresholds?: ThresholdResult[];
}

/** Options of {@linkcode renderHtmlReport}. */
export interface HtmlReportOptions {
  /**
   * The page title.
   *
   * @default {"Stress report: " + the URL}
   */
  title?: string;
  /** Threshold results (else the report's own `thresholds`). */
  thresholds?: readonly ThresholdResult[];
  /** The run's whole latency histogram, for an exact percentile spectrum. */
  latencyHistogram?: HistogramData;
  /** The run's whole service-time histogram, likewise. */
  serviceHistogram?: HistogramData;
}

/** Percentiles of the spectrum chart. */
const SPECTRUM = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999];

/** A point of the spectrum: x = 1 / (1 − p), the axis HdrHistogram's plots use. */
type SpectrumPoint = [x: number, ms: number];

function spectrumFromHistogram(data: HistogramData): SpectrumPoint[] {
  const h = new Histogram(data);
  const points: SpectrumPoint[] = SPECTRUM.map((p) => [
    1 / (1 - p / 100),
    Math.round(h.percentile(p)) / 1000,
  ]);
  points.push([1e6, h.max / 1000]);
  return points;
}

function spectrumFromLatency(l: LatencyView): SpectrumPoint[] {
  const points: SpectrumPoint[] = [[1, l.min], [2, l.p50], [10, l.p90], [100, l.p99], [
    1000,
    l.p999,
  ]];
  points.push([1e6, l.max]);
  return points;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function num(value: number | null | undefined, digits = 0): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function ms(value: number | undefined): string {
  if (typeof value !== "number") return "–";
  return value < 10 ? value.toFixed(3) : value < 100 ? value.toFixed(2) : value.toFixed(1);
}

function table(head: string[], rows: string[][], className = ""): string {
  return `<table${className ? ` class="${className}"` : ""}><thead><tr>${
    head.map((h) => `<th>${esc(h)}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

function errorsOf(failures: unknown): number {
  if (typeof failures === "number") return failures;
  return Object.values(failures as Record<string, number>).reduce((a, b) => a + b, 0);
}

function lateOf(late: ReportView["late"]): { count: number; worstMs?: number } | undefined {
  if (late === undefined || late === null) return undefined;
  return typeof late === "number" ? { count: late } : late;
}

function summary(report: HtmlReportInput): string {
  const finished = report.requests - report.inFlight;
  const errors = errorsOf(report.failures);
  const late = lateOf(report.late);
  const rows: [string, string][] = [
    ["Target", `${esc(report.method ?? "GET")} ${esc(report.url ?? "")}`],
    ["Started", esc(report.startTime ?? "–")],
    [
      "Duration",
      `${num(report.durationMs / 1000, 2)} s${report.cancelled ? " (interrupted)" : ""}`,
    ],
    [
      "Load",
      [
        report.rate ? `${num(report.rate)} req/s target` : "as fast as possible",
        report.concurrency !== undefined ? `${num(report.concurrency)} connections` : "",
        report.workers !== undefined
          ? `${num(report.workers)} worker${report.workers === 1 ? "" : "s"}`
          : "",
        report.pipeline && report.pipeline > 1 ? `pipeline ${report.pipeline}` : "",
      ].filter(Boolean).join(", "),
    ],
    [
      "Requests",
      `${num(report.requests)} sent, ${num(finished)} finished, ${num(report.inFlight)} in flight`,
    ],
    [
      "Throughput",
      `${num(report.rps, 1)} req/s${
        report.bytesPerSecond !== undefined ? `, ${num(report.bytesPerSecond / 1024, 1)} KiB/s` : ""
      }`,
    ],
    [
      "Errors",
      `${num(errors)} (${num(finished > 0 ? (errors / finished) * 100 : 0, 3)} %)`,
    ],
  ];
  if (late) {
    rows.push([
      "Late",
      `${num(late.count)} requests sent over 1 ms after their intended start${
        late.worstMs !== undefined ? ` (worst ${ms(late.worstMs)} ms)` : ""
      }`,
    ]);
  }
  return `<table class="summary"><tbody>${
    rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")
  }</tbody></table>`;
}

function thresholdSection(results: readonly ThresholdResult[]): string {
  if (results.length === 0) return "";
  const failed = results.filter((r) => !r.ok).length;
  const unit = (u: string) => (u === "count" ? "" : u === "%" ? "%" : ` ${u}`);
  return `<section id="thresholds"><h2>Thresholds: ${
    failed ? `<span class="fail">${failed} failed</span>` : `<span class="pass">all passed</span>`
  }</h2>${
    table(
      ["", "Threshold", "Actual", "Limit"],
      results.map((r) => [
        r.ok ? `<span class="pass">✓ pass</span>` : `<span class="fail">✗ fail</span>`,
        `<code>${esc(r.expression)}</code>`,
        `${num(r.actual, r.unit === "count" ? 0 : 3)}${unit(r.unit)}`,
        `${num(r.limit, r.unit === "count" ? 0 : 3)}${unit(r.unit)}`,
      ]),
    )
  }</section>`;
}

function latencyTable(report: HtmlReportInput): string {
  const keys: [string, keyof LatencyView][] = [
    ["min", "min"],
    ["mean", "mean"],
    ["p50", "p50"],
    ["p90", "p90"],
    ["p99", "p99"],
    ["p99.9", "p999"],
    ["max", "max"],
  ];
  // Only a run with a rate measures from each request's intended start (corrected).
  const label = report.rate ? "Latency (corrected)" : "Latency";
  const rows = [[label, ...keys.map(([, k]) => ms(report.latencyMs[k]))]];
  if (report.serviceTimeMs) {
    rows.push(["Service time", ...keys.map(([, k]) => ms(report.serviceTimeMs![k]))]);
  }
  return table(["ms", ...keys.map(([label]) => label)], rows, "numbers");
}

function statusSection(report: HtmlReportInput): string {
  const codes = Object.entries(report.statusCodes);
  const failures = Object.entries(report.failures as Record<string, number>).filter(([, n]) =>
    n > 0
  );
  return `<section id="status"><h2>Status codes and failures</h2><div class="pair">${
    table(["Status", "Responses"], codes.map(([c, n]) => [esc(c), num(n)]), "numbers")
  }${
    failures.length
      ? table(["Failure", "Count"], failures.map(([c, n]) => [esc(c), num(n)]), "numbers")
      : "<p>No failures.</p>"
  }${
    report.failureReasons?.length
      ? table(
        ["Cause", "Reason", "Count"],
        report.failureReasons.map((r) => [esc(r.cause), esc(r.reason), num(r.count)]),
        "numbers",
      )
      : ""
  }</div></section>`;
}

function endpointSection(report: HtmlReportInput): string {
  const endpoints = Object.entries(report.endpoints ?? {});
  if (endpoints.length === 0) return "";
  endpoints.sort((a, b) => b[1].latencyMs.p99 - a[1].latencyMs.p99);
  const service = endpoints.some(([, e]) => e.serviceTimeMs);
  return `<section id="endpoints"><h2>Endpoints (slowest first)</h2>${
    table(
      [
        "Endpoint",
        "Requests",
        "req/s",
        "Errors",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        ...(service ? ["service p99 ms"] : []),
        "Status codes",
      ],
      endpoints.map(([name, e]) => [
        esc(name),
        num(e.requests),
        num(report.durationMs > 0 ? (e.requests * 1000) / report.durationMs : 0, 1),
        num(errorsOf(e.failures)),
        ms(e.latencyMs.p50),
        ms(e.latencyMs.p90),
        ms(e.latencyMs.p99),
        ms(e.latencyMs.max),
        ...(service ? [ms(e.serviceTimeMs?.p99)] : []),
        esc(Object.entries(e.statusCodes ?? {}).map(([c, n]) => `${c}: ${n}`).join(", ")),
      ]),
      "numbers",
    )
  }</section>`;
}

/** The data the page's script draws, as JSON. */
interface ChartData {
  spectrum: { latency: SpectrumPoint[]; service: SpectrumPoint[] | null };
  histogram: { fromMs: number; toMs: number; count: number }[];
  seconds: number[];
  completed: number[];
  rps: number[];
  target: (number | null)[] | null;
  p50: (number | null)[] | null;
  p90: (number | null)[] | null;
  p99: (number | null)[];
  max: (number | null)[] | null;
}

function chartData(report: HtmlReportInput, options: HtmlReportOptions): ChartData {
  const t = report.timeline;
  const column = (key: "p50" | "p90" | "max") =>
    t.some((s) => typeof s[key] === "number")
      ? t.map((s) => (s.completed > 0 && typeof s[key] === "number" ? s[key]! : null))
      : null;
  const rps = t.map((s) => {
    const length = Math.min(1000, report.durationMs - s.second * 1000);
    return length > 0 ? Math.round((s.completed * 1000) / length) : s.completed;
  });
  const targets = t.map((s) => s.targetRate ?? report.rate ?? null);
  return {
    spectrum: {
      latency: options.latencyHistogram && options.latencyHistogram.total > 0
        ? spectrumFromHistogram(options.latencyHistogram)
        : spectrumFromLatency(report.latencyMs),
      service: options.serviceHistogram && options.serviceHistogram.total > 0
        ? spectrumFromHistogram(options.serviceHistogram)
        : report.serviceTimeMs
        ? spectrumFromLatency(report.serviceTimeMs)
        : null,
    },
    histogram: report.histogram ?? [],
    seconds: t.map((s) => s.second),
    completed: t.map((s) => s.completed),
    rps,
    target: targets.some((v) => v !== null) ? targets : null,
    p50: column("p50"),
    p90: column("p90"),
    p99: t.map((s) => (s.completed > 0 ? s.p99 : null)),
    max: column("max"),
  };
}

/** JSON that is safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(
    /\u2028|\u2029/g,
    (c) => c === "\u2028" ? "\\u2028" : "\\u2029",
  );
}

/** The page's own script: draws the four charts with uPlot from the embedded JSON. */
const PAGE_SCRIPT = `
"use strict";
const data = JSON.parse(document.getElementById("stress-data").textContent);
const charts = [];
const width = () => Math.max(320, Math.min(1000, document.body.clientWidth - 40));
const SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
const fmtMs = (v) => v == null ? "–" : v < 10 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(1);
const pctLabel = (x) => {
  if (x >= 1e6) return "max";
  const p = 100 * (1 - 1 / x);
  return (Math.round(p * 1000) / 1000) + "%";
};
function chart(id, opts, rows) {
  const el = document.getElementById(id);
  if (!el) return;
  if (rows[0].length === 0) {
    el.textContent = "No data.";
    return;
  }
  opts.width = width();
  opts.height = 280;
  charts.push(new uPlot(opts, rows, el));
}
// Percentile spectrum: x = 1 / (1 - p) on a log axis.
{
  const s = data.spectrum;
  const xs = s.latency.map((p) => p[0]);
  const series = [{ label: "percentile", value: (u, v) => v == null ? "–" : pctLabel(v) },
    { label: data.latencyLabel, stroke: colors[0], width: 2, value: (u, v) => fmtMs(v) }];
  const rows = [xs, s.latency.map((p) => p[1])];
  if (s.service) {
    const byX = new Map(s.service.map((p) => [p[0], p[1]]));
    series.push({ label: "service time (ms)", stroke: colors[2], width: 2, value: (u, v) => fmtMs(v) });
    rows.push(xs.map((x) => byX.has(x) ? byX.get(x) : null));
  }
  chart("chart-spectrum", {
    title: "Latency by percentile",
    scales: { x: { time: false, distr: 3, log: 10 }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.05 : 1] } },
    axes: [{
      // Ticks at the decades only: 0 %, 90 %, 99 %, 99.9 % … and the max.
      splits: (u) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6].filter((x) => x >= u.scales.x.min && x <= u.scales.x.max),
      values: (u, vals) => vals.map(pctLabel),
      label: "percentile",
    }, { label: "ms", size: 60 }],
    series,
  }, rows);
}
// Histogram of latency: one bar per display bucket.
{
  const h = data.histogram;
  chart("chart-histogram", {
    title: "Latency histogram",
    // Half a bucket of room on each side, so that the first and last bars show whole.
    scales: { x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] } },
    axes: [
      { incrs: [1, 2, 5, 10], values: (u, vals) => vals.map((i) => h[i] ? fmtMs(h[i].fromMs) : ""),
        label: "ms (bucket start)" },
      { label: "responses", size: 60 },
    ],
    series: [
      { label: "bucket", value: (u, i) => h[i] ? fmtMs(h[i].fromMs) + "–" + fmtMs(h[i].toMs) + " ms" : "–" },
      { label: "responses", stroke: colors[0], fill: "rgba(31,119,180,0.35)",
        paths: uPlot.paths.bars({ size: [0.9, 64] }), points: { show: false } },
    ],
  }, [h.map((b, i) => i), h.map((b) => b.count)]);
}
// Throughput over time.
{
  const series = [{ label: "second" }, { label: "req/s", stroke: colors[0], width: 2 }];
  const rows = [data.seconds, data.rps];
  if (data.target) {
    series.push({ label: "target req/s", stroke: colors[4], dash: [6, 4], width: 1.5 });
    rows.push(data.target);
  }
  series.push({ label: "failures/s", stroke: colors[1], width: 1.5 });
  rows.push(data.seconds.map((s, i) => data.failures[i]));
  chart("chart-rps", {
    title: "Requests per second",
    scales: { x: { time: false } },
    axes: [{ label: "seconds", incrs: SECOND_STEPS }, { label: "req/s", size: 70 }],
    series,
  }, rows);
}
// Latency over time.
{
  const series = [{ label: "second" }];
  const rows = [data.seconds];
  const add = (label, values, color) => {
    if (!values) return;
    series.push({ label, stroke: color, width: 1.5, value: (u, v) => fmtMs(v) });
    rows.push(values);
  };
  add("p50 ms", data.p50, colors[2]);
  add("p90 ms", data.p90, colors[3]);
  add("p99 ms", data.p99, colors[0]);
  add("max ms", data.max, colors[1]);
  chart("chart-latency", {
    title: "Latency per second",
    scales: { x: { time: false } },
    axes: [{ label: "seconds", incrs: SECOND_STEPS }, { label: "ms", size: 60 }],
    series,
  }, rows);
}
window.addEventListener("resize", () => {
  for (const c of charts) c.setSize({ width: width(), height: 280 });
});
document.body.dataset.charts = String(charts.length);
`;

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 20px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 12px; word-break: break-all; }
h2 { font-size: 16px; margin: 24px 0 8px; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
table.numbers td:not(:first-child), table.numbers th:not(:first-child) { text-align: right; }
table.summary th { color: #555; font-weight: 600; }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #cf222e; font-weight: 600; }
.pair { display: flex; gap: 32px; flex-wrap: wrap; }
.chart { margin: 8px 0 16px; }
footer { margin-top: 32px; color: #777; font-size: 12px; }
code { font-size: 13px; }
`;

/**
 * Renders the one-file HTML report of a stress run: no network is needed to open it.
 *
 * @param report The report.
 * @param options Title, threshold results and histograms for an exact spectrum.
 * @returns The HTML text.
 */
export function renderHtmlReport(report: HtmlReportInput, options: HtmlReportOptions = {}): string {
  const thresholds = options.thresholds ?? report.thresholds ?? [];
  const title = options.title ?? `Stress report: ${report.url ?? ""}`;
  const data = {
    ...chartData(report, options),
    failures: report.timeline.map((s) => s.failures),
    latencyLabel: report.rate ? "corrected latency (ms)" : "latency (ms)",
  };
  if (/<\/script/i.test(UPLOT_JS)) {
    throw new Error("uPlot's script cannot be inlined as it holds '</script'");
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${UPLOT_CSS}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<section id="summary"><h2>Summary</h2>${summary(report)}</section>
${thresholdSection(thresholds)}
<section id="latency"><h2>Latency</h2>${latencyTable(report)}
<div class="chart" id="chart-spectrum"></div>
<div class="chart" id="chart-histogram"></div>
</section>
<section id="timeline"><h2>Over time</h2>
<div class="chart" id="chart-rps"></div>
<div class="chart" id="chart-latency"></div>
</section>
${statusSection(report)}
${endpointSection(report)}
<footer>Generated by Tandem stress at ${esc(new Date().toISOString())}. Charts: uPlot ${
    esc(UPLOT_VERSION)
  } (MIT licence, © Leon Sorokin).</footer>
<script type="application/json" id="stress-data">${scriptJson(data)}</script>
<script>${UPLOT_JS}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
