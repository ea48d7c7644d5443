// Copyright 2026 the Tandem authors. MIT license.
import { assert, assertEquals } from "@std/assert";
import { timelineBars } from "../../gui_web/_timeline.ts";

Deno.test("timelineBars() scales the last, partial second by its real length", () => {
  const timeline = [
    { second: 0, completed: 1000, failures: 0 },
    { second: 1, completed: 1000, failures: 10 },
    { second: 2, completed: 400, failures: 4 },
  ];
  // The run lasted 2.4 s: its third second holds 0.4 s of requests at the same pace.
  const bars = timelineBars(timeline, 2_400);
  assertEquals(bars.map((bar) => [bar.from, bar.partial]), [[0, false], [1, false], [2, true]]);
  assertEquals(bars[1].rate, 1000);
  assertEquals(bars[1].failedRate, 10);
  const last = bars[2];
  assertEquals(Math.round(last.to * 1000), 2_400);
  assertEquals(Math.round(last.rate), 1000);
  assertEquals(Math.round(last.failedRate), 10);
});

Deno.test("timelineBars() keeps whole seconds whole", () => {
  const bars = timelineBars([{ second: 0, completed: 50, failures: 60 }], 1_000);
  assertEquals(bars, [{ from: 0, to: 1, rate: 50, failedRate: 50, partial: false }]);
  assertEquals(timelineBars([], 0), []);
});

Deno.test("timelineBars() is served inside the page's script", async () => {
  const { PAGE_JS } = await import("../../gui_web/_page_js.ts");
  // The bundle keeps each module under a "// path" comment: run _timeline.ts's part alone.
  const from = PAGE_JS.indexOf("// gui_web/_timeline.ts");
  const to = PAGE_JS.indexOf("// gui_web/", from + 1);
  assert(from >= 0 && to > from, "the bundle holds gui_web/_timeline.ts");
  const bars = new Function(
    `${PAGE_JS.slice(from, to)}
    return timelineBars([{ second: 0, completed: 30, failures: 0 }], 300);`,
  )();
  assertEquals(bars[0].partial, true);
  assertEquals(Math.round(bars[0].rate), 100);
});
