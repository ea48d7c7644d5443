// Issue 18 wired into runStress: ramps and stages (open model), ramps of connections
// (closed model), request templates picked by weight, per-endpoint statistics, latency
// from the intended start next to service time, and the report's schedule fields.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  runStress,
  type StressEndpoint,
  type StressReport,
  type StressSecond,
} from "../../servers/stress.ts";
import type { HistogramData } from "../../servers/_histogram.ts";
import { liveWorkers } from "../../servers/_stress_live.ts";
import {
  endpointTable,
  formatReport,
  generatorWarning,
  MAX_ENDPOINT_ROWS,
} from "../../servers/_stress_format.ts";
import { startRawTarget } from "./stress_targets.ts";

/** Every request accounted for once, in total, per second and per endpoint. */
function assertAccounted(report: StressReport): void {
  const failed = Object.values(report.failures).reduce((a, b) => a + b, 0);
  assertEquals(report.successes + failed + report.inFlight, report.requests);
  assertEquals(report.timeline.reduce((a, s) => a + s.completed, 0), report.successes + failed);
  report.timeline.forEach((s, i) => assertEquals(s.second, i));
  if (report.endpoints) {
    const all = Object.values(report.endpoints);
    const sum = (f: (e: StressEndpoint) => number) => all.reduce((a, e) => a + f(e), 0);
    assertEquals(sum((e) => e.requests), report.requests);
    assertEquals(sum((e) => e.successes), report.successes);
    assertEquals(sum((e) => e.failures), failed);
    assertEquals(sum((e) => e.inFlight ?? 0), report.inFlight);
    for (const e of all) {
      assertEquals(e.successes + e.failures + (e.inFlight ?? 0), e.requests);
    }
    const codes: Record<string, number> = {};
    for (const e of all) {
      for (const [code, n] of Object.entries(e.statusCodes)) codes[code] = (codes[code] ?? 0) + n;
    }
    assertEquals(codes, report.statusCodes);
  }
  assertEquals(liveWorkers.count, 0);
}

Deno.test("runStress() ramps the rate and reports the target next to what it did", async () => {
  await using target = startRawTarget();
  const progress: (number | undefined)[] = [];
  const report = await runStress(
    { url: target.url, rate: { from: 50, to: 200, overMs: 1000 }, duration: 2000, workers: 2 },
    { onProgress: (p) => progress.push(p.targetRate) },
  );
  assertAccounted(report);
  // 0–1 s: (50 + 200) / 2 = 125 due; 1–2 s: 200 due. Requests due from 2 s on are not sent.
  assert(report.requests > 0 && report.requests <= 325, `${report.requests} requests`);
  assertEquals(report.rate, 200);
  assertEquals(report.targetRate, 162.5);
  assertEquals(report.timeline.slice(0, 2).map((s) => s.targetRate), [125, 200]);
  assertEquals(report.timeline.reduce((a, s) => a + (s.targetRate ?? 0), 0), 325);
  assert(report.timeline.every((s) => s.connections === undefined && s.p50 !== undefined));
  const service = report.serviceTimeMs!;
  assert(report.late !== undefined);
  assert(service.max <= report.latencyMs.max + 0.01);
  assert(report.generatorLagMs !== undefined);
  assertEquals(report.endpoints, undefined);
  assert(progress.every((r) => r !== undefined && r >= 50 && r <= 200), `${progress}`);
});

Deno.test("runStress() runs stages for their sum, from 0/s or from startRate", async (t) => {
  await using target = startRawTarget();
  await t.step("up and down", async () => {
    const report = await runStress({
      url: target.url,
      stages: [{ durationMs: 500, rate: 100 }, { durationMs: 500, rate: 0 }],
      concurrency: 4,
    });
    assertAccounted(report);
    // 25 due on the way up, 25 on the way down.
    assert(report.requests > 0 && report.requests <= 50, `${report.requests} requests`);
    assertEquals(report.rate, 100);
    assertEquals(report.timeline[0].targetRate, 50);
    assert(report.durationMs >= 900, `${report.durationMs} ms`);
  });
  await t.step("from a start rate", async () => {
    const report = await runStress({
      url: target.url,
      stages: [{ durationMs: 400, rate: 100 }],
      startRate: 100,
      concurrency: 2,
    });
    assertAccounted(report);
    assert(report.requests > 0 && report.requests <= 40, `${report.requests} requests`);
    assertEquals(report.targetRate, 100);
  });
});

Deno.test("runStress() ramps connections up (closed model)", async () => {
  const seen = new Set<Deno.Conn>();
  await using target = startRawTarget((_, conn) => {
    seen.add(conn);
    return "respond";
  });
  const report = await runStress({
    url: target.url,
    concurrency: { from: 1, to: 4, overMs: 600 },
    duration: 1200,
    workers: 2,
  });
  assertAccounted(report);
  assertEquals(report.concurrency, 4);
  assertEquals(report.rate, null);
  assertEquals(report.serviceTimeMs, undefined);
  // Connection j opens when the line 1 → 4 reaches j + 1: 0, 200, 400, 600 ms.
  assert(seen.size >= 2 && seen.size <= 4, `${seen.size} connections`);
  assertEquals(report.timeline[0].connections, 4);
  assert(report.timeline.every((s) => s.max !== undefined && s.max >= s.p99));
  assert(report.timeline.every((s) => s.targetRate === undefined));
});

Deno.test("runStress() ramps connections down, closing each after its response", async () => {
  await using target = startRawTarget();
  const report = await runStress({
    url: target.url,
    concurrency: { from: 4, to: 1, overMs: 300 },
    duration: 1500,
  });
  assertAccounted(report);
  assertEquals(report.failures.reset, 0);
  assertEquals(report.timeline.map((s) => s.connections).slice(0, 1), [1]);
});

const TEMPLATES = [
  { name: "home", url: "/", weight: 3 },
  { url: "/api/items?page=2" },
  { name: "login", method: "POST", url: "/login", body: '{"user":"ada"}' },
  { name: "broken", url: "/broken", weight: 0.5 },
];

Deno.test("runStress() picks templates by weight and reports each endpoint", async () => {
  const bodies: string[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      if (request.method === "POST") bodies.push(await request.text());
      if (url.pathname === "/broken") return new Response("no", { status: 500 });
      return new Response(`${request.method} ${url.pathname}${url.search}`);
    },
  );
  const report = await runStress({
    url: `http://127.0.0.1:${server.addr.port}/base/`,
    requests: 600,
    concurrency: 4,
    workers: 2,
    templates: TEMPLATES,
    seed: 42,
    headers: { "x-run": "1" },
  });
  assertAccounted(report);
  assertEquals(report.seed, 42);
  const endpoints = report.endpoints!;
  assertEquals(Object.keys(endpoints), ["home", "GET /api/items?page=2", "login", "broken"]);
  assertEquals(report.requests, 600);
  // 3 : 1 : 1 : 0.5 of 600 is 327, 109, 109, 55: each within a wide margin.
  const share = (name: string) => endpoints[name].requests / 600;
  assert(share("home") > 0.4 && share("home") < 0.7, `home ${share("home")}`);
  assert(share("broken") > 0.02 && share("broken") < 0.2, `broken ${share("broken")}`);
  assertEquals(endpoints.broken.statusCodes, { "500": endpoints.broken.requests });
  assertEquals(endpoints.broken.failures, endpoints.broken.requests);
  assertEquals(report.failures.http5xx, endpoints.broken.requests);
  assertEquals(endpoints.login.successes, endpoints.login.requests);
  assert(bodies.length > 0 && bodies.every((b) => b === '{"user":"ada"}'));
  assertEquals(endpoints.home.serviceTimeMs, undefined);
  assert(endpoints.home.latencyMs.p50 > 0);
  const text = formatReport(report, 100);
  assertStringIncludes(text, "Endpoints (slowest p99 first, ms)");
  assertStringIncludes(text, "GET /api/items?page=2");
});

Deno.test("runStress() repeats the endpoint mix of a seed", async () => {
  await using target = startRawTarget();
  const mix = async (seed: number) => {
    const report = await runStress({
      url: target.url,
      requests: 300,
      concurrency: 3,
      workers: 2,
      templates: TEMPLATES.slice(0, 3),
      seed,
    });
    assertAccounted(report);
    return Object.fromEntries(
      Object.entries(report.endpoints!).map(([name, e]) => [name, e.requests]),
    );
  };
  const first = await mix(7);
  assertEquals(await mix(7), first);
  const other = await mix(8);
  assertEquals(Object.values(other).reduce((a, b) => a + b, 0), 300);
});

Deno.test("runStress() measures latency from the intended start when the target stalls 1 s", async () => {
  let count = 0;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => {
      // The 30th request waits 1 s; on one connection everything due meanwhile waits too.
      if (++count === 30) await new Promise((resolve) => setTimeout(resolve, 1000));
      return new Response("ok");
    },
  );
  const report = await runStress({
    url: `http://127.0.0.1:${server.addr.port}/`,
    rate: 100,
    duration: 3000,
    concurrency: 1,
    templates: [{ url: "/" }, { url: "/b" }],
    seed: 1,
  });
  assertAccounted(report);
  const service = report.serviceTimeMs!;
  // About 100 requests came due during the stall: the top 1 % waited up to 1 s.
  assert(report.latencyMs.p99 >= 800, `corrected p99 ${report.latencyMs.p99} ms`);
  assert(report.latencyMs.max >= 990, `corrected max ${report.latencyMs.max} ms`);
  // Only one request took the server 1 s.
  assert(service.p99 < 400, `service p99 ${service.p99} ms`);
  assert(service.max >= 990, `service max ${service.max} ms`);
  assert(report.late!.count >= 50, `${report.late!.count} late`);
  assert(report.late!.worstMs >= 900, `worst ${report.late!.worstMs} ms`);
  // They came due while the only connection waited for the stalled response.
  assert(report.late!.busy! >= 50, `${report.late!.busy} of them waited for a connection`);
  assertStringIncludes(formatReport(report), "-c is too low for 100 req/s");
  for (const e of Object.values(report.endpoints!)) assert(e.serviceTimeMs !== undefined);
  const text = formatReport(report);
  assertStringIncludes(text, "from each request's intended start");
  assertStringIncludes(text, "Service ");
  assertStringIncludes(text, "Warning: the generator was the bottleneck");
});

Deno.test("runStress() hands each second to onSecond in order", async (t) => {
  await using target = startRawTarget();
  await t.step("with a rate: latency and service time", async () => {
    const seconds: [StressSecond, HistogramData, HistogramData | undefined][] = [];
    const report = await runStress(
      { url: target.url, rate: 100, duration: 2200, concurrency: 2 },
      { onSecond: (s, l, sv) => seconds.push([s, l, sv]) },
    );
    assertAccounted(report);
    assertEquals(seconds.map(([s]) => s), report.timeline);
    const responses = Object.values(report.statusCodes).reduce((a, b) => a + b, 0);
    assertEquals(seconds.reduce((a, [, l]) => a + l.total, 0), responses);
    assertEquals(seconds.reduce((a, [, , sv]) => a + sv!.total, 0), responses);
    for (const [s, l] of seconds) assertEquals(l.total, s.completed - s.failures);
  });
  await t.step("without a rate: no service time", async () => {
    const seconds: (HistogramData | undefined)[] = [];
    const report = await runStress(
      { url: target.url, requests: 50, concurrency: 2 },
      { onSecond: (_, __, sv) => seconds.push(sv) },
    );
    assertEquals(seconds.length, report.timeline.length);
    assert(seconds.every((sv) => sv === undefined));
    assertEquals(report.timeline[0].connections, 2);
  });
  await t.step("what it throws rejects the run", async () => {
    await assertRejects(
      () =>
        runStress({ url: target.url, duration: 60_000, concurrency: 1 }, {
          onSecond: () => {
            throw new Error("second broke");
          },
        }),
      Error,
      "second broke",
    );
    assertEquals(liveWorkers.count, 0);
  });
});

Deno.test("runStress() pipelines templates in mixed batches", async () => {
  await using target = startRawTarget();
  const report = await runStress({
    url: target.url,
    requests: 400,
    concurrency: 2,
    pipeline: 8,
    templates: [{ url: "/a" }, { url: "/b", method: "POST", body: "x".repeat(100) }],
  });
  assertAccounted(report);
  assertEquals(report.successes, 400);
  assertEquals(target.received(), 400);
});

Deno.test("runStress() rejects bad load shapes and templates before sending anything", async () => {
  await using target = startRawTarget();
  const url = target.url;
  const bad: [
    Parameters<typeof runStress>[0],
    TypeErrorConstructor | RangeErrorConstructor,
    string,
  ][] = [
    [{ url, rate: { from: 1, to: 0, overMs: 1000 } }, RangeError, "'rate.to'"],
    [{ url, rate: { from: 1, to: 5, overMs: 0 } }, RangeError, "'rate.overMs'"],
    [{ url, rate: { from: 1, to: 5 } as never }, TypeError, "'rate.overMs'"],
    [{ url, rate: "5" as never }, TypeError, "'rate'"],
    [{ url, stages: [] }, TypeError, "'stages'"],
    [{ url, stages: [{ durationMs: -1, rate: 5 }] }, RangeError, "'stages[0].durationMs'"],
    [
      { url, stages: [{ durationMs: 100, rate: 5 }], duration: 100 },
      TypeError,
      "excludes 'duration'",
    ],
    [{ url, stages: [{ durationMs: 100, rate: 5 }], rate: 5 }, TypeError, "exclude each other"],
    [{ url, startRate: 5 }, TypeError, "'startRate'"],
    [{ url, rate: 5, concurrency: { from: 1, to: 5, overMs: 100 } }, TypeError, "excludes 'rate'"],
    [{ url, concurrency: { from: 1.5, to: 5, overMs: 100 } }, RangeError, "'concurrency.from'"],
    [{ url, rate: { from: 1, to: 5, overMs: 100 }, pipeline: 2 }, TypeError, "without pipelining"],
    [{ url, stages: [{ durationMs: 100, rate: 5 }], pipeline: 2 }, TypeError, "'stages' works"],
    [{ url, templates: [] }, TypeError, "'templates'"],
    [{ url, templates: [{ url: "/", weight: -1 }] }, RangeError, "'templates[0].weight'"],
    [{ url, templates: [{ url: "http://127.0.0.1:1/" }] }, TypeError, "'templates[0].url'"],
    [{ url, templates: [{ url: "/" }], method: "POST" }, TypeError, "excludes 'method'"],
    [{ url, templates: [{ url: "/" }], body: "x" }, TypeError, "excludes 'body'"],
    [
      { url, templates: [{ url: "/", method: "HEAD" }, { url: "/b" }] },
      TypeError,
      "all HEAD or none",
    ],
    [{ url, templates: [{ url: "/" }], seed: -1 }, RangeError, "'seed'"],
    [{ url, seed: "7" as never }, TypeError, "'seed'"],
  ];
  for (const [options, errorClass, text] of bad) {
    await assertRejects(() => runStress(options), errorClass, text);
  }
  await assertRejects(
    () => runStress({ url }, { onSecond: 5 as never }),
    TypeError,
    "'onSecond' must be a function",
  );
  assertEquals(target.received(), 0);
  assertEquals(liveWorkers.count, 0);
});

/** A hand-made report with `n` endpoints, endpoint i of p99 i ms. */
function reportWith(n: number, extra: Partial<StressReport> = {}): StressReport {
  const latency = (p99: number) => ({ min: 0, mean: 1, p50: 1, p90: 2, p99, p999: p99, max: p99 });
  const endpoints: Record<string, StressEndpoint> = {};
  for (let i = 0; i < n; i++) {
    endpoints[`GET /e${i}`] = {
      requests: 10,
      successes: 9,
      failures: 1,
      inFlight: 0,
      statusCodes: { "200": 9, "500": 1 },
      latencyMs: latency(i),
    };
  }
  return {
    url: "http://127.0.0.1:8000/",
    method: "GET",
    concurrency: 50,
    workers: 1,
    pipeline: 1,
    rate: 1000,
    requests: 10 * n,
    successes: 9 * n,
    failures: { timeout: 0, refused: 0, reset: 0, protocol: 0, http4xx: 0, http5xx: n, other: 0 },
    inFlight: 0,
    statusCodes: { "200": 9 * n, "500": n },
    rps: 1000,
    bytesPerSecond: 1,
    durationMs: 1000,
    latencyMs: latency(n),
    histogram: [],
    timeline: [],
    startTime: "2026-12-05T06:00:00.000Z",
    endTime: "2026-12-05T06:00:01.000Z",
    cancelled: false,
    endpoints,
    ...extra,
  };
}

Deno.test("endpointTable() lists the slowest first, 20 rows, the rest summed", () => {
  const lines = endpointTable(reportWith(25).endpoints!, 100);
  assertEquals(lines.length, 2 + MAX_ENDPOINT_ROWS + 1);
  assertStringIncludes(lines[2], "GET /e24");
  assertStringIncludes(lines[21], "GET /e5 ");
  assert(/\(5 others\)\s+50\s+45\s+5\s+-\s+-\s+-\s+4\.000$/.test(lines[22]), lines[22]);
  // 21 endpoints: the 21st is shown rather than summed alone.
  const all = endpointTable(reportWith(21).endpoints!, 100);
  assertEquals(all.length, 2 + 21);
  assert(!all.some((l) => l.includes("others")));
});

Deno.test("generatorWarning() says what to change when requests went out late", () => {
  const base = { targetRate: 1000, generatorLagMs: { p99: 1, max: 2 } };
  assertEquals(
    generatorWarning(reportWith(1, { ...base, late: { count: 0, worstMs: 0 } })),
    undefined,
  );
  // Without a rate there is no schedule to be late for.
  assertEquals(generatorWarning(reportWith(1, { late: undefined })), undefined);
  const busy = generatorWarning(
    reportWith(10, {
      ...base,
      late: { count: 50, worstMs: 900 },
      serviceTimeMs: { min: 1, mean: 1, p50: 1, p90: 1, p99: 200, p999: 900, max: 900 },
    }),
  )!;
  assertStringIncludes(busy, "Warning: the generator was the bottleneck: 50 requests (50.0 %)");
  // Little's law: 1,000/s × 200 ms × 1.25 = 250 connections.
  assertStringIncludes(busy, "-c is too low for 1,000 req/s, try -c 250");
  const lagging = generatorWarning(
    reportWith(10, {
      ...base,
      late: { count: 50, worstMs: 30 },
      generatorLagMs: { p99: 25, max: 40 },
    }),
  )!;
  assertStringIncludes(lagging, "its event loop lagged (p99 25.00 ms): use more workers (-w 2)");
  // Late far beyond the loop's worst lag: the requests waited for a free connection.
  const waited = generatorWarning(
    reportWith(10, {
      ...base,
      late: { count: 50, worstMs: 900 },
      generatorLagMs: { p99: 25, max: 40 },
    }),
  )!;
  assertStringIncludes(waited, "connections were busy: -c is too low");
  // With the split of a run: most late requests came due while every connection was busy.
  const split = (busy: number) =>
    generatorWarning(reportWith(10, { ...base, late: { count: 50, worstMs: 40, busy } }))!;
  assertStringIncludes(split(40), "-c is too low");
  assertStringIncludes(split(10), "use more workers (-w 2)");
});
