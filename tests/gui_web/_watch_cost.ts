// Copyright 2026 the Tandem authors. MIT license.
// Measures what watching a run from the page costs the run (not a test):
//
//   flock /tmp/tandem-bench.lock deno run -A tests/gui_web/_watch_cost.ts [ROUNDS] [REQUESTS]
//
// A target runs in its own process on 127.0.0.1. Each round runs REQUESTS requests over 16
// connections twice, in alternating order: once with `runStress` called directly, once
// started from the page in headless Chromium, which loads, draws the live charts and
// follows the event stream until the report. Prints each run's req/s and the ratio of
// the medians (watched / direct).

import { chromium, CHROMIUM_FLAGS, findChromium } from "./_playwright.ts";
import { serveGui } from "../../gui_web/gui_server.ts";
import { runStress } from "../../servers/stress.ts";

const rounds = Number(Deno.args[0] ?? 5);
const requests = Number(Deno.args[1] ?? 100_000);
const concurrency = 16;

const target = new Deno.Command(Deno.execPath(), {
  args: [
    "eval",
    `Deno.serve({ hostname: "127.0.0.1", port: 0, onListen({ port }) { console.log(port); } },
      () => new Response("hello from the target\\n"));`,
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = target.stdout.pipeThrough(new TextDecoderStream()).getReader();
const port = Number((await reader.read()).value?.trim());
const url = `http://127.0.0.1:${port}/`;

await using gui = serveGui({ port: 0, maxRequests: requests });
const profile = await Deno.makeTempDir({ prefix: "tandem-watch-cost-" });
const context = await chromium.launchPersistentContext(profile, {
  executablePath: await findChromium(),
  headless: true,
  args: CHROMIUM_FLAGS,
  viewport: { width: 1440, height: 900 },
});

// With the `onProgress` the GUI passes too (a no-op here), so the two differ only by the page:
// without one, runStress reads no progress and its main thread sleeps.
const progress = Deno.env.get("NO_PROGRESS") ? {} : { onProgress() {} };

async function direct(): Promise<number> {
  return (await runStress({ url, requests, concurrency }, progress)).rps;
}

async function watched(): Promise<number> {
  const page = await context.newPage();
  try {
    await page.goto(gui.url);
    await page.getByLabel("URL", { exact: true }).fill(url);
    await page.getByLabel("Requests", { exact: true }).fill(String(requests));
    await page.getByLabel("Concurrency", { exact: true }).fill(String(concurrency));
    await page.getByRole("button", { name: "Submit", exact: true }).click();
    await page.locator("#status").filter({ hasText: "done" }).waitFor({ timeout: 300_000 });
    const id = (await page.evaluate(() => location.hash)).slice("#run=".length);
    const report = await (await fetch(new URL(`/api/history/${id}`, gui.url))).json();
    return report.rps;
  } finally {
    await page.close();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

try {
  await direct(); // warm-up: workers compiled, target JIT-ed
  const plain: number[] = [];
  const seen: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [direct, watched] : [watched, direct];
    for (const run of order) {
      const rps = await run();
      (run === direct ? plain : seen).push(rps);
      console.log(`round ${round + 1} ${run === direct ? "direct " : "watched"} ${rps} req/s`);
    }
  }
  console.log(
    `median direct ${median(plain)} req/s, watched ${median(seen)} req/s: ratio ${
      (median(seen) / median(plain)).toFixed(3)
    } (${rounds} rounds of ${requests} requests, ${concurrency} connections)`,
  );
} finally {
  await context.close();
  await Deno.remove(profile, { recursive: true });
  target.kill();
  await reader.cancel();
  await target.status;
}
