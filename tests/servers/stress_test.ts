import { assert, assertEquals, assertRejects } from "@std/assert";
import { runStress, type StressProgress, type StressReport } from "../../servers/stress.ts";
import { liveWorkers } from "../../servers/_stress_live.ts";
import { closedPort, raw, startRawTarget } from "./stress_targets.ts";

/** Every request accounted for exactly once. */
function assertAccounted(report: StressReport): number {
  const failed = Object.values(report.failures).reduce((a, b) => a + b, 0);
  assertEquals(report.successes + failed + report.inFlight, report.requests);
  const timelineDone = report.timeline.reduce((a, s) => a + s.completed, 0);
  assertEquals(timelineDone, report.successes + failed);
  assertEquals(report.timeline.reduce((a, s) => a + s.failures, 0), failed);
  const responses = Object.values(report.statusCodes).reduce((a, b) => a + b, 0);
  assertEquals(report.histogram.reduce((a, b) => a + b.count, 0), responses);
  assertEquals(liveWorkers.count, 0);
  return failed;
}

Deno.test("runStress() reports every field against a Deno.serve target", async () => {
  let served = 0;
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    served++;
    return new Response("hello");
  });
  const progress: StressProgress[] = [];
  const report = await runStress(
    { url: `http://127.0.0.1:${server.addr.port}/path?q=1`, requests: 600, concurrency: 8 },
    { onProgress: (p) => progress.push(p) },
  );
  assertEquals(assertAccounted(report), 0);
  assertEquals(report.requests, 600);
  assertEquals(report.successes, 600);
  assertEquals(report.inFlight, 0);
  assertEquals(served, 600);
  assertEquals(report.statusCodes, { "200": 600 });
  assertEquals(report.failures, {
    timeout: 0,
    refused: 0,
    reset: 0,
    protocol: 0,
    http4xx: 0,
    http5xx: 0,
    other: 0,
  });
  assertEquals(report.cancelled, false);
  assertEquals(report.method, "GET");
  assertEquals(report.concurrency, 8);
  assertEquals(report.rate, null);
  assert(report.rps > 0);
  assert(report.bytesPerSecond > 0);
  assert(report.durationMs > 0);
  const l = report.latencyMs;
  assert(0 < l.min && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99);
  assert(l.p99 <= l.p999 && l.p999 <= l.max && l.min <= l.mean && l.mean <= l.max);
  assert(report.histogram.length > 0);
  for (const bucket of report.histogram) assert(bucket.fromMs < bucket.toMs);
  assert(Date.parse(report.startTime) <= Date.parse(report.endTime));
  const last = progress.at(-1)!;
  assertEquals(last.completed, 600);
  assertEquals(last.total, 600);
  assertEquals(last.errors, 0);
});

Deno.test("runStress() sends the method, headers and body", async () => {
  const seen: { method: string; header: string | null; body: string }[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      seen.push({
        method: request.method,
        header: request.headers.get("x-test"),
        body: await request.text(),
      });
      return new Response(null, { status: 204 });
    },
  );
  const report = await runStress({
    url: `http://127.0.0.1:${server.addr.port}/`,
    requests: 20,
    concurrency: 2,
    workers: 2,
    method: "post",
    headers: { "X-Test": "yes" },
    body: "payload",
  });
  assertAccounted(report);
  assertEquals(report.statusCodes, { "204": 20 });
  assertEquals(report.workers, 2);
  assertEquals(seen.length, 20);
  for (const s of seen) assertEquals(s, { method: "POST", header: "yes", body: "payload" });
});

Deno.test("runStress() counts HTTP status classes as failures", async () => {
  await using target = startRawTarget((i) =>
    i % 3 === 0
      ? raw("HTTP/1.1 404 Not Found\nContent-Length: 0\n\n")
      : i % 3 === 1
      ? raw("HTTP/1.1 503 Unavailable\nTransfer-Encoding: chunked\n\n3\nbad\n0\n\n")
      : "respond"
  );
  const report = await runStress({ url: target.url, requests: 90, concurrency: 1 });
  assertEquals(assertAccounted(report), 60);
  assertEquals(report.failures.http4xx, 30);
  assertEquals(report.failures.http5xx, 30);
  assertEquals(report.statusCodes, { "200": 30, "404": 30, "503": 30 });
});

Deno.test("runStress() follows Connection: close and pipelines", async (t) => {
  await t.step("reconnects after Connection: close", async () => {
    await using target = startRawTarget((i) =>
      i % 4 === 3 ? raw("HTTP/1.1 200 OK\nConnection: close\nContent-Length: 3\n\nbye") : "respond"
    );
    const report = await runStress({ url: target.url, requests: 100, concurrency: 3 });
    assertEquals(assertAccounted(report), 0);
    assertEquals(report.successes, 100);
    assertEquals(target.received(), 100);
  });
  await t.step("keeps several requests in flight per connection", async () => {
    await using target = startRawTarget();
    const report = await runStress({
      url: target.url,
      requests: 400,
      concurrency: 4,
      pipeline: 8,
    });
    assertEquals(assertAccounted(report), 0);
    assertEquals(report.successes, 400);
    assertEquals(report.pipeline, 8);
    assertEquals(target.received(), 400);
  });
});

Deno.test("runStress() accounts for a refusing target", async () => {
  const report = await runStress({
    url: `http://127.0.0.1:${closedPort()}/`,
    requests: 30,
    concurrency: 3,
  });
  assertEquals(assertAccounted(report), 30);
  assertEquals(report.failures.refused, 30);
  assertEquals(report.successes, 0);
  assertEquals(report.latencyMs.max, 0);
  assertEquals(report.histogram, []);
});

Deno.test("runStress() accounts for a target that closes without answering", async () => {
  await using target = startRawTarget(() => "close");
  const report = await runStress({ url: target.url, requests: 25, concurrency: 5 });
  assertEquals(assertAccounted(report), 25);
  assertEquals(report.failures.reset, 25);
  assertEquals(target.received(), 25);
});

Deno.test("runStress() times out a stalling target", async () => {
  await using target = startRawTarget(() => "stall");
  const report = await runStress({
    url: target.url,
    requests: 6,
    concurrency: 3,
    timeout: 200,
  });
  assertEquals(assertAccounted(report), 6);
  assertEquals(report.failures.timeout, 6);
});

Deno.test("runStress() ends a duration run on time against a stalling target", async () => {
  await using target = startRawTarget(() => "stall");
  const report = await runStress({
    url: target.url,
    duration: 1_000,
    concurrency: 4,
    timeout: 60_000,
  });
  assertAccounted(report);
  assertEquals(report.inFlight, 4);
  assertEquals(report.requests, 4);
  assert(report.durationMs < 30_000, `took ${report.durationMs} ms`);
});

Deno.test("runStress() accounts for a target that dies mid-run", async () => {
  const holder: { close?: () => Promise<void> } = {};
  let dying: Promise<void> | undefined;
  await using target = startRawTarget((i) => {
    if (i === 50) dying ??= holder.close!();
    return i < 50 ? "respond" : "close";
  });
  holder.close = target.close;
  const report = await runStress({ url: target.url, requests: 300, concurrency: 4 });
  await dying;
  const failed = assertAccounted(report);
  assertEquals(report.requests, 300);
  assertEquals(report.successes, 50);
  assertEquals(failed, 250);
  assertEquals(report.failures.reset + report.failures.refused, 250);
});

Deno.test("runStress() rejects a malformed response as a protocol failure", async () => {
  await using target = startRawTarget(() => raw("SMTP ready\n\n"));
  const report = await runStress({ url: target.url, requests: 4, concurrency: 1 });
  assertEquals(assertAccounted(report), 4);
  assertEquals(report.failures.protocol, 4);
});

Deno.test("runStress() stops on abort with a partial report", async () => {
  await using target = startRawTarget((i) => i < 10 ? "respond" : "stall");
  const controller = new AbortController();
  const report = await runStress(
    { url: target.url, duration: 60_000, concurrency: 2, timeout: 60_000 },
    {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.completed >= 10) controller.abort();
      },
    },
  );
  assertAccounted(report);
  assertEquals(report.cancelled, true);
  assertEquals(report.successes, 10);
  assertEquals(report.inFlight, 2);
});

Deno.test("runStress() keeps a constant rate", async () => {
  await using target = startRawTarget();
  const report = await runStress({
    url: target.url,
    requests: 40,
    concurrency: 4,
    rate: 200,
  });
  assertEquals(assertAccounted(report), 0);
  assertEquals(report.successes, 40);
  assertEquals(report.rate, 200);
  // The 40th request is due 39 × 5 ms after the start: a run cannot be faster than that
  // (less a few ms, as workers and the main thread read their clocks apart).
  assert(report.durationMs >= 185, `took ${report.durationMs} ms`);
});

Deno.test("runStress() rejects bad options before sending anything", async () => {
  await using target = startRawTarget();
  const bad: [Parameters<typeof runStress>[0], ErrorConstructor | TypeErrorConstructor][] = [
    [{ url: "not a url" }, TypeError],
    [{ url: "ftp://127.0.0.1/" }, TypeError],
    [{ url: target.url, requests: 0 }, RangeError],
    [{ url: target.url, requests: 1.5 }, RangeError],
    [{ url: target.url, duration: -1 }, RangeError],
    [{ url: target.url, concurrency: 1e9 }, RangeError],
    [{ url: target.url, workers: 0 }, RangeError],
    [{ url: target.url, rate: Infinity }, RangeError],
    [{ url: target.url, requests: 5, duration: 5 }, TypeError],
    [{ url: target.url, rate: 5, pipeline: 2 }, TypeError],
    [{ url: target.url, method: "GE T" }, TypeError],
    [{ url: target.url, headers: { "bad header": "x" } }, TypeError],
    [{ url: target.url, requests: "5" as unknown as number }, TypeError],
    [{ url: target.url, timeout: null as unknown as number }, TypeError],
    [{ url: target.url, body: null as unknown as string }, TypeError],
    [{ url: target.url, body: 5 as unknown as string }, TypeError],
    [{ url: target.url, caCerts: "PEM" as unknown as string[] }, TypeError],
  ];
  for (const [options, errorClass] of bad) {
    await assertRejects(() => runStress(options), errorClass);
  }
  await assertRejects(
    () => runStress({ url: target.url }, { signal: AbortSignal.abort() }),
    DOMException,
  );
  await assertRejects(
    () => runStress({ url: target.url }, { onProgress: 5 as unknown as () => void }),
    TypeError,
    "'onProgress' must be a function",
  );
  await assertRejects(
    () => runStress({ url: target.url }, { signal: {} as AbortSignal }),
    TypeError,
    "'signal' must be an AbortSignal",
  );
  assertEquals(target.received(), 0);
  assertEquals(liveWorkers.count, 0);
});

Deno.test("runStress() stops and rejects when onProgress throws", async () => {
  await using target = startRawTarget();
  await assertRejects(
    () =>
      runStress({ url: target.url, duration: 60_000, concurrency: 2 }, {
        onProgress: () => {
          throw new Error("callback broke");
        },
      }),
    Error,
    "callback broke",
  );
  assertEquals(liveWorkers.count, 0);
});

Deno.test("runStress() sends only what a rate allows within a duration", async () => {
  await using target = startRawTarget();
  const report = await runStress({
    url: target.url,
    duration: 1_000,
    concurrency: 8,
    rate: 20,
  });
  assertEquals(assertAccounted(report), 0);
  // 20 requests are due in the second (at 0, 50, …, 950 ms); a stalled machine may send fewer.
  assert(report.requests <= 20 && report.requests >= 15, `sent ${report.requests}`);
  assertEquals(target.received(), report.requests);
});

Deno.test("runStress() onProgress counts responses per status class and late sends live", async () => {
  await using target = startRawTarget(() => raw("HTTP/1.1 503 Busy\nContent-Length: 0\n\n"));
  const controller = new AbortController();
  const live: StressProgress[] = [];
  const report = await runStress({ url: target.url, duration: 30_000, concurrency: 2 }, {
    signal: controller.signal,
    onProgress: (p) => {
      // The live 5xx count is what lets a caller stop at once; the last call has none.
      if (live.length === 0 && (p.statusClasses?.["5xx"] ?? 0) > 0) {
        live.push(p);
        controller.abort();
      }
    },
  });
  const seen = live[0];
  assert(seen !== undefined);
  assertEquals(seen.statusClasses?.["2xx"], 0);
  assertEquals(seen.statusClasses?.["4xx"], 0);
  assertEquals(seen.late, 0);
  assertEquals(report.cancelled, true);
  assert(
    report.statusCodes["503"] >= seen.statusClasses!["5xx"],
    JSON.stringify(report.statusCodes),
  );
  assertAccounted(report);
});
