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
