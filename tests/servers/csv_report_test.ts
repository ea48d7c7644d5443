// Copyright 2026 the Tandem authors. MIT license.

import { assertEquals } from "@std/assert";
import { CSV_COLUMNS, formatCsvTimeline } from "../../servers/_csv_report.ts";
import { closedReport, histogramOf, rateReport } from "./_stress_reports.ts";

function parse(csv: string): string[][] {
  return csv.trimEnd().split("\n").map((line) => line.split(","));
}

Deno.test("formatCsvTimeline() writes the header and one row per second", () => {
  const rows = parse(formatCsvTimeline(closedReport()));
  assertEquals(rows[0], [
    "time",
    "completed",
    "failures",
    "rps",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "target_rate",
  ]);
  assertEquals(rows[0], [...CSV_COLUMNS]);
  assertEquals(rows.slice(1), [
    ["0", "990", "2", "990", "", "", "4", "", ""],
    ["1", "1010", "1", "1010", "", "", "4.4", "", ""],
    ["2", "1000", "3", "1000", "", "", "4.1", "", ""],
    ["3", "1000", "1", "1000", "", "", "4.3", "", ""],
  ]);
});

Deno.test("formatCsvTimeline() fills percentiles and the target rate of a rate run", () => {
  const rows = parse(formatCsvTimeline(rateReport()));
  assertEquals(rows[1], ["0", "500", "0", "500", "1.4", "2.9", "240", "900", "500"]);
  assertEquals(rows.length, 4);
});

Deno.test("formatCsvTimeline() takes exact percentiles from per-second histograms", () => {
  const report = closedReport();
  report.durationMs = 3500; // the last second is half a second long
  const values = Array.from({ length: 100 }, (_, i) => (i + 1) * 100); // 0.1..10 ms
  const rows = parse(
    formatCsvTimeline(report, { histograms: [histogramOf(values), histogramOf([])] }),
  );
  assertEquals(rows[1].slice(4, 8).map(Number).map(Math.round), [5, 9, 10, 10]);
  assertEquals(rows[1][7], "10");
  assertEquals(rows[2].slice(4, 8), ["", "", "", ""]); // no responses that second
  assertEquals(rows[4][3], "2000"); // 1,000 in the last half second
  assertEquals(rows[3][6], "4.1"); // no histogram: the timeline's p99
});
