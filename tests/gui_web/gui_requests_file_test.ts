// Copyright 2026 the Tandem authors. MIT license.
// A requests file uploaded with a run request (`requestsFile`): parsed by the CLI's own
// parser (`--requests-file`, `--har`), its requests sent to the target, its errors marked
// on the field.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { serveGui } from "../../gui_web/gui_server.ts";
import { MAX_REQUESTS_FILE_BYTES } from "../../gui_web/_fields.ts";
import { MAX_BODY_BYTES, validateRunRequest } from "../../gui_web/_validate.ts";
import { parseHar, parseRequestsFile } from "../../servers/_request_templates.ts";
import { fakeStress } from "./_fake_stress.ts";
import { EventClient, postRun, startRun } from "./_sse.ts";

const LINES = [
  '{"name":"home","url":"/home","weight":2}',
  '{"method":"POST","url":"/login","headers":{"content-type":"application/json"},"body":"{}"}',
].join("\n");

/** The CLI parser's message for a file, to compare with the server's answer. */
function cliMessage(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the CLI's parser took the file");
}

Deno.test("POST /api/runs sends the requests of an uploaded file to the target", async () => {
  const seen: string[] = [];
  await using target = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      seen.push(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`);
      return new Response("ok");
    },
  );
  await using server = serveGui({ port: 0 });
  const url = `http://127.0.0.1:${target.addr.port}/`;
  const id = await startRun(server, {
    url,
    requests: 30,
    concurrency: 2,
    thresholds: ["endpoint:home:errors<1%"],
    requestsFile: { name: "reqs.jsonl", text: LINES },
  });
  await using events = await EventClient.open(server, id);
  const final = (await events.untilFinal()).at(-1)!;
  assertEquals(final.event, "done");
  const report = JSON.parse(final.data!).report;
  assertEquals(Object.keys(report.endpoints).sort(), ["POST /login", "home"]);
  assertEquals(report.endpoints.home.requests + report.endpoints["POST /login"].requests, 30);
  assertEquals(report.thresholds.map((t: { ok: boolean }) => t.ok), [true]);
  assertEquals(seen.length, 30);
  assertEquals(new Set(seen), new Set(["GET /home ", "POST /login {}"]));
  // The run's description names the file and its endpoints, not its text.
  const described = await (await fetch(new URL(`/api/runs/${id}`, server.url))).json();
  assertEquals(described.request.requestsFile, {
    name: "reqs.jsonl",
    format: "jsonl",
    endpoints: ["home", "POST /login"],
  });
});

Deno.test("POST /api/runs reads a HAR upload and a file without a URL as the CLI does", async () => {
  const fake = fakeStress({ perTick: 50, tickMs: 5 });
  const seen: unknown[] = [];
  await using server = serveGui({
    port: 0,
    runStress: (options, control) => {
      seen.push(options.templates);
      return fake.runStress(options, control);
    },
  });
  const headers = [{ name: "cookie", value: "sid=1" }];
  const request = { method: "GET", url: "http://127.0.0.1:9/a?x=1", headers };
  const har = JSON.stringify({ log: { entries: [{ request }, { request }] } }, null, 2);
  for (const cookies of [undefined, true]) {
    const id = await startRun(server, {
      requests: 10,
      concurrency: 1,
      requestsFile: { name: "site.har", text: har, cookies },
    });
    await using events = await EventClient.open(server, id);
    assertEquals((await events.untilFinal()).at(-1)!.event, "done");
    const described = await (await fetch(new URL(`/api/runs/${id}`, server.url))).json();
    assertEquals(described.request.url, "http://127.0.0.1:9/");
  }
  assertEquals(seen, [
    parseHar(har, { file: "site.har" }),
    parseHar(har, { file: "site.har", cookies: true }),
  ]);
  assertEquals((seen[1] as { headers: unknown }[])[0].headers, [["cookie", "sid=1"]]);
});

Deno.test("POST /api/runs answers a bad requests file with the CLI parser's message", async (t) => {
  const fake = fakeStress();
  await using server = serveGui({ port: 0, runStress: fake.runStress });
  const url = "http://127.0.0.1:9/";
  const ok = { url, requests: 10, concurrency: 1 };
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      "a line that is not JSON",
      { ...ok, requestsFile: { name: "reqs.jsonl", text: '{"url":"/"}\n{url}' } },
      "requestsFile",
      cliMessage(() => parseRequestsFile('{"url":"/"}\n{url}', { file: "reqs.jsonl", base: url })),
    ],
    [
      "another origin",
      { ...ok, requestsFile: { name: "r.jsonl", text: '{"url":"http://127.0.0.1:10/"}' } },
      "requestsFile",
      cliMessage(() =>
        parseRequestsFile('{"url":"http://127.0.0.1:10/"}', { file: "r.jsonl", base: url })
      ),
    ],
    [
      "a file that is not HAR",
      { ...ok, requestsFile: { name: "site.har", text: "[]" } },
      "requestsFile",
      cliMessage(() => parseHar("[]", { file: "site.har", base: url })),
    ],
    [
      "relative URLs and no run URL",
      { requests: 10, concurrency: 1, requestsFile: { name: "r.jsonl", text: '{"url":"/"}' } },
      "requestsFile",
      cliMessage(() => parseRequestsFile('{"url":"/"}', { file: "r.jsonl" })),
    ],
    [
      "a method beside the file",
      { ...ok, method: "PUT", requestsFile: { name: "r.jsonl", text: '{"url":"/"}' } },
      "method",
      "Cannot start run as 'requestsFile' excludes 'method' (each request of the file has its own): received both",
    ],
    [
      "a threshold on an endpoint the file lacks",
      {
        ...ok,
        thresholds: ["endpoint:nope:p99<1s"],
        requestsFile: { name: "r.jsonl", text: '{"name":"home","url":"/"}' },
      },
      "thresholds",
      "'nope'",
    ],
    [
      "a HAR of more than 1,000 distinct requests",
      {
        ...ok,
        requestsFile: {
          name: "big.har",
          text: JSON.stringify({
            log: {
              entries: Array.from({ length: 1001 }, (_, i) => ({
                request: { method: "GET", url: `${url}${i}` },
              })),
            },
          }),
        },
      },
      "requestsFile",
      "must hold at most 1000 requests (each is an endpoint with its own statistics): " +
      "received 1001 in 'big.har'",
    ],
    [
      "a file that is no object",
      { ...ok, requestsFile: '{"url":"/"}' },
      "requestsFile",
      "Cannot start run as 'requestsFile' must be an object { name, text, format?, cookies? }",
    ],
  ];
  for (const [what, body, field, message] of cases) {
    await t.step(what, async () => {
      const answer = await postRun(server, body);
      assertEquals(answer.status, 400);
      assertEquals(answer.body.field, field);
      assertStringIncludes(answer.body.error as string, message);
    });
  }
  assertEquals(fake.started, 0);
});

Deno.test("POST /api/runs takes a requests file of megabytes and refuses a larger one clearly", async (t) => {
  const fake = fakeStress();
  await using server = serveGui({ port: 0, runStress: fake.runStress });
  const ok = { url: "http://127.0.0.1:9/", requests: 10, concurrency: 1 };
  // Lines of about 4 KiB, their quotes escaped in the JSON body.
  const text = (bytes: number) => {
    const lines: string[] = [];
    for (let size = 0; size < bytes; size += lines.at(-1)!.length) {
      lines.push(
        JSON.stringify({ url: `/${lines.length}`, headers: { x: "x".repeat(4000) } }) + "\n",
      );
    }
    return lines.join("");
  };
  await t.step("a 3 MiB file fits", () => {
    const file = text(3 << 20);
    const checked = validateRunRequest(
      JSON.stringify({ ...ok, requestsFile: { name: "big.jsonl", text: file } }),
      { maxRequests: 100, maxConcurrency: 10 },
    );
    if (!checked.ok) throw new Error(checked.error);
    assertEquals(checked.value.templates?.length, file.split("\n").length - 1);
  });
  await t.step("a file over the cap is marked with its size", async () => {
    const big = text(MAX_REQUESTS_FILE_BYTES + 1);
    const answer = await postRun(server, {
      ...ok,
      requestsFile: { name: "huge.jsonl", text: big },
    });
    assertEquals(answer.status, 400);
    assertEquals(answer.body.field, "requestsFile");
    assertStringIncludes(
      answer.body.error as string,
      "Cannot start run as 'requestsFile' must be at most 8 MiB: received 'huge.jsonl' of 8 MiB",
    );
  });
  await t.step("a file of more than 1,000 requests is refused before it is parsed", async () => {
    const many = '{"url":"/"}\n'.repeat(1001);
    const answer = await postRun(server, { ...ok, requestsFile: { name: "r.jsonl", text: many } });
    assertEquals(answer.status, 400);
    assertEquals(answer.body.field, "requestsFile");
    assertEquals(
      answer.body.error,
      "Cannot start run as 'requestsFile' must hold at most 1000 requests (each is an endpoint " +
        "with its own statistics): received 1001 in 'r.jsonl'",
    );
  });
  await t.step("a body over the whole cap gets 413", async () => {
    const answer = await postRun(server, {
      ...ok,
      requestsFile: { name: "huge.jsonl", text: "\n".repeat(MAX_BODY_BYTES / 2 + 1) },
    });
    assertEquals(answer.status, 413);
    assertStringIncludes(answer.body.error as string, "a requests file may have 8 MiB");
  });
  await t.step("the other fields keep their 16 KiB", async () => {
    const answer = await postRun(server, {
      ...ok,
      body: "x".repeat(20_000),
      requestsFile: { name: "r.jsonl", text: '{"url":"/"}' },
    });
    assertEquals(answer.status, 413);
  });
  assertEquals(fake.started, 0);
});
