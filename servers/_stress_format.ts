/**
 * Terminal output of `deno task stress`: the live progress line and the final report
 * with a latency histogram.
 *
 * @module
 */

import type { StressProgress, StressReport } from "./stress.ts";

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
 * The live progress line: bar, completed/total, req/s, errors and ETA.
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
  const tail = ` ${count}  ${formatCount(rps)} req/s  ${
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
  const l = report.latencyMs;
  lines.push(
    `  Latency    min ${formatMs(l.min)}  mean ${formatMs(l.mean)}  p50 ${formatMs(l.p50)}  p90 ${
      formatMs(l.p90)
    }  p99 ${formatMs(l.p99)}  p99.9 ${formatMs(l.p999)}  max ${formatMs(l.max)}  (ms)`,
  );
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
  return lines.join("\n");
}
