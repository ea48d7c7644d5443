// Copyright 2026 the Tandem authors. MIT license.
// Times the page's chart redraw in headless Chromium (a browser check, not a test):
//
//   deno run -A tests/gui_web/_chart_bench.ts [POINTS, default 61]
//
// 60 seconds of per-second data in 6 series (req/s, failures/s, target; p50, p90, p99),
// redrawn 200 times; prints the median and the 95th percentile of one redraw of both charts.

import { chromium, CHROMIUM_FLAGS, findChromium } from "./_playwright.ts";
import { serveGui } from "../../gui_web/gui_server.ts";

await using gui = serveGui({ port: 0 });
const profile = await Deno.makeTempDir({ prefix: "tandem-chart-bench-" });
const context = await chromium.launchPersistentContext(profile, {
  executablePath: await findChromium(),
  headless: true,
  args: CHROMIUM_FLAGS,
  viewport: { width: 1440, height: 900 },
});
try {
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(gui.url);
  const points = Number(Deno.args[0] ?? 61);
  const times: number[] = await page.evaluate(async (length) => {
    // deno-lint-ignore no-explicit-any
    const charts = (globalThis as any).tandemCharts;
    const xs = Array.from({ length }, (_, i) => i);
    const out: number[] = [];
    for (let round = 0; round < 200; round++) {
      const r = () => xs.map(() => 900 + Math.random() * 200);
      const started = performance.now();
      charts.rps.set([xs, r(), r().map((v: number) => v / 100), xs.map(() => 1000)]);
      charts.latency.set([xs.slice(0, -1), r(), r(), r()]);
      // uPlot redraws in a microtask after setData: wait for it.
      await Promise.resolve();
      out.push(performance.now() - started);
    }
    return out;
  }, points);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.floor(q * (times.length - 1))].toFixed(2);
  console.log(`redraw of 6 series x ${points - 1} s: median ${at(0.5)} ms, p95 ${at(0.95)} ms`);
} finally {
  await context.close();
  await Deno.remove(profile, { recursive: true });
}
