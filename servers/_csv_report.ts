/**
 * Private: the per-second timeline of a stress report as CSV (`--csv FILE`), one row a
 * second, for spreadsheets and plotting:
 *
 * ```text
 * time,completed,failures,rps,p50_ms,p90_ms,p99_ms,max_ms,target_rate
 * 0,990,2,990,0.9,1.8,4,11.2,
 * ```
 *
 * `time` is seconds since the start; `rps` divides by the second's length (the last
 * one may be partial). A cell the report cannot fill stays empty: the percentiles other
 * than p99 need the per-second histograms (or a report whose timeline carries them),
 * and `target_rate` is empty for a run without a rate.
 *
 * @module
 */

import { Histogram, type HistogramData } from "./_histogram.ts";
import type { ReportView } from "./_thresholds.ts";

/** The CSV columns, in order. */
export const CSV_COLUMNS: readonly string[] = [
  "time",
  "completed",
  "failures",
  "rps",
  "p50_ms",
  "p90_ms",
  "p99_ms",
  "max_ms",
  "target_rate",
];

/** Options of {@linkcode formatCsvTimeline}. */
export interface CsvOptions {
  /**
   * The histogram of each second (index = `second`), for exact p50, p90, p99 and max;
   * without it the timeline's own fields are used.
   */
  histograms?: readonly (HistogramData | undefined)[];
}

function cell(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? String(value) : "";
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * The report's timeline as CSV text with a header row.
 *
 * @param report The report.
 * @param options Per-second histograms for the percentiles.
 * @returns The CSV text, lines ending in `\n`.
 */
export function formatCsvTimeline(report: ReportView, options: CsvOptions = {}): string {
  const rows = [CSV_COLUMNS.join(",")];
  for (const s of report.timeline) {
    const lengthMs = Math.min(1000, report.durationMs - s.second * 1000);
    const rps = lengthMs > 0 ? round3((s.completed * 1000) / lengthMs) : s.completed;
    const data = options.histograms?.[s.second];
    let p50 = s.p50, p90 = s.p90, p99: number | undefined = s.p99, max = s.max;
    if (data && data.total > 0) {
      const h = new Histogram(data);
      p50 = round3(h.percentile(50) / 1000);
      p90 = round3(h.percentile(90) / 1000);
      p99 = round3(h.percentile(99) / 1000);
      max = round3(h.max / 1000);
    } else if (data) {
      p50 =
        p90 =
        p99 =
        max =
          undefined; // a second without responses
    }
    const target = s.targetRate ?? (report.rate ?? undefined);
    rows.push(
      [s.second, s.completed, s.failures, rps, p50, p90, p99, max, target].map(cell).join(","),
    );
  }
  return rows.join("\n") + "\n";
}
