// Copyright 2026 the Tandem authors. MIT license.

import { assertEquals, assertThrows } from "@std/assert";
import {
  brokenThresholds,
  checkThresholdsFor,
  evaluateThresholds,
  formatThresholdResults,
  parseThreshold,
  percentChange,
} from "../../servers/_thresholds.ts";
import { closedReport, histogramOf, rateReport } from "./_stress_reports.ts";

function one(
  expression: string,
  report = closedReport(),
  before?: ReturnType<typeof closedReport>,
) {
  const [result] = evaluateThresholds([expression], report, { before });
  return result;
}

Deno.test("parseThreshold() reads each kind of metric, unit and scope", () => {
  const p99 = parseThreshold(" p99 < 250ms ");
  assertEquals(p99, {
    expression: "p99 < 250ms",
    metric: "p99",
    kind: "latency",
    name: "p99",
    percentile: 99,
    service: false,
    op: "<",
    value: 250,
    unit: "ms",
    relative: false,
  });
  assertEquals(parseThreshold("max<1s").value, 1000);
  assertEquals(parseThreshold("p50<=800us").value, 0.8);
  assertEquals(parseThreshold("p999<9").percentile, 99.9);
  assertEquals(parseThreshold("p99.9<9").metric, "p999");
  assertEquals(parseThreshold("p9999<9").percentile, 99.99);
  assertEquals(parseThreshold("p100<9").metric, "max");
  assertEquals(parseThreshold("errors<0.1%").unit, "%");
  assertEquals(parseThreshold("errors<5").unit, "count");
  assertEquals(parseThreshold("rps>=1000").unit, "req/s");
  const status = parseThreshold("status5xx==0");
  assertEquals([status.kind, status.name, status.op], ["status", "5xx", "=="]);
  assertEquals(parseThreshold("status404!=0").name, "404");
  const endpoint = parseThreshold("endpoint:login:p95<300ms");
  assertEquals([endpoint.endpoint, endpoint.metric, endpoint.percentile], [
    "login",
    "endpoint:login:p95",
    95,
  ]);
  const both = parseThreshold("endpoint:GET /a:b:service:p99<5ms");
  assertEquals([both.endpoint, both.service, both.metric], [
    "GET /a:b",
    true,
    "endpoint:GET /a:b:service:p99",
  ]);
  assertEquals(parseThreshold("service:p99<20ms").metric, "service:p99");
  assertEquals(parseThreshold("late<1%").kind, "late");
  const relative = parseThreshold("p99<+10%");
  assertEquals([relative.relative, relative.value, relative.unit], [true, 10, "%"]);
  assertEquals(parseThreshold("rps>-5%").value, -5);
});

Deno.test("parseThreshold() names a malformed expression or unknown metric", () => {
  assertThrows(
    () => parseThreshold("p99 250ms"),
    TypeError,
    "Cannot use threshold 'p99 250ms' as it has no operator",
  );
  assertThrows(() => parseThreshold("p99<<3"), TypeError, "'p99<<' is not an operator");
  assertThrows(() => parseThreshold("<3"), TypeError, "'<3' as it has no metric");
  assertThrows(() => parseThreshold("p99<fast"), TypeError, "'fast' is not a number");
  assertThrows(
    () => parseThreshold("latency<3ms"),
    TypeError,
    "'latency' is not a metric: use p50",
  );
  assertThrows(() => parseThreshold("p42x<3"), TypeError, "'p42x' is not a metric");
  assertThrows(() => parseThreshold("p0<3"), TypeError, "'p0' is not a metric");
  assertThrows(
    () => parseThreshold("service:errors<3"),
    TypeError,
    "'service:' applies to latency metrics only",
  );
  assertThrows(
    () => parseThreshold("endpoint:p99<3"),
    TypeError,
    "'endpoint:' needs a name and a metric",
  );
  assertThrows(
    () => parseThreshold(5 as unknown as string),
    TypeError,
    "must be a string: received number",
  );
  assertThrows(() => parseThreshold("p99<5%"), RangeError, "'p99' must be compared with a time");
  assertThrows(
    () => parseThreshold("rps>5ms"),
    RangeError,
    "'rps' must be compared with requests per second",
  );
  assertThrows(
    () => parseThreshold("errors<5ms"),
    RangeError,
    "'errors' must be compared with a count",
  );
  assertThrows(() => parseThreshold("errors<101%"), RangeError, "a share of at most 100%");
  assertThrows(
    () => parseThreshold("p99<+10ms"),
    RangeError,
    "a signed value must be a change in %",
  );
});

Deno.test("evaluateThresholds() passes and fails each kind of threshold", async (t) => {
  const cases: [string, number, boolean][] = [
    ["p99<250ms", 4.2, true],
    ["p99<4ms", 4.2, false],
    ["p50<=0.9ms", 0.9, true],
    ["p50<0.9", 0.9, false],
    ["max<1s", 12, true],
    ["max<10ms", 12, false],
    ["min>=0.2ms", 0.2, true],
    ["mean<1ms", 1.1, false],
    ["p999<10ms", 9.5, true],
    ["errors<0.5%", 0.175, true],
    ["errors<0.1%", 0.175, false],
    ["errors<10", 7, true],
    ["errors<5", 7, false],
    ["rps>=1000", 1000, true],
    ["rps>1000", 1000, false],
    ["status5xx==0", 3, false],
    ["status5xx<=3", 3, true],
    ["status404==1", 1, true],
    ["status2xx>=3993", 3993, true],
    ["status5xx<0.05%", 0.075, false],
    ["requests>=4000", 4000, true],
  ];
  for (const [expression, actual, ok] of cases) {
    await t.step(expression, () => {
      const result = one(expression);
      assertEquals([result.actual, result.ok], [actual, ok]);
      assertEquals(result.expression, expression);
    });
  }
});

Deno.test("evaluateThresholds() reads service time, late requests and endpoints of rate runs", () => {
  const report = rateReport();
  const results = evaluateThresholds(
    [
      "p99<300ms",
      "service:p99<5ms",
      "service:p99<2ms",
      "late<1%",
      "late<2%",
      "late<=15",
      "endpoint:login:p99<300ms",
      "endpoint:home:p99<300ms",
      "endpoint:login:service:p99<5ms",
      "endpoint:home:rps>=300",
      "endpoint:home:errors==0",
    ],
    report,
  );
  assertEquals(results.map((r) => [r.metric, r.actual, r.ok]), [
    ["p99", 250, true],
    ["service:p99", 3, true],
    ["service:p99", 3, false],
    ["late", 1, false],
    ["late", 1, true],
    ["late", 15, true],
    ["endpoint:login:p99", 400, false],
    ["endpoint:home:p99", 100, true],
    ["endpoint:login:service:p99", 4, true],
    ["endpoint:home:rps", 333.3, true],
    ["endpoint:home:errors", 0, true],
  ]);
});

Deno.test("evaluateThresholds() takes percentiles the report lacks from a histogram", () => {
  const values = Array.from({ length: 100 }, (_, i) => (i + 1) * 1000); // 1..100 ms
  const [p95] = evaluateThresholds(["p95<96ms"], closedReport(), {
    histograms: { latency: histogramOf(values) },
  });
  assertEquals(Math.round(p95.actual), 95);
  assertEquals(p95.ok, true);
  assertThrows(() => one("p95<96ms"), RangeError, "the report has no p95: use p50, p90, p99");
});

Deno.test("evaluateThresholds() says which metric the report lacks", () => {
  assertThrows(
    () => one("service:p99<5ms"),
    RangeError,
    "'service:p99<5ms' as the report has no service time",
  );
  assertThrows(() => one("late<1%"), RangeError, "has no count of late requests");
  assertThrows(
    () => one("endpoint:login:p99<5ms"),
    RangeError,
    "has no endpoint 'login': it has none",
  );
  assertThrows(
    () => evaluateThresholds(["endpoint:logout:p99<5ms"], rateReport()),
    RangeError,
    "no endpoint 'logout': it has 'home', 'login'",
  );
  assertThrows(() => one("p99<+10%"), RangeError, "a change in % needs a BEFORE report");
});

Deno.test("evaluateThresholds() compares against a BEFORE report in %", () => {
  const before = closedReport();
  const after = closedReport();
  after.latencyMs.p99 = 4.62; // +10 %
  after.rps = 940; // -6 %
  const results = evaluateThresholds(
    ["p99<+10%", "p99<=+10%", "rps>-5%", "rps>-10%", "errors<=+0%"],
    after,
    { before },
  );
  assertEquals(results.map((r) => [r.actual, r.ok]), [[10, false], [10, true], [-6, false], [
    -6,
    true,
  ], [0, true]]);
  assertEquals(percentChange(0, 0), 0);
  assertEquals(percentChange(0, 3), Infinity);
});

Deno.test("brokenThresholds() lists only counts and maxima already past their limit", () => {
  const thresholds = [
    "errors<5",
    "status5xx==0",
    "max<1s",
    "service:max<=200ms",
    "late<10",
    "errors<1%",
    "p99<5ms",
    "rps>100",
    "errors>3",
    "endpoint:login:errors<2",
  ];
  assertEquals(brokenThresholds(thresholds, {}), []);
  assertEquals(
    brokenThresholds(thresholds, {
      errors: 4,
      statusCodes: { "200": 5 },
      maxMs: 999,
      serviceMaxMs: 200,
      late: 9,
    }),
    [],
  );
  const broken = brokenThresholds(thresholds, {
    errors: 5,
    statusCodes: { "200": 5, "502": 1 },
    maxMs: 1000,
    serviceMaxMs: 200.5,
    late: 10,
    endpoints: { login: { errors: 2 } },
  });
  assertEquals(broken.map((r) => [r.expression, r.actual, r.ok]), [
    ["errors<5", 5, false],
    ["status5xx==0", 1, false],
    ["max<1s", 1000, false],
    ["service:max<=200ms", 200.5, false],
    ["late<10", 10, false],
    ["endpoint:login:errors<2", 2, false],
  ]);
});

Deno.test("formatThresholdResults() prints one line per threshold with its actual value", () => {
  const lines = formatThresholdResults(
    evaluateThresholds(["p99<250ms", "errors<0.1%", "rps>=1000"], closedReport()),
  );
  assertEquals(lines, [
    "✓ p99<250ms    p99 = 4.2 ms",
    "✗ errors<0.1%  errors = 0.175%  FAILED",
    "✓ rps>=1000    rps = 1000 req/s",
  ]);
  const before = closedReport();
  const after = closedReport();
  after.latencyMs.p99 = 8.4;
  assertEquals(formatThresholdResults(evaluateThresholds(["p99<+10%"], after, { before })), [
    "✗ p99<+10%  p99 = +100.0%  FAILED",
  ]);
});

Deno.test("checkThresholdsFor() refuses before a run what the run will not measure", () => {
  const rate = { rate: true, endpoints: ["home", "login"] };
  checkThresholdsFor(["p99<5ms", "service:p99<5ms", "late<1%", "endpoint:login:p95<300ms"], rate);
  checkThresholdsFor(["p99<5ms", "errors<1%"], { rate: false });
  assertThrows(
    () => checkThresholdsFor(["service:p99<5ms"], { rate: false }),
    RangeError,
    "'service:p99<5ms' as it needs a run with a rate (--rate): service time",
  );
  assertThrows(() => checkThresholdsFor(["late<1"], { rate: false }), RangeError, "late requests");
  assertThrows(
    () => checkThresholdsFor(["endpoint:logni:p99<5ms"], rate),
    RangeError,
    "has no endpoint 'logni': it has 'home', 'login'",
  );
  assertThrows(
    () => checkThresholdsFor(["endpoint:a:p99<5ms"], { rate: true }),
    RangeError,
    "it has none",
  );
  assertThrows(
    () => checkThresholdsFor(["rps>-5%"], rate),
    RangeError,
    "use it with 'stress compare'",
  );
  assertThrows(() => checkThresholdsFor(["rps>>5"], rate), TypeError, "'rps>>' is not an operator");
});
