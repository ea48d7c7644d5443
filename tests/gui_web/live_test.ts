// Copyright 2026 the Tandem authors. MIT license.
import { assertEquals } from "@std/assert";
import { LiveTimeline } from "../../gui_web/_live.ts";

Deno.test("LiveTimeline.add() turns running totals into whole seconds", () => {
  const live = new LiveTimeline(500);
  live.add({ completed: 40, errors: 0, elapsedMs: 100 });
  assertEquals(live.seconds, []);
  live.add({ completed: 480, errors: 2, elapsedMs: 1_040 });
  live.add({ completed: 900, errors: 2, elapsedMs: 1_900 });
  live.add({ completed: 1_000, errors: 5, elapsedMs: 2_010 });
  assertEquals(live.seconds, [
    { second: 0, completed: 480, failures: 2, targetRate: 500 },
    { second: 1, completed: 520, failures: 3, targetRate: 500 },
  ]);
});

Deno.test("LiveTimeline.add() gives a long gap's growth to its first second", () => {
  const live = new LiveTimeline(null);
  live.add({ completed: 300, errors: 1, elapsedMs: 3_500 });
  assertEquals(live.seconds.map((s) => [s.second, s.completed, s.failures]), [
    [0, 300, 1],
    [1, 0, 0],
    [2, 0, 0],
  ]);
  assertEquals(live.latest().map((s) => s.second), [0, 1, 2]);
  live.add({ completed: 400, errors: 1, elapsedMs: 4_200 });
  assertEquals(live.latest().map((s) => s.second), [1, 2, 3]);
});

Deno.test("LiveTimeline.add() takes the target rate the engine reports, else the run's", () => {
  const live = new LiveTimeline(100);
  live.add({ completed: 10, errors: 0, elapsedMs: 1_000 });
  live.add({ completed: 30, errors: 0, elapsedMs: 2_000, targetRate: 250 });
  assertEquals(live.seconds.map((s) => s.targetRate), [100, 250]);
});

Deno.test("LiveTimeline.close() puts a closed second's latency in and repeats it", () => {
  const live = new LiveTimeline(100);
  for (let ms = 1_000; ms <= 6_000; ms += 1_000) {
    live.add({ completed: ms / 10, errors: 0, elapsedMs: ms });
  }
  assertEquals(live.latest().map((s) => s.second), [3, 4, 5]);
  live.close({ second: 0, completed: 99, failures: 1, p50: 1.5, p90: 2, p99: 3, max: 4 });
  live.close({ second: 1, completed: 101, failures: 0, p99: 2.5, targetRate: 120 });
  assertEquals(live.seconds[0], {
    second: 0,
    completed: 99,
    failures: 1,
    targetRate: 100,
    p50: 1.5,
    p90: 2,
    p99: 3,
    max: 4,
  });
  assertEquals(live.seconds[1].targetRate, 120);
  assertEquals(live.seconds[1].p50, 2.5);
  assertEquals(live.seconds[2].p99, undefined);
  // The closed seconds fell out of the last three: they are repeated with them.
  assertEquals(live.latest().map((s) => s.second), [0, 1, 2, 3, 4, 5]);
  live.close({ second: 4, completed: 100, failures: 0, p99: 1 });
  assertEquals(live.latest().map((s) => s.second), [2, 3, 4, 5]);
});

Deno.test("LiveTimeline.close() adds seconds the totals have not reached yet", () => {
  const live = new LiveTimeline(null);
  live.close({ second: 1, completed: 7, failures: 0, p99: 2 });
  assertEquals(live.seconds.map((s) => [s.second, s.completed, s.p99]), [
    [0, 0, undefined],
    [1, 7, 2],
  ]);
});

Deno.test("LiveTimeline.add() keeps a second closed before the sample after its end", () => {
  // Seconds now close within ~50 ms of their end, often before the next 100 ms sample.
  const live = new LiveTimeline(null);
  live.add({ completed: 90, errors: 0, elapsedMs: 950 });
  live.close({ second: 0, completed: 100, failures: 1, p99: 2 });
  live.add({ completed: 110, errors: 1, elapsedMs: 1_050 });
  live.add({ completed: 300, errors: 1, elapsedMs: 2_050 });
  assertEquals(live.seconds.map((s) => [s.second, s.completed, s.failures, s.p99]), [
    [0, 100, 1, 2],
    [1, 190, 0, undefined],
  ]);
});
