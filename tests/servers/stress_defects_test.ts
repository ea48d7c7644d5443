/**
 * Defects found with hostile targets and odd usage (issue 21), each against a loopback
 * target the test starts itself.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes, assertThrows } from "@std/assert";
import { runStress, type StressReport } from "../../servers/stress.ts";
import { ProtocolError, ResponseParser } from "../../servers/_http_response_parser.ts";
import { encodeRequest, pipelineBatches } from "../../servers/_http_request.ts";
import { liveWorkers } from "../../servers/_stress_live.ts";
import { raw, startRawTarget } from "./stress_targets.ts";

const ROOT = new URL("../../", import.meta.url);
const NET = "--allow-net=127.0.0.1,localhost,[::1]";
const READ = "--allow-read=servers,sync";

/** Runs the CLI; with `limitFiles`, under `ulimit -n limitFiles`. */
async function cli(
  args: string[],
  options: { permissions?: string[]; limitFiles?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = [
    Deno.execPath(),
    "run",
    ...(options.permissions ?? [NET, READ]),
    "servers/stress_cli.ts",
    ...args,
  ];
  const [program, ...rest] = options.limitFiles === undefined
    ? argv
    : ["sh", "-c", `ulimit -n ${options.limitFiles} && exec "$@"`, "sh", ...argv];
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args: rest,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

function failed(report: StressReport): number {
  return Object.values(report.failures).reduce((a, b) => a + b, 0);
}

function assertAccounted(report: StressReport): void {
  assertEquals(report.successes + failed(report) + report.inFlight, report.requests);
  const reasons = (report.failureReasons ?? []).reduce((a, r) => a + r.count, 0);
  assert(reasons <= failed(report), "more reasons than failures");
  assertEquals(liveWorkers.count, 0);
}

/** Resolves with the promise's value, or `undefined` after `ms` (the timer is cleared). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("stress_cli exits with 1 when requests went unanswered", async (t) => {
  await using target = startRawTarget(() => "stall");
  await t.step("a run with no response at all, even with --accept-failures", async () => {
    const { code, stdout, stderr } = await cli([target.url, "-d", "500ms", "-c", "3"]);
    assertEquals(code, 1, stderr);
    assertStringIncludes(stdout, "3 sent, 0 ok, 0 failed, 3 unanswered at the end");
    assertStringIncludes(stdout, "Failures   3 unanswered");
    assertStringIncludes(stderr, "stress: no response at all to 3 requests (exit code 1)");
    const accepted = await cli([target.url, "-d", "500ms", "-c", "3", "--accept-failures"]);
    assertEquals(accepted.code, 1, accepted.stderr);
  });
  await t.step("a run where some requests were answered", async () => {
    for (const accept of [false, true]) {
      // Answers the first request of each of the 2 connections, then stalls.
      await using partly = startRawTarget((i) => i < 2 ? "respond" : "stall");
      const args = [partly.url, "-d", "500ms", "-c", "2", "--json"];
      const { code, stdout, stderr } = await cli(accept ? [...args, "--accept-failures"] : args);
      assertEquals(code, accept ? 0 : 1, stderr);
      const report = JSON.parse(stdout) as StressReport;
      assertEquals(report.successes, 2);
      assertEquals(report.inFlight, 2);
      assertEquals(failed(report), 0);
    }
  });
});

Deno.test("pipelineBatches() keeps one buffer of depth copies", () => {
  const request = encodeRequest({
    url: new URL("http://127.0.0.1/"),
    method: "POST",
    headers: [],
    body: new Uint8Array(64 * 1024),
  });
  const batches = pipelineBatches(request, 256);
  assertEquals(batches.length, 257);
  const buffer = batches[1].buffer;
  assertEquals(buffer.byteLength, request.byteLength * 256);
  for (let k = 0; k <= 256; k++) {
    assertEquals(batches[k].byteLength, request.byteLength * k);
    assert(batches[k].buffer === buffer, `batch ${k} has a buffer of its own`);
  }
  assertEquals(batches[3].subarray(2 * request.byteLength), request);
});

Deno.test("runStress() pipelines requests with bodies from one buffer intact", async () => {
  const body = "x".repeat(16 * 1024);
  let intact = 0;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      if (await request.text() === body) intact++;
      return new Response("ok");
    },
  );
  const report = await runStress({
    url: `http://127.0.0.1:${server.addr.port}/`,
    requests: 200,
    concurrency: 2,
    pipeline: 32,
    method: "POST",
    body,
  });
  assertAccounted(report);
  assertEquals(report.successes, 200);
  assertEquals(intact, 200);
});

Deno.test("ResponseParser.feed() takes exactly 3 status digits and a plain Content-Length", () => {
  const parse = (text: string): number[] => {
    const parser = new ResponseParser(false);
    const bytes = raw(text);
    parser.space().set(bytes);
    parser.feed(bytes.length);
    return parser.statuses;
  };
  assertThrows(() => parse("HTTP/1.1 2000 OK\nContent-Length: 0\n\n"), ProtocolError, "status");
  assertThrows(() => parse("HTTP/1.1 200OK\nContent-Length: 0\n\n"), ProtocolError, "status");
  for (const value of ["1 0", "10x", "1,0", "-1", ""]) {
    assertThrows(
      () => parse(`HTTP/1.1 200 OK\nContent-Length: ${value}\n\n0123456789`),
      ProtocolError,
      "Content-Length",
      value,
    );
  }
  assertEquals(parse("HTTP/1.1 200\nContent-Length:\t 2 \n\nok"), [200]);
  assertEquals(parse("HTTP/1.1 204 No Content\n\n"), [204]);
});

Deno.test("runStress() counts odd framing and huge headers as protocol failures", async (t) => {
  const cases: [string, Uint8Array, string][] = [
    ["a 4-digit status", raw("HTTP/1.1 2000 OK\nContent-Length: 0\n\n"), "status code"],
    [
      "a spaced Content-Length",
      raw("HTTP/1.1 200 OK\nContent-Length: 1 0\n\n0123456789"),
      "Content-Length",
    ],
    [
      "headers over 64 KiB",
      raw(`HTTP/1.1 200 OK\nX-Big: ${"a".repeat(70 * 1024)}\nContent-Length: 0\n\n`),
      "header block is too large",
    ],
  ];
  for (const [name, response, reason] of cases) {
    await t.step(name, async () => {
      await using target = startRawTarget(() => response);
      const report = await runStress({ url: target.url, requests: 3, concurrency: 1 });
      assertAccounted(report);
      assertEquals(report.failures.protocol, 3);
      assertEquals(report.failures.other, 0);
      assertEquals(report.failureReasons?.length, 1);
      assertEquals(report.failureReasons![0].cause, "protocol");
      assertStringIncludes(report.failureReasons![0].reason, reason);
      assertEquals(report.failureReasons![0].count, 3);
    });
  }
});

Deno.test("runStress() resends pipelined requests after a body delimited by the close", async () => {
  await using target = startRawTarget(() => ({ last: raw("HTTP/1.1 200 OK\n\nuntil the end") }));
  const report = await runStress({ url: target.url, requests: 24, concurrency: 2, pipeline: 4 });
  assertAccounted(report);
  assertEquals(report.failures.reset, 0);
  assertEquals(report.successes, 24);
  assertEquals(report.requests, 24);
  assertEquals(target.received(), 24);
});

Deno.test("runStress() gives up connecting at the end of the drain window", async () => {
  // A listener that never accepts: once its backlog is full, the kernel drops new SYNs
  // and connecting hangs (Linux retries for about two minutes).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const held: Deno.Conn[] = [];
  let hanging: Promise<Deno.Conn> | undefined;
  try {
    while (hanging === undefined && held.length < 8192) {
      const attempt = Deno.connect({ hostname: "127.0.0.1", port });
      const conn = await within(attempt, 1_000);
      if (conn) held.push(conn);
      else hanging = attempt;
    }
    const report = await runStress({
      url: `http://127.0.0.1:${port}/`,
      duration: 300,
      concurrency: 2,
      timeout: 60_000,
    });
    assertAccounted(report);
    assertEquals(report.requests, 2);
    assertEquals(report.inFlight, 2);
    // The drain window is min(timeout, 1 s): the run must not wait for the 60 s timeout.
    assert(report.durationMs < 30_000, `took ${report.durationMs} ms`);
  } finally {
    for (const conn of held) conn.close();
    listener.close();
    // The next SYN is refused now that nothing listens.
    await hanging?.then((conn) => conn.close(), () => {});
  }
});

Deno.test("stress_cli names a failure's reason once, in the text and the JSON", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  // 64 descriptors, 200 connections: most connects fail with EMFILE.
  const args = [url, "-n", "300", "-c", "200", "-w", "1", "--accept-failures"];
  const text = await cli(args, { limitFiles: 64 });
  assertEquals(text.stdout.split("too many open files").length, 2, text.stdout);
  assertMatch(text.stdout, /Failures {3}other: [\d,]+\n\s+other: too many open files \([\d,]+\)/);
  const json = await cli([...args, "--json"], { limitFiles: 64 });
  const report = JSON.parse(json.stdout) as StressReport;
  assert(report.failures.other > 0, json.stdout);
  assertEquals(report.failureReasons, [
    { cause: "other", reason: "too many open files", count: report.failures.other },
  ]);
});

Deno.test("runStress() sends at least one request in a very short run", async () => {
  await using target = startRawTarget();
  const report = await runStress({ url: target.url, duration: 0.0001, concurrency: 2 });
  assertAccounted(report);
  assert(report.requests >= 1, `sent ${report.requests}`);
  assertEquals(report.successes, report.requests);
  const { code, stdout, stderr } = await cli([target.url, "-d", "0.0001ms", "-c", "2"]);
  assertEquals(code, 0, stderr);
  assertMatch(stdout, /Requests\s+[1-9][\d,]* sent/);
});

Deno.test("runStress() sends credentials in the URL as Basic auth", async () => {
  const seen = new Set<string | null>();
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      seen.add(request.headers.get("authorization"));
      return new Response("ok");
    },
  );
  const url = `http://al%20ice:s%3Dcr%C3%A9t@127.0.0.1:${server.addr.port}/`;
  const report = await runStress({ url, requests: 5, concurrency: 1 });
  assertEquals(report.successes, 5);
  const expected = `Basic ${
    btoa(String.fromCharCode(...new TextEncoder().encode("al ice:s=crét")))
  }`;
  assertEquals([...seen], [expected]);
  assertEquals(report.url, `http://al%20ice@127.0.0.1:${server.addr.port}/`);
  seen.clear();
  await runStress({ url, requests: 2, concurrency: 1, headers: { authorization: "Bearer t" } });
  assertEquals([...seen], ["Bearer t"]);
});

Deno.test("runStress() names every folder it lacks read permission for at once", async () => {
  const { code, stderr } = await cli(["http://127.0.0.1:1/", "-n", "1"], {
    permissions: [NET],
  });
  assertEquals(code, 2);
  const first = stderr.split("\n")[0];
  const servers = new URL("servers/", ROOT).pathname;
  const sync = new URL("sync/", ROOT).pathname;
  assertStringIncludes(first, `run with --allow-read=${servers},${sync}`);
});
