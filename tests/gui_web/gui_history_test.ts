// Copyright 2026 the Tandem authors. MIT license.
// The run options beyond url/requests/concurrency, the seconds in progress events, the
// history (in memory and in a folder across restarts), compare and downloads.

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import {
  serveGui,
  type ServeGuiOptions,
  type StressOptions,
  type StressRunner,
} from "../../gui_web/gui_server.ts";
import { fakeStress } from "./_fake_stress.ts";
import { EventClient, postRun, startRun, until } from "./_sse.ts";

const ROOT = new URL("../../", import.meta.url);

function gui(options: ServeGuiOptions = {}) {
  return serveGui({ port: 0, ...options });
}

/** A fake runner that records the options of each run. */
function recording() {
  const fake = fakeStress({ perTick: 50, tickMs: 5 });
  const seen: StressOptions[] = [];
  const runStress: StressRunner = (options, control) => {
    seen.push(options);
    return fake.runStress(options, control);
  };
  return { runStress, seen };
}

async function runToEnd(server: ReturnType<typeof gui>, body: unknown): Promise<string> {
  const id = await startRun(server, body);
  await using events = await EventClient.open(server, id);
  const final = (await events.untilFinal()).at(-1)!;
  assertEquals(final.event, "done", final.data);
  return id;
}

async function getJson(server: ReturnType<typeof gui>, path: string) {
  const response = await fetch(new URL(path, server.url));
  return { status: response.status, headers: response.headers, body: await response.json() };
}

Deno.test("POST /api/runs passes every run option to runStress and judges thresholds", async () => {
  const { runStress, seen } = recording();
  await using server = gui({ runStress });
  const id = await runToEnd(server, {
    url: "http://127.0.0.1:9/x",
    duration: 2000,
    concurrency: 3,
    rate: 250.5,
    method: "post",
    headers: "Accept: text/plain\nX-Test:  yes ",
    body: '{"a":1}\n',
    timeout: 700,
    thresholds: "p99<250ms\nrps>1000000",
  });
  assertEquals(seen, [{
    url: "http://127.0.0.1:9/x",
    duration: 2000,
    concurrency: 3,
    rate: 250.5,
    method: "POST",
    headers: { Accept: "text/plain", "X-Test": "yes" },
    body: '{"a":1}\n',
    timeout: 700,
  }]);
  const report = (await getJson(server, `/api/history/${id}`)).body;
  assertEquals(
    report.thresholds.map((t: { expression: string; ok: boolean }) => [t.expression, t.ok]),
    [["p99<250ms", true], ["rps>1000000", false]],
  );
  const list = (await getJson(server, "/api/history")).body;
  assertEquals(list.runs.length, 1);
  assertEquals(list.runs[0].thresholds, { passed: 1, failed: 1 });
  assertEquals(list.runs[0].url, "http://127.0.0.1:9/x");
});

Deno.test("POST /api/runs answers 400 with the field for a bad advanced option", async (t) => {
  const fake = fakeStress();
  await using server = gui({ runStress: fake.runStress });
  const ok = { url: "http://127.0.0.1:9/", requests: 10, concurrency: 2 };
  const { requests: _, ...timed } = ok;
  const cases: [string, unknown, string, RegExp][] = [
    ["both requests and duration", { ...ok, duration: 1000 }, "duration", /exclude each other/],
    ["neither requests nor duration", timed, "requests", /'requests' must be an integer/],
    ["a zero duration", { ...timed, duration: 0 }, "duration", /between 1 and 86400000/],
    ["a zero rate", { ...ok, rate: 0 }, "rate", /'rate' must be a number/],
    ["a method with a space", { ...ok, method: "GE T" }, "method", /HTTP method/],
    ["a header line without colon", { ...ok, headers: "Accept" }, "headers", /'Name: value'/],
    ["a header value with a newline", { ...ok, headers: { a: "b\nc" } }, "headers", /one-line/],
    ["a body that is not text", { ...ok, body: 5 }, "body", /'body' must be a string/],
    ["a fractional timeout", { ...ok, timeout: 1.5 }, "timeout", /must be an integer/],
    ["a malformed threshold", { ...ok, thresholds: ["p99<<1"] }, "thresholds", /threshold/],
    [
      "a service threshold without a rate",
      { ...ok, thresholds: ["service:p99<5ms"] },
      "thresholds",
      /needs a run with a rate/,
    ],
  ];
  for (const [name, body, field, message] of cases) {
    await t.step(`rejects ${name}`, async () => {
      const answer = await postRun(server, body);
      assertEquals(answer.status, 400);
      assertEquals(answer.body.field, field);
      assertMatch(answer.body.error as string, message);
    });
  }
  assertEquals(fake.started, 0);
});

Deno.test("GET /api/runs/:id/events carries whole seconds, all of them to a late watcher", async () => {
  // A runner whose clock the test moves: 2.1 s pass at once, then it waits to be released.
  const release = Promise.withResolvers<void>();
  const runStress: StressRunner = async (options, control) => {
    control?.onProgress?.({ completed: 100, total: 500, errors: 1, rps: 100, elapsedMs: 1000 });
    control?.onProgress?.({ completed: 300, total: 500, errors: 3, rps: 200, elapsedMs: 2100 });
    await release.promise;
    return (await fakeStress({ perTick: 500, tickMs: 1 }).runStress(options, {}));
  };
  await using server = gui({ runStress, progressIntervalMs: 20 });
  const id = await startRun(server, { url: "http://127.0.0.1:9/", requests: 500, concurrency: 1 });
  await using late = await EventClient.open(server, id);
  let seconds: { second: number; completed: number; failures: number }[] = [];
  while (seconds.length < 2) {
    const event = await late.next();
    assertEquals(event?.event, "progress");
    seconds = JSON.parse(event!.data!).seconds;
  }
  assertEquals(seconds, [
    { second: 0, completed: 100, failures: 1, targetRate: null },
    { second: 1, completed: 200, failures: 2, targetRate: null },
  ]);
  release.resolve();
  await late.untilFinal();
});

Deno.test("GET /api/history lists runs; downloads as JSON and HTML; compare", async (t) => {
  const fake = fakeStress({ perTick: 100, tickMs: 5 });
  await using server = gui({ runStress: fake.runStress });
  const before = await runToEnd(server, {
    url: "http://127.0.0.1:9/a",
    requests: 200,
    concurrency: 1,
  });
  const after = await runToEnd(server, {
    url: "http://127.0.0.1:9/b",
    requests: 300,
    concurrency: 1,
  });
  await until(() => true);
  await t.step("lists both, oldest first", async () => {
    const list = (await getJson(server, "/api/history")).body;
    assertEquals(list.runs.map((run: { id: string }) => run.id), [before, after]);
    assertEquals(list.dir, null);
    assertEquals(list.warnings, []);
  });
  await t.step("serves a report as a JSON download", async () => {
    const answer = await getJson(server, `/api/history/${after}?download`);
    assertEquals(answer.status, 200);
    assertEquals(
      answer.headers.get("content-disposition"),
      `attachment; filename="stress-${after}.json"`,
    );
    assertEquals(answer.body.requests, 300);
  });
  await t.step("serves the one-file HTML report", async () => {
    const response = await fetch(new URL(`/api/history/${after}/report.html`, server.url));
    assertEquals(response.status, 200);
    assertStringIncludes(response.headers.get("content-disposition") ?? "", "attachment");
    assertStringIncludes(await response.text(), "http://127.0.0.1:9/b");
  });
  await t.step("compares two runs", async () => {
    const answer = await getJson(server, `/api/compare?before=${before}&after=${after}`);
    assertEquals(answer.status, 200);
    const requests = answer.body.rows.find((row: { metric: string }) => row.metric === "req/s");
    assert(requests !== undefined, JSON.stringify(answer.body.rows));
    assertEquals(answer.body.ok, true);
  });
  await t.step("answers 404 for an unknown run", async () => {
    assertEquals((await getJson(server, "/api/history/nope")).status, 404);
    assertEquals((await getJson(server, "/api/history/%2e%2e%2fsecret")).status, 404);
    assertEquals((await getJson(server, `/api/compare?before=${before}&after=x`)).status, 404);
  });
});

Deno.test("serveGui({ historyDir }) keeps runs across restarts and skips a corrupt file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-gui-history-" });
  try {
    const fake = fakeStress({ perTick: 100, tickMs: 5 });
    let id: string;
    {
      await using server = gui({ runStress: fake.runStress, historyDir: dir });
      id = await runToEnd(server, {
        url: "http://127.0.0.1:9/kept",
        requests: 100,
        concurrency: 1,
      });
      await until(() => {
        try {
          return Deno.statSync(`${dir}/${id}.json`).size > 0;
        } catch {
          return false;
        }
      });
    }
    await Deno.writeTextFile(`${dir}/broken.json`, "{ not json");
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warned.push(message);
    try {
      await using server = gui({ runStress: fake.runStress, historyDir: dir });
      const list = (await getJson(server, "/api/history")).body;
      assertEquals(list.runs.map((run: { id: string }) => run.id), [id]);
      assertEquals(list.dir, dir);
      assertEquals(list.warnings.length, 1);
      assertMatch(list.warnings[0], /^Skipped history file '.*broken\.json': .*must be JSON/);
      assertEquals(warned, list.warnings);
      const report = (await getJson(server, `/api/history/${id}`)).body;
      assertEquals(report.url, "http://127.0.0.1:9/kept");
    } finally {
      console.warn = warn;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gui_cli --history refuses a folder it cannot write with one line and exit 2", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const args = (config.tasks.gui as string).split(/\s+/).slice(1);
  const file = await Deno.makeTempFile({ prefix: "tandem-gui-not-a-dir-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [...args, "--port", "0", "--history", `${file}/runs`],
      cwd: ROOT,
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 2);
    assertEquals(new TextDecoder().decode(output.stdout), "");
    assertMatch(stderr, /^gui: Cannot keep history in '.*\/runs' as it cannot be written: .+\n$/);
  } finally {
    await Deno.remove(file);
  }
});
