// Copyright 2026 the Tandem authors. MIT license.
import { assert, assertEquals } from "@std/assert";
import { type ProgressEvent, Run, type SseMessage } from "../../gui_web/_runs.ts";
import type { StressControl, StressReport } from "../../servers/stress.ts";
import { Histogram } from "../../servers/_histogram.ts";
import type { RunRequest } from "../../gui_web/_validate.ts";

function histogram(...micros: number[]): Histogram {
  const h = new Histogram();
  for (const value of micros) h.record(value);
  return h;
}

async function progressEvents(stream: ReadableStream<SseMessage>): Promise<ProgressEvent[]> {
  const events: ProgressEvent[] = [];
  for await (const message of stream) {
    if (message.event === "progress") events.push(JSON.parse(message.data!));
  }
  return events;
}

Deno.test("Run sends each closed second's latency and the merged histogram in its progress", async () => {
  let control: StressControl = {};
  let finish = () => {};
  const request = {
    url: "http://127.0.0.1:9/",
    durationMs: 6_000,
    rate: 100,
    concurrency: 4,
  } as RunRequest;
  // The ticker never fires in the test: the events are the replay and the final one.
  const run = new Run("id", request, (_options, given = {}) => {
    control = given;
    return new Promise<StressReport>((resolve) => {
      finish = () =>
        resolve({ requests: 600, inFlight: 0, failures: {}, durationMs: 6_000 } as StressReport);
    });
  }, 60_000);
  for (let ms = 1_000; ms <= 5_000; ms += 1_000) {
    control.onProgress!({
      completed: ms / 10,
      total: undefined,
      errors: 0,
      rps: 100,
      elapsedMs: ms,
    });
  }
  control.onSecond!(
    { second: 0, completed: 100, failures: 0, p50: 1.5, p90: 2, p99: 3, max: 4, targetRate: 100 },
    histogram(1_500, 2_000, 3_000, 4_000).data(),
    undefined,
  );

  // A tab opening midway gets every second, the closed one with its latency, and the buckets.
  const midway = run.watch(undefined)!;
  control.onSecond!(
    { second: 1, completed: 100, failures: 0, p50: 1, p90: 1, p99: 1, max: 1, targetRate: 100 },
    histogram(1_000).data(),
    undefined,
  );
  finish();
  await run.settled;
  const [replay, last] = await progressEvents(midway);
  assertEquals(replay.seconds.map((s) => s.second), [0, 1, 2, 3, 4]);
  assertEquals(replay.seconds[0], {
    second: 0,
    completed: 100,
    failures: 0,
    targetRate: 100,
    p50: 1.5,
    p90: 2,
    p99: 3,
    max: 4,
  });
  assertEquals(replay.seconds[1].p99, undefined);
  assertEquals(replay.histogram!.reduce((sum, b) => sum + b.count, 0), 4);
  assert(replay.histogram!.length <= 20, `${replay.histogram!.length} buckets`);

  // The next event repeats the latest seconds and the closed ones, and the merged buckets.
  assertEquals(last.seconds.map((s) => s.second), [0, 1, 2, 3, 4]);
  assertEquals(last.seconds[1].p99, 1);
  assertEquals(last.histogram!.reduce((sum, b) => sum + b.count, 0), 5);
  assertEquals(last.histogram![0].fromMs, 1);
});
