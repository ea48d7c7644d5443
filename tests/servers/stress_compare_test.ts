// Copyright 2026 the Tandem authors. MIT license.

import { assertEquals, assertMatch, assertStringIncludes, assertThrows } from "@std/assert";
import {
  compareReports,
  type CompareRow,
  formatComparison,
  parseStressReport,
} from "../../servers/stress_compare.ts";
import { runStress } from "../../servers/stress.ts";
import { formatCsvTimeline } from "../../servers/_csv_report.ts";
import { renderHtmlReport } from "../../servers/_html_report.ts";
import { closedReport, rateReport } from "./_stress_reports.ts";

function rowOf(
  comparison: ReturnType<typeof compareReports>,
  metric: string,
  endpoint = "",
): CompareRow {
  const found = comparison.rows.find((r) => r.metric === metric && r.endpoint === endpoint);
  if (!found) throw new Error(`No row ${endpoint} ${metric}`);
  return found;
}

Deno.test("compareReports() puts the runs side by side with the change in %", () => {
  const before = closedReport();
  const after = closedReport();
  after.rps = 900;
  after.timeline = after.timeline.map((s) => ({ ...s, completed: s.completed - 100 }));
  after.latencyMs.p99 = 4.3;
  const c = compareReports(before, after);
  assertEquals(c.rows.map((r) => r.metric), [
    "req/s",
    "p50",
    "p90",
    "p99",
    "p99.9",
    "max",
    "errors",
    "error rate",
  ]);
  assertEquals(rowOf(c, "req/s"), {
    endpoint: "",
    metric: "req/s",
    unit: "req/s",
    before: 1000,
    after: 900,
    change: -10,
    beyondNoise: true,
    better: false,
  });
  // p99 moved 2.4 %, within the spread of the per-second p99s (4.0–4.4 ms).
  const p99 = rowOf(c, "p99");
  assertEquals([p99.change, p99.beyondNoise, p99.better], [2.4, false, false]);
  assertEquals(rowOf(c, "p50").change, 0);
  assertEquals(rowOf(c, "p50").better, null);
  assertEquals([c.thresholds, c.ok], [[], true]);
});

Deno.test("compareReports() marks error changes beyond Poisson noise", () => {
  const before = closedReport(); // 7 failures
  const after = closedReport();
  after.failures.http5xx = 3 + 13; // 20 failures: 13 > 2·√27
  const c = compareReports(before, after);
  assertEquals([
    rowOf(c, "errors").before,
    rowOf(c, "errors").after,
    rowOf(c, "errors").beyondNoise,
  ], [7, 20, true]);
  assertEquals(rowOf(c, "error rate").after, 0.5);
  after.failures.http5xx = 3 + 2; // 9 failures: within noise
  assertEquals(rowOf(compareReports(before, after), "errors").beyondNoise, false);
});

Deno.test("compareReports() compares service time and each endpoint", () => {
  const before = rateReport();
  const after = rateReport();
  after.endpoints!.login.latencyMs = { ...after.endpoints!.login.latencyMs, p99: 800 };
  delete after.endpoints!.home;
  after.endpoints!.logout = { ...before.endpoints!.login };
  const c = compareReports(before, after);
  assertEquals(rowOf(c, "service p99").before, 3);
  const login = rowOf(c, "p99", "login");
  assertEquals([login.change, login.beyondNoise, login.better], [100, true, false]);
  assertEquals(rowOf(c, "req/s", "home").after, null);
  assertEquals(rowOf(c, "errors", "home").change, null);
  assertEquals(rowOf(c, "req/s", "logout").before, null);
  assertEquals(rowOf(c, "req/s", "login").after, 166.7);
});

Deno.test("compareReports() evaluates regression thresholds against BEFORE", () => {
  const before = closedReport();
  const after = closedReport();
  after.latencyMs.p99 = 5.04; // +20 %
  after.rps = 960; // -4 %
  const c = compareReports(before, after, { thresholds: ["p99<+10%", "rps>-5%", "p99<250ms"] });
  assertEquals(c.thresholds.map((t) => [t.expression, t.actual, t.ok]), [
    ["p99<+10%", 20, false],
    ["rps>-5%", -4, true],
    ["p99<250ms", 5.04, true],
  ]);
  assertEquals(c.ok, false);
  assertThrows(
    () => compareReports(before, after, { thresholds: ["p99<<5"] }),
    TypeError,
    "'p99<<5'",
  );
});

Deno.test("compareReports() uses a 5 % noise band for runs under 3 s", () => {
  const before = closedReport();
  const after = closedReport();
  before.timeline = before.timeline.slice(0, 2);
  after.rps = 1040;
  assertEquals(rowOf(compareReports(before, after), "req/s").beyondNoise, false);
  after.rps = 1060;
  assertEquals(rowOf(compareReports(before, after), "req/s").beyondNoise, true);
});

Deno.test("parseStressReport() reads a report and names what is wrong", () => {
  const report = parseStressReport(JSON.stringify(closedReport()), "before.json");
  assertEquals(report.rps, 1000);
  assertThrows(() => parseStressReport("{", "a.json"), TypeError, "'a.json' must be JSON");
  assertThrows(
    () => parseStressReport("null", "a.json"),
    TypeError,
    "must be a stress report: received null",
  );
  const { rps: _, ...noRps } = closedReport();
  assertThrows(
    () => parseStressReport(JSON.stringify(noRps), "a.json"),
    TypeError,
    "'a.json' must be a stress report with a number 'rps': received undefined",
  );
  assertThrows(
    () => compareReports(closedReport(), 5 as never),
    TypeError,
    "'after' must be a stress report",
  );
});

Deno.test("formatComparison() prints aligned sections, marks and thresholds", () => {
  const before = rateReport();
  const after = rateReport();
  after.rps = 400;
  const text = formatComparison(
    compareReports(before, after, { thresholds: ["rps>-5%"] }),
    { labels: ["main", "branch"] },
  );
  const lines = text.split("\n");
  assertEquals(lines[0].trim().split(/\s+/), ["main", "branch", "change"]);
  assertMatch(text, /\n {2}req\/s +500\.0 +400\.0 +-20\.0% {2}worse\n/);
  assertStringIncludes(text, "endpoint login\n");
  assertStringIncludes(text, "✗ rps>-5%  rps = -20.0%  FAILED");
  // Columns line up: every table row has the change column at the same place.
  const ends = lines.slice(0, lines.indexOf("thresholds")).filter((l) =>
    /%( {2}\w+)?$/.test(l) && l.startsWith("  ")
  ).map((l) => l.replace(/ {2}(better|worse)$/, "").length);
  assertEquals(new Set(ends).size, 1);
});

Deno.test("compareReports(), thresholds, CSV and HTML read the reports of real runs", async () => {
  let calls = 0;
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    // Every 50th answer is a 503, so errors and status codes are not all zero.
    return new Response("ok", { status: ++calls % 50 === 0 ? 503 : 200 });
  });
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const before = await runStress({ url, requests: 300, concurrency: 4, workers: 1 });
  const after = await runStress({ url, requests: 300, concurrency: 4, workers: 1 });
  // A report read back from JSON (what --out writes) compares like the object.
  const c = compareReports(parseStressReport(JSON.stringify(before), "before.json"), after, {
    thresholds: ["status5xx==6", "errors<=2%", "rps>-99%", "p99<10s"],
  });
  assertEquals(c.thresholds.map((t) => [t.metric, t.actual, t.ok]), [
    ["status5xx", 6, true],
    ["errors", 2, true],
    ["rps", c.thresholds[2].actual, true],
    ["p99", after.latencyMs.p99, true],
  ]);
  assertEquals(rowOf(c, "errors").after, 6);
  const csv = formatCsvTimeline(after).trimEnd().split("\n");
  assertEquals(
    csv.slice(1).reduce((sum, line) => sum + Number(line.split(",")[1]), 0),
    300,
  );
  const html = renderHtmlReport(after, { thresholds: c.thresholds });
  assertStringIncludes(html, "all passed");
  assertStringIncludes(html, `GET ${url}`);
});
