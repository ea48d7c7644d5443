// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the GUI page's script, bundled into `gui_web/_page_js.ts` by
 * `deno task build:gui`. It starts runs through `/api/runs`, follows them over
 * Server-Sent Events with live charts, and lists, opens, compares and downloads the
 * runs of `/api/history`.
 *
 * @module
 */

import type { StressAgentProgress, StressAgentReport, StressReport } from "../../servers/stress.ts";
import type { Comparison } from "../../servers/stress_compare.ts";
import type { ThresholdResult } from "../../servers/_thresholds.ts";
import {
  FIELD_NAMES,
  MAX_REQUESTS_FILE_BYTES,
  requestsFileSizeError,
  RUN_FIELDS,
} from "../_fields.ts";
import type { HistoryEntry } from "../_history.ts";
import type { LiveSecond } from "../_live.ts";
import type { ProgressEvent, RunOutcome } from "../_runs.ts";
import { type TimelineBar, timelineBars } from "../_timeline.ts";
import { Chart, type ChartData, COLORS } from "./charts.ts";
import {
  byId,
  document,
  element,
  fillTable,
  history,
  type HTMLAnchorElement,
  type HTMLButtonElement,
  type HTMLDetailsElement,
  type HTMLElement,
  type HTMLFormElement,
  type HTMLInputElement,
  type HTMLProgressElement,
  type HTMLTableElement,
  type HTMLTextAreaElement,
} from "./dom.ts";
import { bytes, ms, num, percent, sum } from "./format.ts";

type Report = StressReport & { thresholds?: ThresholdResult[]; agents?: StressAgentReport[] };
/** An agents table row's fields: the live progress's, or the report's with a state. */
type AgentRow = Pick<StressAgentProgress, "id" | "host" | "state" | "rps" | "lost" | "lostReason">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SIMPLE = RUN_FIELDS.filter((field) => !field.advanced).map((field) => field.name);

const form = byId<HTMLFormElement>("run-form");
const button = byId<HTMLButtonElement>("submit");
const bar = byId<HTMLProgressElement>("progress");
const statusEl = byId("status");
const fileInput = byId<HTMLInputElement>("requestsFile");
const fileClear = byId<HTMLButtonElement>("requestsFile-clear");
const fileCookies = byId<HTMLInputElement>("requestsFile-cookies");

let runId: string | null = null;
let source: EventSource | null = null;
let busy = false;
let liveSeconds: LiveSecond[] = [];

const charts = {
  rps: new Chart({
    holder: "chart-rps",
    table: "table-rps",
    canvasId: "timeline-chart",
    stepEnd: true,
    series: [
      { label: "req/s", color: COLORS.accent, fill: "rgba(47, 111, 237, 0.22)", shape: "step" },
      { label: "failures/s", color: COLORS.danger, fill: "rgba(198, 45, 58, 0.35)", shape: "step" },
      { label: "target", color: COLORS.muted, dash: [6, 4], shape: "step" },
    ],
  }),
  latency: new Chart({
    holder: "chart-latency",
    table: "table-latency",
    series: [
      { label: "p50", color: COLORS.p50, shape: "line", format: ms },
      { label: "p90", color: COLORS.p90, shape: "line", format: ms },
      { label: "p99", color: COLORS.p99, shape: "line", format: ms },
    ],
  }),
  errors: new Chart({
    holder: "chart-errors",
    table: "table-errors",
    series: [{ label: "errors", color: COLORS.danger, fill: COLORS.danger, shape: "bars" }],
  }),
  histogram: new Chart({
    holder: "chart-histogram",
    table: "table-histogram",
    canvasId: "histogram-chart",
    // Ticks fall between buckets too: label whole indexes only.
    xValues: (i) => (Number.isInteger(i) ? histogramEdges[i]?.[0] ?? "" : ""),
    xFormat: (i) => histogramEdges[Math.round(i)]?.join("–") ?? "",
    series: [{ label: "responses", color: COLORS.accent, fill: COLORS.accent, shape: "bars" }],
  }),
};
/** Each shown bucket's bounds in ms, as text. */
let histogramEdges: [string, string][] = [];

// ---- Status, busy state and errors -------------------------------------------------

function setStatus(state: string, text = state): void {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

// Busy while a request is out. The button is never disabled: that would drop keyboard
// focus, so Enter or Space could not press Cancel right after Submit.
function setBusy(value: boolean): void {
  busy = value;
  if (value) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

function setRunning(running: boolean): void {
  setBusy(false);
  button.textContent = running ? "Cancel" : "Submit";
  button.classList.toggle("cancel", running);
  for (const name of FIELD_NAMES) {
    (byId(name) as HTMLInputElement | HTMLTextAreaElement).readOnly = running;
  }
  // A file input ignores readOnly.
  fileInput.disabled = running;
  fileClear.disabled = running;
  fileCookies.disabled = running;
}

function clearErrors(): void {
  for (const name of FIELD_NAMES) {
    byId(`${name}-error`).textContent = "";
    byId(name).removeAttribute("aria-invalid");
  }
  byId("form-error").textContent = "";
}

function showError(field: string | null | undefined, message: string): void {
  if (field && FIELD_NAMES.includes(field)) {
    if (!SIMPLE.includes(field as typeof SIMPLE[number])) {
      byId<HTMLDetailsElement>("advanced").open = true;
    }
    byId(`${field}-error`).textContent = message;
    byId(field).setAttribute("aria-invalid", "true");
    byId(field).focus();
  } else {
    byId("form-error").textContent = message;
  }
}

// ---- Live progress and charts ------------------------------------------------------

/** The agents table of a distributed run: live rows, or the report's at the end. */
function showAgents(rows: readonly (readonly string[])[], note: string): void {
  byId("agents-box").hidden = false;
  byId("agents-note").textContent = note;
  fillTable(byId<HTMLTableElement>("agents-table"), rows);
}

function agentRow(a: AgentRow): string[] {
  return [a.id, a.host, a.state, num(a.rps), a.lost ? a.lostReason ?? "lost" : "no"];
}

function showProgress(p: ProgressEvent): void {
  if (Array.isArray(p.agents)) showAgents(p.agents.map(agentRow), "");
  const total = typeof p.total === "number" && p.total > 0 ? p.total : Math.max(p.completed, 1);
  bar.max = total;
  // A run of a duration has no count to fill the bar against: it moves while it goes.
  if (typeof p.total !== "number" && p.completed > 0 && source !== null) {
    bar.removeAttribute("value");
  } else bar.value = Math.min(p.completed, total);
  byId("completed").textContent = `${num(p.completed)} / ${
    typeof p.total === "number" ? num(total) : "–"
  }`;
  byId("rps").textContent = num(p.rps);
  byId("errors").textContent = num(p.errors);
  byId("elapsed").textContent = `${num(p.elapsedMs / 1000, 1)} s`;
}

/** The seconds of a progress event merged into the run's: by index, so repeats are harmless. */
function mergeSeconds(seconds: LiveSecond[], replace: boolean): boolean {
  if (replace) liveSeconds = [];
  let changed = replace;
  for (const second of seconds) {
    if (liveSeconds[second.second] === undefined) changed = true;
    liveSeconds[second.second] = second;
  }
  return changed;
}

function rpsData(bars: TimelineBar[], targets: (number | null)[]): ChartData {
  if (bars.length === 0) return [[], [], [], []];
  const xs = bars.map((b) => b.from);
  const last = bars[bars.length - 1];
  xs.push(last.to);
  const rates: (number | null)[] = bars.map((b) => b.rate);
  const failed: (number | null)[] = bars.map((b) => b.failedRate);
  const target = [...targets];
  rates.push(last.rate);
  failed.push(last.failedRate);
  target.push(targets[targets.length - 1] ?? null);
  return [xs, rates, failed, target];
}

function drawLive(): void {
  const seconds = liveSeconds.filter((s) => s !== undefined);
  const bars = seconds.map((s) => ({
    from: s.second,
    to: s.second + 1,
    rate: s.completed,
    failedRate: Math.min(s.failures, s.completed),
    partial: false,
  }));
  charts.rps.set(rpsData(bars, seconds.map((s) => s.targetRate)));
  charts.errors.set([seconds.map((s) => s.second), seconds.map((s) => s.failures)]);
  // A second's latency arrives once it has closed, within about 50 ms of its end.
  const closed = seconds.filter((s) => s.p99 !== undefined);
  const latency = (key: "p50" | "p90" | "p99") =>
    closed.map((s) => (s.completed > 0 ? s[key] ?? null : null));
  charts.latency.set([
    closed.map((s) => s.second),
    latency("p50"),
    latency("p90"),
    latency("p99"),
  ]);
  const lag = seconds.length > 0 ? "; each second as it ends" : "";
  byId("latency-note").textContent = lag;
  byId("histogram-note").textContent = lag;
}

function drawReport(r: Report): void {
  const timeline = r.timeline ?? [];
  const bars = timelineBars(timeline, r.durationMs ?? 0);
  const last = bars[bars.length - 1];
  byId("timeline-note").textContent = last && last.partial
    ? `; the last bar is the run's final ${num(last.to - last.from, 2)} s`
    : "";
  byId("latency-note").textContent = "";
  byId("histogram-note").textContent = "";
  type Second = {
    second: number;
    p50?: number;
    p90?: number;
    p99: number;
    completed: number;
    targetRate?: number | null;
  };
  // A second's own target when the report has one (a ramp), else the run's rate.
  const targets = (timeline as Second[]).map((s) => s.targetRate ?? r.rate ?? null);
  charts.rps.set(rpsData(bars, targets));
  const seconds = timeline as Second[];
  const latency = (key: "p50" | "p90" | "p99") =>
    seconds.map((s) => (s.completed > 0 && typeof s[key] === "number" ? s[key]! : null));
  charts.latency.set([
    seconds.map((s) => s.second),
    latency("p50"),
    latency("p90"),
    latency("p99"),
  ]);
  charts.errors.set([timeline.map((s) => s.second), timeline.map((s) => s.failures)]);
  drawHistogram(r.histogram ?? []);
}

function drawHistogram(buckets: StressReport["histogram"]): void {
  let first = 0;
  let lastIndex = buckets.length - 1;
  while (first <= lastIndex && buckets[first].count === 0) first++;
  while (lastIndex >= first && buckets[lastIndex].count === 0) lastIndex--;
  const shown = buckets.slice(first, lastIndex + 1);
  histogramEdges = shown.map((b) => [ms(b.fromMs), ms(b.toMs)]);
  charts.histogram.set([shown.map((_, i) => i), shown.map((b) => b.count)]);
}

function resetView(): void {
  liveSeconds = [];
  fillTable(byId<HTMLTableElement>("agents-table"), []);
  byId("agents-note").textContent = "";
  byId("report").hidden = true;
  showProgress({ completed: 0, total: 0, errors: 0, rps: 0, elapsedMs: 0, seconds: [] });
  for (const chart of Object.values(charts)) {
    chart.set([[], ...chart.data.slice(1).map(() => [])] as ChartData);
  }
}

// ---- Running -----------------------------------------------------------------------

function finish(state: string, event: MessageEvent<string>): void {
  const outcome = JSON.parse(event.data) as RunOutcome;
  source?.close();
  source = null;
  setRunning(false);
  setStatus(state);
  if (outcome.report) showReport(outcome.report, runId);
  if (outcome.error) showError(null, outcome.error);
  void loadHistory();
}

function watch(id: string): void {
  source?.close();
  runId = id;
  resetView();
  setRunning(true);
  setStatus("running");
  let first = true;
  const events = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
  source = events;
  events.addEventListener("progress", (event) => {
    const progress = JSON.parse((event as MessageEvent<string>).data) as ProgressEvent;
    showProgress(progress);
    // The first event after (re)connecting carries every second so far.
    if (mergeSeconds(progress.seconds ?? [], first)) drawLive();
    if (progress.histogram !== undefined) drawHistogram(progress.histogram);
    first = false;
  });
  events.addEventListener("done", (event) => finish("done", event as MessageEvent<string>));
  events.addEventListener(
    "cancelled",
    (event) => finish("cancelled", event as MessageEvent<string>),
  );
  events.addEventListener("error", (event) => {
    if (typeof (event as MessageEvent).data === "string") {
      finish("error", event as MessageEvent<string>);
    } else if (events.readyState === EventSource.CLOSED) {
      source = null;
      setRunning(false);
      setStatus("error", "disconnected");
      showError(null, "Lost the run's event stream: the run may have ended or the server stopped");
    } else {
      setStatus("running", "reconnecting");
    }
  });
  events.addEventListener("open", () => {
    first = true;
    setStatus("running");
  });
}

/** Why a request cannot be sent, marked next to its field. */
class FieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/**
 * The request body from the form: empty inputs are left out, numbers sent as numbers,
 * a chosen requests file as its name and text (the server parses it).
 */
async function formBody(): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  for (const field of RUN_FIELDS) {
    if (field.kind === "file") {
      const file = (byId(field.name) as HTMLInputElement).files?.[0];
      if (file === undefined) continue;
      // Refused here rather than after sending megabytes the server would refuse.
      if (file.size > MAX_REQUESTS_FILE_BYTES) {
        throw new FieldError(field.name, requestsFileSizeError(file.name, file.size));
      }
      const cookies = fileCookies.checked ? { cookies: true } : {};
      body[field.name] = { name: file.name, text: await file.text(), ...cookies };
      continue;
    }
    const raw = (byId(field.name) as HTMLInputElement | HTMLTextAreaElement).value;
    const text = field.kind === "lines" && field.name === "body" ? raw : raw.trim();
    if (text === "") continue;
    if (field.kind === "integer" || field.kind === "number") {
      const value = Number(text);
      // Not a number: sent as typed, so that the server's message quotes it.
      body[field.name] = Number.isNaN(value) ? text : value;
    } else if (field.kind === "load") {
      // A plain number goes as one; a ramp as its text, which the server parses.
      body[field.name] = /^\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    } else {
      body[field.name] = text;
    }
  }
  // A duration or stages replace the request count (which has a value from the start).
  if (body.duration !== undefined || body.stages !== undefined) delete body.requests;
  return body;
}

async function start(): Promise<void> {
  clearErrors();
  setBusy(true);
  try {
    const response = await fetch("/api/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(await formBody()),
    });
    const data = await response.json() as { id?: string; error?: string; field?: string };
    setBusy(false);
    if (response.status !== 201 || data.id === undefined) {
      showError(data.field, data.error ?? `The server refused the run: ${response.status}`);
      return;
    }
    history.replaceState(null, "", `#run=${data.id}`);
    watch(data.id);
  } catch (error) {
    setBusy(false);
    if (error instanceof FieldError) showError(error.field, error.message);
    else if (error instanceof TypeError) {
      showError(null, `Cannot reach the server: ${error.message}`);
    } else showError(null, `Cannot start the run: ${(error as Error).message}`);
  }
}

// A chosen file can be removed from the keyboard too (a file input offers no way).
fileInput.addEventListener("change", () => {
  fileClear.hidden = !fileInput.files?.length;
  byId("requestsFile-error").textContent = "";
  fileInput.removeAttribute("aria-invalid");
});
fileClear.addEventListener("click", () => {
  fileInput.value = "";
  fileClear.hidden = true;
  byId("requestsFile-error").textContent = "";
  fileInput.removeAttribute("aria-invalid");
  fileInput.focus();
});

// The run goes on and is still watched: offer Cancel again, unless it ended meanwhile.
function cancelFailed(message: string): void {
  if (source) setRunning(true);
  else setBusy(false);
  showError(null, message);
}

async function cancel(): Promise<void> {
  if (!runId) return;
  setBusy(true);
  button.textContent = "Cancelling";
  try {
    const response = await fetch(`/api/runs/${encodeURIComponent(runId)}`, { method: "DELETE" });
    if (response.ok) return;
    const data = await response.json() as { error?: string };
    cancelFailed(data.error ?? `Cannot cancel the run: ${response.status}`);
  } catch (error) {
    cancelFailed(`Cannot reach the server: ${(error as Error).message}`);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (busy) return;
  if (source) void cancel();
  else void start();
});

// ---- The report --------------------------------------------------------------------

function showReport(r: Report, historyId: string | null): void {
  byId("report").hidden = false;
  if (Array.isArray(r.agents)) {
    const rows = r.agents.map((a) => agentRow({ ...a, state: a.lost ? "lost" : "done" }));
    showAgents(rows, "; req/s over the run");
  }
  const failed = sum(r.failures as unknown as Record<string, number>);
  byId("report-url").textContent = `${r.method || "GET"} ${r.url}`;
  const figures: [string, string][] = [
    ["Requests", num(r.requests)],
    ["Successes", num(r.successes)],
    ["Failures", num(failed)],
    ["Req/s", num(r.rps)],
    ["Duration", `${num(r.durationMs / 1000, 2)} s`],
    ["Throughput", bytes(r.bytesPerSecond)],
  ];
  const summary = byId("summary");
  summary.textContent = "";
  for (const [name, value] of figures) {
    const div = element("div");
    div.append(element("dt", name), element("dd", value));
    summary.appendChild(div);
  }
  const l = r.latencyMs ?? {};
  fillTable(byId<HTMLTableElement>("latency"), [[
    ms(l.min),
    ms(l.mean),
    ms(l.p50),
    ms(l.p90),
    ms(l.p99),
    ms(l.p999),
    ms(l.max),
  ]]);
  const codes = Object.keys(r.statusCodes ?? {}).sort().map((code) => [
    code,
    num(r.statusCodes[code]),
  ]);
  fillTable(byId<HTMLTableElement>("status-codes"), codes.length ? codes : [["none", "0"]]);
  const failures = r.failures as unknown as Record<string, number>;
  const causes = Object.keys(failures ?? {}).filter((cause) => failures[cause] > 0).sort()
    .map((cause) => [cause, num(failures[cause])]);
  fillTable(byId<HTMLTableElement>("failures"), causes.length ? causes : [["none", "0"]]);
  // The CLI's order: the slowest p99 first.
  const endpoints = Object.entries(r.endpoints ?? {}).sort((a, b) =>
    b[1].latencyMs.p99 - a[1].latencyMs.p99 || a[0].localeCompare(b[0])
  );
  byId("endpoints-box").hidden = endpoints.length === 0;
  fillTable(
    byId<HTMLTableElement>("endpoints"),
    endpoints.map(([name, e]) => [
      name,
      num(e.requests),
      num(e.successes),
      num(e.failures),
      ms(e.latencyMs.p50),
      ms(e.latencyMs.p90),
      ms(e.latencyMs.p99),
      ms(e.latencyMs.max),
    ]),
  );
  const thresholds = r.thresholds ?? [];
  byId("thresholds-box").hidden = thresholds.length === 0;
  fillTable(
    byId<HTMLTableElement>("threshold-results"),
    thresholds.map((
      t,
    ) => [t.expression, `${num(t.actual, 3)} ${t.unit}`, t.ok ? "passed" : "failed"]),
  );
  const json = byId<HTMLAnchorElement>("download-json");
  const html = byId<HTMLAnchorElement>("download-html");
  const downloadable = historyId !== null;
  for (const link of [json, html]) link.hidden = !downloadable;
  if (historyId !== null) {
    const base = `/api/history/${encodeURIComponent(historyId)}`;
    json.href = `${base}?download`;
    json.download = `stress-${historyId}.json`;
    html.href = `${base}/report.html`;
    html.download = `stress-${historyId}.html`;
  }
  drawReport(r);
}

// ---- History and compare -----------------------------------------------------------

let entries: HistoryEntry[] = [];

function timeOf(entry: HistoryEntry): string {
  const date = new Date(entry.startTime);
  return Number.isNaN(date.getTime())
    ? entry.startTime
    : date.toLocaleString("en-GB", { hour12: false });
}

function thresholdText(entry: HistoryEntry): string {
  if (entry.thresholds === null) return "–";
  const { passed, failed } = entry.thresholds;
  return failed > 0 ? `${failed} failed, ${passed} passed` : `${passed} passed`;
}

async function loadHistory(): Promise<void> {
  try {
    const response = await fetch("/api/history");
    const data = await response.json() as {
      dir: string | null;
      runs: HistoryEntry[];
      warnings: string[];
    };
    entries = data.runs;
    renderHistory(data.warnings, data.dir);
  } catch (error) {
    byId("compare-error").textContent = `Cannot load the history: ${(error as Error).message}`;
  }
}

function renderHistory(warnings: string[], dir: string | null): void {
  byId("history-dir").textContent = dir ? ` Kept in ${dir}.` : "";
  const list = byId("history-warnings");
  list.textContent = "";
  for (const warning of warnings) list.appendChild(element("li", warning));
  const body = byId<HTMLTableElement>("history-table").tBodies[0];
  const ticked = new Set(checkedIds());
  body.textContent = "";
  if (entries.length === 0) {
    const row = body.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 7;
    cell.textContent = "No runs yet.";
  }
  for (const entry of [...entries].reverse()) {
    const row = body.insertRow();
    const when = timeOf(entry);
    const box = element("input");
    box.type = "checkbox";
    box.value = entry.id;
    box.checked = ticked.has(entry.id);
    box.setAttribute("aria-label", `Compare the run of ${when}`);
    row.insertCell().appendChild(box);
    row.insertCell().textContent = when;
    const url = row.insertCell();
    url.className = "url";
    url.textContent = `${entry.method} ${entry.url}${entry.cancelled ? " (cancelled)" : ""}`;
    row.insertCell().textContent = num(entry.rps);
    row.insertCell().textContent = ms(entry.p99);
    const verdict = row.insertCell();
    verdict.textContent = thresholdText(entry);
    if (entry.thresholds) verdict.dataset.ok = String(entry.thresholds.failed === 0);
    const open = element("button", "Open");
    open.type = "button";
    open.className = "secondary";
    open.setAttribute("aria-label", `Open the run of ${when}`);
    open.addEventListener("click", () => void openRun(entry.id));
    row.insertCell().appendChild(open);
  }
}

function checkedIds(): string[] {
  return [...byId("history-table").querySelectorAll<HTMLInputElement>("input:checked")]
    .map((box) => box.value);
}

async function fetchReport(id: string): Promise<Report> {
  const response = await fetch(`/api/history/${encodeURIComponent(id)}`);
  if (!response.ok) throw new Error((await response.json()).error);
  return await response.json() as Report;
}

async function openRun(id: string): Promise<void> {
  if (source) {
    byId("compare-error").textContent = "A run is going: open it when it has ended";
    return;
  }
  try {
    const report = await fetchReport(id);
    byId("compare-error").textContent = "";
    showProgress({
      completed: report.requests - report.inFlight,
      total: report.requests,
      errors: report.requests - report.inFlight - report.successes,
      rps: report.rps,
      elapsedMs: report.durationMs,
      seconds: [],
    });
    setStatus(report.cancelled ? "cancelled" : "done");
    showReport(report, id);
    byId("report").scrollIntoView();
    byId("report-title").focus();
  } catch (error) {
    byId("compare-error").textContent = `Cannot open the run: ${(error as Error).message}`;
  }
}

const compareCharts = {
  rps: new Chart({
    holder: "chart-compare-rps",
    table: "table-compare-rps",
    series: [
      { label: "before", color: COLORS.accent, shape: "line" },
      { label: "after", color: COLORS.after, shape: "line" },
    ],
  }),
  spectrum: new Chart({
    holder: "chart-compare-spectrum",
    table: "table-compare-spectrum",
    xSplits: [0, Math.log10(2), 1, 2, 3],
    xValues: (x) => `${+(100 - 100 / 10 ** x).toFixed(3)}%`,
    xFormat: (x) => `p${+(100 - 100 / 10 ** x).toFixed(3)}`,
    series: [
      { label: "before", color: COLORS.accent, shape: "line", format: ms },
      { label: "after", color: COLORS.after, shape: "line", format: ms },
    ],
  }),
};

/**
 * Latency percentiles at x = log10(1 / (1 − p)), HdrHistogram's axis: p0 at 0, p50 at
 * 0.3, p90 at 1, p99 at 2, p99.9 at 3.
 */
function spectrum(r: Report): number[] {
  const l = r.latencyMs;
  return [l.min, l.p50, l.p90, l.p99, l.p999];
}
const SPECTRUM_X = [0, Math.log10(2), 1, 2, 3];

async function compareSelected(): Promise<void> {
  const error = byId("compare-error");
  const ids = checkedIds();
  if (ids.length !== 2) {
    error.textContent = `Tick exactly two runs to compare: ${ids.length} ticked`;
    return;
  }
  // The older run is BEFORE.
  const order = entries.map((entry) => entry.id);
  ids.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const [before, after] = ids;
  try {
    const response = await fetch(
      `/api/compare?before=${encodeURIComponent(before)}&after=${encodeURIComponent(after)}`,
    );
    const comparison = await response.json() as Comparison & { error?: string };
    if (!response.ok) throw new Error(comparison.error);
    const [a, b] = await Promise.all([fetchReport(before), fetchReport(after)]);
    error.textContent = "";
    const section = byId("compare");
    section.hidden = false;
    const name = (id: string) => {
      const entry = entries.find((e) => e.id === id)!;
      return `${timeOf(entry)} ${entry.method} ${entry.url}`;
    };
    byId("compare-names").textContent = `Before: ${name(before)} · After: ${name(after)}`;
    const figure = (value: number | null, unit: string) =>
      value === null
        ? "–"
        : unit === "count"
        ? num(value)
        : unit === "%"
        ? `${num(value, 2)} %`
        : `${num(value, unit === "ms" ? 3 : 1)} ${unit}`;
    const rows = comparison.rows.filter((row) => row.endpoint === "").map((row) => [
      row.metric,
      figure(row.before, row.unit),
      figure(row.after, row.unit),
      percent(row.change),
      row.beyondNoise ? (row.better ? "yes, better" : "yes, worse") : "no",
    ]);
    fillTable(byId<HTMLTableElement>("compare-table"), rows);
    const length = Math.max(a.timeline.length, b.timeline.length);
    const xs = Array.from({ length }, (_, i) => i);
    const rate = (r: Report) =>
      xs.map((i) => {
        const bars = timelineBars(r.timeline, r.durationMs);
        return bars[i] ? bars[i].rate : null;
      });
    compareCharts.rps.set([xs, rate(a), rate(b)]);
    compareCharts.spectrum.set([SPECTRUM_X, spectrum(a), spectrum(b)]);
    section.scrollIntoView();
    byId("compare-title").focus();
  } catch (caught) {
    error.textContent = `Cannot compare the runs: ${(caught as Error).message}`;
  }
}

byId("compare-button").addEventListener("click", () => void compareSelected());

// ---- Tables instead of charts ------------------------------------------------------

const toggle = byId<HTMLButtonElement>("toggle-tables");
toggle.addEventListener("click", () => {
  const showing = toggle.getAttribute("aria-pressed") !== "true";
  Chart.tablesShown = showing;
  if (showing) {
    for (const chart of [...Object.values(charts), ...Object.values(compareCharts)]) {
      chart.refreshTable();
    }
  }
  toggle.setAttribute("aria-pressed", String(showing));
  toggle.textContent = showing ? "Show data as charts" : "Show data as tables";
  for (const box of document.querySelectorAll<HTMLElement>(".chart-table")) box.hidden = !showing;
  for (const chart of document.querySelectorAll<HTMLElement>(".chart")) chart.hidden = showing;
});

// ---- Start -------------------------------------------------------------------------

for (const id of ["report-title", "compare-title"]) byId(id).tabIndex = -1;
void loadHistory();
const match = /^#run=(.+)$/.exec(location.hash);
if (match && UUID.test(match[1])) watch(match[1]);

/** Exposed for the page's tests and bench: the charts and their last redraw time. */
(globalThis as unknown as { tandemCharts: unknown }).tandemCharts = {
  ...charts,
  compareRps: compareCharts.rps,
  spectrum: compareCharts.spectrum,
};
