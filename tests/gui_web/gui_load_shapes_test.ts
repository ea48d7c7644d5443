// Copyright 2026 the Tandem authors. MIT license.
// Ramps and stages in POST /api/runs: the CLI's syntax through the CLI's own parser, so
// the same text gets the same message (the field named as the API names it).

import { assertEquals } from "@std/assert";
import { serveGui, type StressOptions, type StressRunner } from "../../gui_web/gui_server.ts";
import { parseConcurrencyFlag, parseRateFlag, parseStagesFlag } from "../../servers/_load_flags.ts";
import { fakeStress } from "./_fake_stress.ts";
import { EventClient, postRun, startRun } from "./_sse.ts";

/** The CLI's message for `text`, with the flag renamed to the API's field. */
function cliMessage(parse: (text: string) => unknown, text: string, flag: string, field: string) {
  try {
    parse(text);
  } catch (error) {
    return (error as Error).message.replace(`'${flag}'`, `'${field}'`);
  }
  throw new Error(`the CLI took '${text}'`);
}

Deno.test("POST /api/runs passes rate and connection ramps and stages to runStress", async () => {
  const fake = fakeStress({ perTick: 50, tickMs: 5 });
  const seen: StressOptions[] = [];
  const runStress: StressRunner = (options, control) => {
    seen.push(options);
    return fake.runStress(options, control);
  };
  await using server = serveGui({ port: 0, runStress });
  const url = "http://127.0.0.1:9/";
  const bodies = [
    { url, duration: 3000, concurrency: 4, rate: "100:2000/30s" },
    { url, requests: 100, concurrency: "2:8/1.5s" },
    { url, concurrency: 4, stages: "100, 2s:500 ,1s:0" },
    { url, concurrency: "4", rate: " 250 ", duration: 1000 },
  ];
  for (const body of bodies) {
    const id = await startRun(server, body);
    await using events = await EventClient.open(server, id);
    assertEquals((await events.untilFinal()).at(-1)!.event, "done");
  }
  assertEquals(seen, [
    { url, duration: 3000, concurrency: 4, rate: { from: 100, to: 2000, overMs: 30_000 } },
    { url, requests: 100, concurrency: { from: 2, to: 8, overMs: 1500 } },
    {
      url,
      concurrency: 4,
      stages: [{ durationMs: 2000, rate: 500 }, { durationMs: 1000, rate: 0 }],
      startRate: 100,
    },
    { url, concurrency: 4, rate: 250, duration: 1000 },
  ]);
});

Deno.test("POST /api/runs answers a bad ramp or stage with the CLI's message", async (t) => {
  const fake = fakeStress();
  await using server = serveGui({ port: 0, runStress: fake.runStress, maxConcurrency: 50 });
  const ok = { url: "http://127.0.0.1:9/", duration: 1000, concurrency: 2 };
  const { duration: _, ...untimed } = ok;
  const rate = (text: string) => cliMessage(parseRateFlag, text, "--rate", "rate");
  const connections = (text: string) => cliMessage(parseConcurrencyFlag, text, "-c", "concurrency");
  const stages = (text: string) => cliMessage(parseStagesFlag, text, "--stages", "stages");
  const cases: [string, unknown, string, string][] = [
    ["a rate that is no ramp", { ...ok, rate: "100:2000" }, "rate", rate("100:2000")],
    ["a ramp ending at 0", { ...ok, rate: "100:0/30s" }, "rate", rate("100:0/30s")],
    ["a ramp over 25h", { ...ok, rate: "1:2/25h" }, "rate", rate("1:2/25h")],
    [
      "fractional connections",
      { ...ok, concurrency: "1.5:20/1s" },
      "concurrency",
      connections("1.5:20/1s"),
    ],
    ["a connection word", { ...ok, concurrency: "lots" }, "concurrency", connections("lots")],
    ["a step without rate", { ...untimed, stages: "30s:500,2m" }, "stages", stages("30s:500,2m")],
    ["stages of rate 0", { ...untimed, stages: "30s:0" }, "stages", stages("30s:0")],
    [
      "a connection ramp over the cap",
      { ...ok, concurrency: "10:51/1s" },
      "concurrency",
      "Cannot start run as 'concurrency' must be between 1 and 50: received '10:51/1s'",
    ],
    [
      "stages with a duration",
      { ...ok, stages: "1s:5" },
      "stages",
      "Cannot run stress as 'stages' sets the run length and excludes 'duration': received both",
    ],
    [
      "stages with a rate",
      { ...untimed, rate: 5, stages: "1s:5" },
      "rate",
      "Cannot run stress as 'rate' and 'stages' exclude each other: received both",
    ],
    [
      "a connection ramp with a rate",
      { ...ok, rate: 5, concurrency: "1:5/1s" },
      "concurrency",
      "Cannot run stress as a ramp of 'concurrency' (closed model) excludes 'rate': received both",
    ],
  ];
  for (const [name, body, field, error] of cases) {
    await t.step(`rejects ${name}`, async () => {
      const answer = await postRun(server, body);
      assertEquals(answer.status, 400);
      assertEquals(answer.body, { error, field });
    });
  }
  assertEquals(fake.started, 0);
});
