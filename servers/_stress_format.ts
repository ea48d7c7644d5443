/**
 * Terminal output of `deno task stress`: the live progress line and the final report
 * with a latency histogram.
 *
 * @module
 */

import type { StressEndpoint, StressLatency, StressProgress, StressReport } from "./stress.ts";

const BLOCKS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];
const SPARKS = "▁▂▃▄▅▆▇█";

/**
 * A number with thousands separators.
 *
 * @param n The number.
 * @param digits Fraction digits.
 * @returns The formatted number.
 */
export function formatCount(n: number, digits = 0): string {
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * Milliseconds as a short human duration (`850ms`, `4.2s`, `3m05s`).
 *
 * @param ms Milliseconds.
 * @returns The text.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/**
 * A latency in ms with 3 significant decimals where it matters.
 *
 * @param ms Milliseconds.
 * @returns The text.
 */
export function formatMs(ms: number): string {
  if (ms < 10) return ms.toFixed(3);
  if (ms < 100) return ms.toFixed(2);
  return ms.toFixed(1);
}

function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, fraction)) * width * 8);
  const full = Math.floor(eighths / 8);
  const text = "█".repeat(full) + BLOCKS[eighths % 8];
  return text.padEnd(width, " ");
}

/**
 * The live progress line: bar, completed/total, req/s (and the current target rate of a
 * rate run), errors and ETA.
 *
 * @param progress The progress.
 * @param durationMs The planned run length for runs of a fixed duration.
 * @param width The terminal width.
 * @returns One line (no newline).
 */
export function formatProgress(
  progress: StressProgress,
  durationMs: number | undefined,
  width = 80,
): string {
  const { completed, total, errors, rps, elapsedMs } = progress;
  let fraction: number;
  let count: string;
  let eta: number;
  if (total !== undefined) {
    fraction = total > 0 ? completed / total : 1;
    count = `${formatCount(completed)}/${formatCount(total)}`;
    eta = rps > 0 ? ((total - completed) / rps) * 1000 : NaN;
  } else {
    const planned = durationMs ?? elapsedMs;
    fraction = planned > 0 ? elapsedMs / planned : 1;
    count = `${formatCount(completed)} done`;
    eta = planned - elapsedMs;
  }
  const etaText = Number.isFinite(eta) ? formatDuration(Math.max(0, eta)) : "--";
  // A run with a rate or ramp shows what it aims at now beside what it achieves.
  const target = progress.targetRate === undefined
    ? ""
    : ` (target ${formatCount(progress.targetRate)})`;
  const tail = ` ${count}  ${formatCount(rps)} req/s${target}  ${
    formatCount(errors)
  } errors  ETA ${etaText}`;
  const barWidth = Math.max(10, Math.min(40, width - tail.length - 8));
  return `${(Math.min(1, fraction) * 100).toFixed(0).padStart(3)}% ▕${
    bar(fraction, barWidth)
  }▏${tail}`;
}

/**
 * The final report as text, with a latency histogram and a per-second sparkline.
 *
 * @param report The report.
 * @param width The terminal width.
 * @returns The text (several lines, ending without a newline).
 */
export function formatReport(report: StressReport, width = 80): string {
  const lines: string[] = [];
  const failed = Object.values(report.failures).reduce((a, b) => a + b, 0);
  const workers = `${report.workers} worker${report.workers === 1 ? "" : "s"}`;
  const mode = [
    `${report.method}`,
    `${report.concurrency} connections`,
    workers,
    report.pipeline > 1 ? `pipeline ${report.pipeline}` : "",
    report.rate !== null ? `rate ${formatCount(report.rate)}/s` : "",
  ].filter(Boolean).join(", ");
  lines.push(`${report.cancelled ? "Stopped early (Ctrl+C)" : "Done"}: ${report.url}`);
  lines.push(`  ${mode}, ${(report.durationMs / 1000).toFixed(2)} s`);
  lines.push("");
  lines.push(
    `  Requests   ${formatCount(report.requests)} sent, ${formatCount(report.successes)} ok, ${
      formatCount(failed)
    } failed${
      report.inFlight === 0
        ? ""
        : report.cancelled
        ? `, ${formatCount(report.inFlight)} in flight when stopped`
        : `, ${formatCount(report.inFlight)} unanswered at the end`
    }`,
  );
  lines.push(
    `  Throughput ${formatCount(report.rps, 1)} req/s, ${bytes(report.bytesPerSecond)}/s read`,
  );
  lines.push(latencyLine("Latency   ", report.latencyMs));
  if (report.serviceTimeMs) {
    // Side by side: what users saw (from the intended start) and what the server took.
    lines[lines.length - 1] += ", from each request's intended start";
    lines.push(latencyLine("Service   ", report.serviceTimeMs) + ", from the write");
  }
  if (report.targetRate !== undefined) {
    const late = report.late ?? { count: 0, worstMs: 0 };
    lines.push(
      `  Schedule   target ${formatCount(report.targetRate, 1)} req/s, ${
        formatCount(late.count)
      } sent over 1 ms late${
        late.count > 0 ? ` (worst ${formatMs(late.worstMs)} ms)` : ""
      }, generator lag p99 ${formatMs(report.generatorLagMs?.p99 ?? 0)} ms`,
    );
  }
  const codes = Object.entries(report.statusCodes).map(([code, n]) => `${code}: ${formatCount(n)}`);
  lines.push(`  Status     ${codes.length ? codes.join(", ") : "no responses"}`);
  const causes = Object.entries(report.failures).filter(([, n]) => n > 0)
    .map(([cause, n]) => `${cause}: ${formatCount(n)}`);
  // Unanswered requests are not failures by cause, but a run with them is no success.
  if (!report.cancelled && report.inFlight > 0) {
    causes.push(`${formatCount(report.inFlight)} unanswered`);
  }
  lines.push(`  Failures   ${causes.length ? causes.join(", ") : "none"}`);
  // Each reason once, however many requests and workers met it.
  for (const { cause, reason, count } of report.failureReasons ?? []) {
    lines.push(`             ${cause}: ${reason} (${formatCount(count)})`);
  }

  if (report.histogram.length > 0) {
    lines.push("");
    lines.push("  Latency histogram (ms)");
    const max = Math.max(...report.histogram.map((b) => b.count));
    const total = report.histogram.reduce((a, b) => a + b.count, 0);
    const labels = report.histogram.map((b) => `${formatMs(b.fromMs)} – ${formatMs(b.toMs)}`);
    const labelWidth = Math.max(...labels.map((s) => s.length));
    const barWidth = Math.max(10, Math.min(40, width - labelWidth - 24));
    report.histogram.forEach((b, i) => {
      const pct = total > 0 ? (b.count / total) * 100 : 0;
      lines.push(
        `  ${labels[i].padStart(labelWidth)} │${bar(max > 0 ? b.count / max : 0, barWidth)} ${
          formatCount(b.count).padStart(9)
        } ${pct.toFixed(1).padStart(5)}%`,
      );
    });
  }
  if (report.endpoints) lines.push("", ...endpointTable(report.endpoints, width));
  // The last, partial second would draw as a dip that is not one.
  const whole = report.timeline.filter((s) => s.second < Math.floor(report.durationMs / 1000));
  if (whole.length > 1) {
    const peak = Math.max(...whole.map((s) => s.completed));
    const spark = whole.slice(-Math.max(10, width - 24)).map((s) =>
      SPARKS[peak > 0 ? Math.min(7, Math.floor((s.completed / peak) * 7.99)) : 0]
    ).join("");
    lines.push("");
    lines.push(`  Per second ${spark}  (peak ${formatCount(peak)} req in a second)`);
  }
  const warning = generatorWarning(report);
  if (warning) lines.push("", warning);
  return lines.join("\n");
}

function latencyLine(label: string, l: StressLatency): string {
  return `  ${label} min ${formatMs(l.min)}  mean ${formatMs(l.mean)}  p50 ${
    formatMs(l.p50)
  }  p90 ${formatMs(l.p90)}  p99 ${formatMs(l.p99)}  p99.9 ${formatMs(l.p999)}  max ${
    formatMs(l.max)
  }  (ms)`;
}

/** Rows of the endpoint table; the rest beyond it are summed into one row. */
export const MAX_ENDPOINT_ROWS = 20;

/**
 * The per-endpoint table: the slowest (by p99 latency) first, at most
 * {@linkcode MAX_ENDPOINT_ROWS} rows, the others summed in a last row.
 *
 * @param endpoints The report's endpoints.
 * @param width The terminal width (long names are cut to fit).
 * @returns The lines.
 */
export function endpointTable(endpoints: Record<string, StressEndpoint>, width = 80): string[] {
  const entries = Object.entries(endpoints).sort((a, b) =>
    b[1].latencyMs.p99 - a[1].latencyMs.p99 || a[0].localeCompare(b[0])
  );
  const service = entries.some(([, e]) => e.serviceTimeMs);
  const header = ["requests", "ok", "failed", "p50", "p90", "p99", "max"];
  if (service) header.push("svc p99");
  const rows: string[][] = [];
  const cells = (name: string, e: StressEndpoint): string[] => {
    const row = [
      name,
      formatCount(e.requests),
      formatCount(e.successes),
      formatCount(e.failures),
      formatMs(e.latencyMs.p50),
      formatMs(e.latencyMs.p90),
      formatMs(e.latencyMs.p99),
      formatMs(e.latencyMs.max),
    ];
    if (service) row.push(e.serviceTimeMs ? formatMs(e.serviceTimeMs.p99) : "-");
    return row;
  };
  // With one row more than the cap, that row is shown rather than summed alone.
  const shown = entries.length <= MAX_ENDPOINT_ROWS + 1
    ? entries
    : entries.slice(0, MAX_ENDPOINT_ROWS);
  for (const [name, e] of shown) rows.push(cells(name, e));
  const rest = entries.slice(shown.length);
  if (rest.length > 0) {
    // Percentiles of the rest cannot be merged from summaries: only counts and the max.
    const sum = (f: (e: StressEndpoint) => number) => rest.reduce((a, [, e]) => a + f(e), 0);
    const row = [
      `(${rest.length} others)`,
      formatCount(sum((e) => e.requests)),
      formatCount(sum((e) => e.successes)),
      formatCount(sum((e) => e.failures)),
      "-",
      "-",
      "-",
      formatMs(Math.max(...rest.map(([, e]) => e.latencyMs.max))),
    ];
    if (service) row.push("-");
    rows.push(row);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i + 1].length)));
  const numbers = widths.reduce((a, w) => a + w + 2, 0);
  const longest = Math.max(...rows.map((r) => r[0].length));
  // Names are cut only beyond the terminal and 24 characters: a line may overflow a
  // narrow terminal rather than lose the part of a path that tells endpoints apart.
  const nameWidth = Math.min(longest, Math.max(24, width - numbers - 4));
  const cut = (name: string): string =>
    name.length <= nameWidth ? name.padEnd(nameWidth) : name.slice(0, nameWidth - 1) + "…";
  const line = (name: string, values: string[]): string =>
    `    ${cut(name)}${values.map((v, i) => "  " + v.padStart(widths[i])).join("")}`;
  return [
    `  Endpoints (slowest p99 first${service ? "; latency from the intended start" : ""}, ms)`,
    line("", header),
    ...rows.map((r) => line(r[0], r.slice(1))),
  ];
}

/** A late share above this (1 %) means the generator, not the target, set the pace. */
const LATE_SHARE = 0.01;

/**
 * One warning line when the generator, not the target, was the bottleneck of a run with
 * a rate: over 1 % of its requests went out more than 1 ms late. It says what to change:
 * more connections when most late requests came due while every connection was busy
 * waiting for a response, else more workers (their event loops ran late).
 *
 * @param report The report.
 * @returns The line, or `undefined` when the schedule was kept.
 */
export function generatorWarning(report: StressReport): string | undefined {
  const late = report.late;
  if (report.targetRate === undefined || !late || report.requests === 0) return undefined;
  const share = late.count / report.requests;
  if (share <= LATE_SHARE) return undefined;
  const what = `${formatCount(late.count)} requests (${(share * 100).toFixed(1)} %) went out late` +
    ` (worst ${formatMs(late.worstMs)} ms)`;
  const lag = report.generatorLagMs?.p99 ?? 0;
  // Without the split (an older report), lateness far beyond the loop's worst lag was a
  // wait for a connection (a target pausing 1 s under -c 10 at 500/s: 987 ms late, 20 ms lag).
  const busy = late.busy !== undefined
    ? late.busy * 2 > late.count
    : late.worstMs > 2 * (report.generatorLagMs?.max ?? 0);
  if (!busy) {
    return `  Warning: the generator was the bottleneck: ${what} while its event loop lagged ` +
      `(p99 ${formatMs(lag)} ms): use more workers (-w ${report.workers + 1}), a lower rate, ` +
      `or a less busy machine`;
  }
  // Little's law: connections busy = rate × time each request holds one.
  const rate = report.rate ?? report.targetRate;
  const holdMs = report.serviceTimeMs?.p99 ?? report.latencyMs.p99;
  const needed = Math.min(
    10_000,
    Math.max(report.concurrency * 2, Math.ceil((rate * holdMs) / 1000 * 1.25)),
  );
  return `  Warning: the generator was the bottleneck: ${what}: all ${
    formatCount(report.concurrency)
  } connections were busy: -c is too low for ${formatCount(rate)} req/s, try -c ${needed}`;
}
