// Copyright 2026 the Tandem authors. MIT license.
// End-to-end test of the GUI in real headless Chromium (see BROWSER_TESTS.md), driving the
// real `runStress` against a target this test starts on 127.0.0.1.
// The README's screenshot is made by `_screenshot.ts` beside this file.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { chromium, CHROMIUM_FLAGS, findChromium } from "./_playwright.ts";
import type { Page } from "playwright-core";
import { Buffer } from "node:buffer";
import { serveGui, type StressRunner } from "../../gui_web/gui_server.ts";

const BROWSER_TIMEOUT_MS = 90_000;
const encode = (text: string) => Buffer.from(text);

// The page functions below run in Chromium; Deno's type library has no DOM, so declare the
// little of it they use.
interface PageProgress {
  value: number;
  max: number;
}
interface PageCanvas {
  width: number;
  height: number;
  clientWidth: number;
  getContext(kind: "2d"): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}
declare const document: {
  querySelector(selector: "progress"): PageProgress;
  getElementById(id: string): PageCanvas;
  documentElement: { scrollWidth: number };
  activeElement: { id: string } | null;
};
declare const window: { scrollTo(x: number, y: number): void; devicePixelRatio: number };
declare const location: { hash: string };

const chromiumPath = await findChromium();
if (chromiumPath === undefined) {
  console.warn(
    "gui_e2e_test: SKIPPED: Chromium not found (install Debian's 'chromium' or set CHROMIUM)",
  );
}

/**
 * A target on 127.0.0.1 that answers the first `free` requests at once and holds every
 * later one until `open()` is called, so the test can see a run midway without timing.
 */
/** The progress bar's value and max. */
function progressValue(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const bar = document.querySelector("progress");
    return [bar.value, bar.max];
  });
}

/**
 * Resolves once the bar's max is `max` and its value is in [low, high]. Polls with
 * page.evaluate: page.waitForFunction compiles its predicate with `new Function`, which the
 * page's Content-Security-Policy (rightly) forbids.
 */
async function progressBetween(page: Page, max: number, low: number, high: number) {
  const end = Date.now() + BROWSER_TIMEOUT_MS;
  while (true) {
    const [value, limit] = await progressValue(page);
    if (limit === max && value >= low && value <= high) return;
    if (Date.now() > end) {
      throw new Error(
        `Progress stayed at ${value} of ${limit}: expected ${low}..${high} of ${max}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Each chart canvas's drawn width and the width its box asks for, in device pixels. */
function canvasWidths(page: Page): Promise<{ drawn: number; box: number }[]> {
  return page.evaluate(() =>
    ["histogram-chart", "timeline-chart"].map((id) => {
      const canvas = document.getElementById(id);
      return {
        drawn: canvas.width,
        box: Math.round(canvas.clientWidth * window.devicePixelRatio),
      };
    })
  );
}

/** Polls `check` until it answers true, failing after the browser timeout. */
async function until(check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + BROWSER_TIMEOUT_MS;
  while (!await check()) {
    if (Date.now() > end) throw new Error("Timed out waiting for the page");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function gatedTarget(free: number) {
  let served = 0;
  const gate = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
    if (++served > free) await gate.promise;
    return new Response("hello from the target\n");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    open: () => gate.resolve(),
    async [Symbol.asyncDispose]() {
      gate.resolve();
      await server.shutdown();
    },
  };
}

Deno.test({
  name: "serveGui() page runs, reports and cancels in headless Chromium",
  ignore: chromiumPath === undefined,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "tandem-gui-e2e-" });
    const profile = `${dir}/profile`;
    await using gui = serveGui({ port: 0 });
    await using first = gatedTarget(300);
    await using second = gatedTarget(200);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1100, height: 900 },
      timeout: BROWSER_TIMEOUT_MS,
    });
    const problems: string[] = [];
    try {
      const watch = (page: Page) => {
        page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
        page.on("console", (message) => {
          if (message.type() === "error") problems.push(`console: ${message.text()}`);
        });
        page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
        return page;
      };
      const page = watch(context.pages()[0] ?? await context.newPage());
      await page.goto(gui.url);
      const submit = page.getByRole("button", { name: "Submit", exact: true });
      const cancel = page.getByRole("button", { name: "Cancel", exact: true });
      await t.step("an invalid field shows the API's error next to it", async () => {
        await page.getByLabel("URL", { exact: true }).fill("ftp://127.0.0.1/");
        // Chromium logs a 4xx answer to fetch as a console error: expected here only.
        const logged = page.waitForEvent("console", {
          predicate: (message) => message.type() === "error",
        });
        await submit.click();
        await page.locator("#url-error").filter({ hasText: "http or https" }).waitFor();
        assertEquals(
          await page.getByLabel("URL", { exact: true }).getAttribute("aria-invalid"),
          "true",
        );
        assertMatch((await logged).text(), /status of 400/);
        assertEquals(problems.length, 1, problems.join("\n"));
        problems.length = 0;
      });

      await t.step("a run moves the progress bar to the end and shows the report", async () => {
        await page.getByLabel("URL", { exact: true }).fill(first.url);
        await page.getByLabel("Requests", { exact: true }).fill("2000");
        await page.getByLabel("Concurrency", { exact: true }).fill("8");
        await submit.click();
        await cancel.waitFor();
        assertEquals(await page.locator("#url-error").textContent(), "");
        // The target holds requests after the first 300: the bar stops midway.
        await progressBetween(page, 2000, 250, 1999);
        const [midway, max] = await progressValue(page);
        assert(midway > 0 && midway < max, `midway ${midway} of ${max}`);
        assertEquals(await page.locator("#status").textContent(), "running");
        // A second tab opened on the run's link watches the same run.
        const hash = await page.evaluate(() => location.hash);
        assertMatch(hash, /^#run=[0-9a-f-]{36}$/);
        const tab = watch(await context.newPage());
        await tab.goto(gui.url + hash);
        await progressBetween(tab, 2000, 250, 1999);
        assertEquals(gui.stats.watchers, 2);
        first.open();
        await progressBetween(page, 2000, 2000, 2000);
        await page.locator("#report").waitFor({ state: "visible" });
        await submit.waitFor();
        assertEquals(await page.locator("#status").textContent(), "done");
        assertEquals(await page.locator("#completed").textContent(), "2,000 / 2,000");
        await tab.locator("#status").filter({ hasText: "done" }).waitFor();
        assertEquals(await tab.locator("#completed").textContent(), "2,000 / 2,000");
        await tab.close();
        const codes = await page.locator("#status-codes tbody").textContent();
        assertMatch(codes ?? "", /200/);
        const latency = await page.locator("#latency tbody td").allTextContents();
        assertEquals(latency.length, 7);
        for (const cell of latency) assertMatch(cell, /^[\d.,]+$/);
        // Count the accent-blue pixels each chart drew.
        const inked = await page.evaluate(() =>
          ["histogram-chart", "timeline-chart"].map((id) => {
            const canvas = document.getElementById(id);
            const context = canvas.getContext("2d");
            const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
            let blue = 0;
            for (let i = 0; i < pixels.length; i += 4) {
              if (pixels[i + 2] > 200 && pixels[i] < 120 && pixels[i + 3] > 0) blue++;
            }
            return blue;
          })
        );
        assert(inked.every((count) => count > 50), `charts drawn: ${inked}`);
        await page.evaluate(() => window.scrollTo(0, 0));
        const shot = `${dir}/gui.png`;
        await page.screenshot({ path: shot, fullPage: true });
        assert((await Deno.stat(shot)).size > 1000);
      });

      await t.step("a narrow window redraws the charts at their new size", async () => {
        const wide = await canvasWidths(page);
        await page.setViewportSize({ width: 360, height: 800 });
        await until(async () => {
          const [histogram, timeline] = await canvasWidths(page);
          return histogram.drawn === histogram.box && timeline.drawn === timeline.box &&
            histogram.box < wide[0].box;
        });
        assertEquals(await page.evaluate(() => document.documentElement.scrollWidth), 360);
        await page.setViewportSize({ width: 1100, height: 900 });
      });

      await t.step("a run cancelled midway shows cancelled", async () => {
        await page.getByLabel("URL", { exact: true }).fill(second.url);
        await page.getByLabel("Requests", { exact: true }).fill("5000");
        // From the keyboard: the button keeps the focus, so Enter can press Cancel next.
        await submit.focus();
        await page.keyboard.press("Enter");
        await cancel.waitFor();
        assertEquals(await page.evaluate(() => document.activeElement?.id), "submit");
        await progressBetween(page, 5000, 150, 4999);
        // A refused DELETE leaves the run going, shows why, and offers Cancel again.
        await page.route(
          "**/api/runs/*",
          (route) =>
            route.request().method() === "DELETE"
              ? route.fulfill({
                status: 503,
                contentType: "application/json",
                body: JSON.stringify({ error: "Cannot cancel: test says no" }),
              })
              : route.continue(),
        );
        await cancel.click();
        await page.locator("#form-error").filter({ hasText: "test says no" }).waitFor();
        await cancel.waitFor();
        assertEquals(await cancel.getAttribute("aria-disabled"), null, "Cancel is offered again");
        assertEquals(await page.locator("#status").textContent(), "running");
        await page.unroute("**/api/runs/*");
        // Chromium logs the refused DELETE as a console error: expected here only.
        const others = problems.filter((problem) => !/status of 503/.test(problem));
        problems.splice(0, problems.length, ...others);
        await page.keyboard.press("Enter");
        await page.locator("#status").filter({ hasText: "cancelled" }).waitFor();
        await submit.waitFor();
        const [value, max] = await progressValue(page);
        assert(value < max, `a cancelled run stops short: ${value} of ${max}`);
        assertEquals(gui.stats.activeRuns, 0);
      });
    } finally {
      await context.close();
      await Deno.remove(dir, { recursive: true });
    }
    assertEquals(problems, [], "the page logged no errors");
    assertEquals(gui.stats.watchers, 0);
  },
});

Deno.test({
  name: "serveGui() page names the URL tested and draws the last, partial second to scale",
  ignore: chromiumPath === undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tandem-gui-e2e-" });
    // A stand-in run of 1.5 s at a steady 1,000 req/s: its second second is half run.
    const templates: unknown[] = [];
    const runStress: StressRunner = (options) => {
      if (options.templates !== undefined) templates.push(options.templates);
      return Promise.resolve({
        url: String(options.url),
        method: "GET",
        concurrency: 1,
        workers: 1,
        pipeline: 1,
        rate: null,
        requests: 1500,
        successes: 1500,
        failures: {
          timeout: 0,
          refused: 0,
          reset: 0,
          protocol: 0,
          http4xx: 0,
          http5xx: 0,
          other: 0,
        },
        inFlight: 0,
        statusCodes: { "200": 1500 },
        rps: 1000,
        bytesPerSecond: 100_000,
        durationMs: 1500,
        latencyMs: { min: 0.1, mean: 0.5, p50: 0.4, p90: 0.8, p99: 1.5, p999: 2, max: 2.5 },
        timeline: [
          { second: 0, completed: 1000, failures: 0, p99: 1.5 },
          { second: 1, completed: 500, failures: 0, p99: 1.5 },
        ],
        startTime: new Date(0).toISOString(),
        endTime: new Date(1500).toISOString(),
        cancelled: false,
        histogram: [{ fromMs: 0, toMs: 1, count: 1500 }],
        ...(options.templates && {
          endpoints: Object.fromEntries(options.templates.map((t, i) => [t.name, {
            requests: 750,
            successes: 750,
            failures: 0,
            statusCodes: { "200": 750 },
            latencyMs: { min: 0.1, mean: 0.5, p50: 0.4, p90: 0.8, p99: 1 + i, p999: 2, max: 2.5 },
          }])),
        }),
      });
    };
    await using gui = serveGui({ port: 0, runStress });
    const context = await chromium.launchPersistentContext(`${dir}/profile`, {
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1100, height: 900 },
      timeout: BROWSER_TIMEOUT_MS,
    });
    const problems: string[] = [];
    try {
      const page = context.pages()[0] ?? await context.newPage();
      page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      await page.goto(gui.url);
      await page.getByLabel("URL", { exact: true }).fill("http://127.0.0.1:9/tested?q=1");
      await page.getByRole("button", { name: "Submit", exact: true }).click();
      await page.locator("#report").waitFor({ state: "visible" });
      assertEquals(
        await page.locator("#report-url").textContent(),
        "GET http://127.0.0.1:9/tested?q=1",
      );
      assertMatch(await page.locator("#timeline-note").textContent() ?? "", /final 0\.50 s/);
      // The top row of accent blue in each column: both seconds ran at 1,000 req/s, so
      // both bars reach the same height (the partial one used to be drawn half as high).
      const tops = await page.evaluate(() => {
        const canvas = document.getElementById("timeline-chart");
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height)
          .data;
        const found: number[] = [];
        for (let x = 0; x < canvas.width; x++) {
          for (let y = 0; y < canvas.height; y++) {
            const i = (y * canvas.width + x) * 4;
            if (pixels[i + 2] > 200 && pixels[i] < 120 && pixels[i + 3] > 0) {
              found.push(y);
              break;
            }
          }
        }
        return found;
      });
      assert(tops.length > 50, `bars drawn: ${tops.length} columns`);
      const spread = Math.max(...tops) - Math.min(...tops);
      assert(spread <= 2, `bar tops from ${Math.min(...tops)} to ${Math.max(...tops)}`);

      // A requests file, from the keyboard: Advanced opens with Enter; a bad file is marked
      // next to its field with the CLI parser's message; a good one runs its endpoints.
      await page.locator("#advanced summary").focus();
      await page.keyboard.press("Enter");
      const file = page.getByLabel("Requests file", { exact: true });
      const upload = (name: string, text: string) =>
        file.setInputFiles({ name, mimeType: "application/json", buffer: encode(text) });
      await upload("bad.jsonl", '{"url":"/a"}\n{"url":"/b","weight":0}\n');
      const logged = page.waitForEvent("console", {
        predicate: (message) => message.type() === "error",
      });
      await page.getByRole("button", { name: "Submit", exact: true }).click();
      await page.locator("#requestsFile-error")
        .filter({ hasText: "Cannot read 'bad.jsonl' as line 2 'weight' must be a positive" })
        .waitFor();
      assertEquals(await file.getAttribute("aria-invalid"), "true");
      assertMatch((await logged).text(), /status of 400/);
      problems.length = 0;
      await upload("site.jsonl", '{"name":"home","url":"/"}\n{"url":"/api?x=1"}\n');
      await page.getByRole("button", { name: "Submit", exact: true }).click();
      await page.locator("#endpoints tbody tr").nth(1).waitFor();
      assertEquals(await page.locator("#endpoints tbody td:first-child").allTextContents(), [
        "GET /api?x=1",
        "home",
      ]);
      assertEquals(templates.length, 1);
      // The chosen file goes away from the keyboard too.
      await page.getByRole("button", { name: "Remove requests file" }).focus();
      await page.keyboard.press("Enter");
      assertEquals(await file.evaluate((input) => (input as { value: string }).value), "");
    } finally {
      await context.close();
      await Deno.remove(dir, { recursive: true });
    }
    assertEquals(problems, [], "the page logged no errors");
  },
});
