// Copyright 2026 the Tandem authors. MIT license.
// End-to-end tests of the live dashboard in headless Chromium (see BROWSER_TESTS.md):
// live charts of a real runStress run against a target on 127.0.0.1, history across a
// restart with a history folder, compare, downloads, tables instead of charts, 375 px.

import { assert, assertEquals, assertMatch } from "@std/assert";
import type { BrowserContext, Page } from "playwright-core";
import { chromium, CHROMIUM_FLAGS, findChromium } from "./_playwright.ts";
import { serveGui } from "../../gui_web/gui_server.ts";
import { fakeStress } from "./_fake_stress.ts";

const BROWSER_TIMEOUT_MS = 90_000;

// The page functions below run in Chromium; Deno's type library has no DOM.
declare const document: {
  documentElement: { scrollWidth: number };
  querySelectorAll(selector: string): { length: number };
};
declare const globalThis: {
  tandemCharts: Record<string, { data: (number | null)[][] }>;
};

const chromiumPath = await findChromium();
if (chromiumPath === undefined) {
  console.warn(
    "gui_dashboard_e2e_test: SKIPPED: Chromium not found (install Debian's 'chromium' or set CHROMIUM)",
  );
}

async function browser(dir: string): Promise<{ context: BrowserContext; problems: string[] }> {
  const context = await chromium.launchPersistentContext(`${dir}/profile`, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 900 },
    timeout: BROWSER_TIMEOUT_MS,
    acceptDownloads: true,
  });
  const problems: string[] = [];
  context.on("page", (page) => watch(page, problems));
  for (const page of context.pages()) watch(page, problems);
  return { context, problems };
}

function watch(page: Page, problems: string[]): void {
  page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
}

/** Polls `check` until it answers true (waitForFunction is barred by the page's CSP). */
async function until(check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + BROWSER_TIMEOUT_MS;
  while (!await check()) {
    if (Date.now() > end) throw new Error("Timed out waiting for the page");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The x values and series of a chart, as drawn. */
function chartData(page: Page, name: string): Promise<(number | null)[][]> {
  return page.evaluate((chart) => globalThis.tandemCharts[chart].data, name);
}

Deno.test({
  name: "serveGui() page charts a run live, its target line included, before it ends",
  ignore: chromiumPath === undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tandem-gui-dash-" });
    await using target = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("ok\n"),
    );
    await using gui = serveGui({ port: 0 });
    const { context, problems } = await browser(dir);
    try {
      const page = context.pages()[0] ?? await context.newPage();
      await page.goto(gui.url);
      await page.getByLabel("URL", { exact: true }).fill(`http://127.0.0.1:${target.addr.port}/`);
      // A bad advanced field: its message shows next to it, the section opens, nothing starts.
      await page.getByText("Advanced").click();
      await page.getByLabel("Thresholds", { exact: true }).fill("p99<<5");
      await page.getByText("Advanced").click(); // closed again: the error must reopen it
      await page.getByRole("button", { name: "Submit", exact: true }).click();
      await page.locator("#thresholds-error").filter({ hasText: "threshold" }).waitFor();
      assertEquals(await page.locator("#advanced").getAttribute("open"), "");
      assertEquals(
        await page.getByLabel("Thresholds", { exact: true }).getAttribute("aria-invalid"),
        "true",
      );
      assertEquals(gui.stats.runs, 0);
      // Chromium logs the 400 answer as a console error: expected here only.
      problems.splice(0, problems.length, ...problems.filter((p) => !/status of 400/.test(p)));
      await page.getByLabel("Thresholds", { exact: true }).fill("p99<5s");
      // 8 s: a second's latency comes about 3 s after it ended, well before the end.
      await page.getByLabel("Duration (ms)", { exact: true }).fill("8000");
      await page.getByLabel("Rate (req/s)", { exact: true }).fill("200");
      await page.getByLabel("Concurrency", { exact: true }).fill("4");
      await page.getByRole("button", { name: "Submit", exact: true }).click();
      // Two whole seconds drawn while the status still says running.
      await until(async () => (await chartData(page, "rps"))[0].length >= 3);
      assertEquals(await page.locator("#status").textContent(), "running");
      const [, rates, , targets] = await chartData(page, "rps");
      assert(rates.some((rate) => (rate ?? 0) > 0), `live rates: ${rates}`);
      assert(targets.every((rate) => rate === 200), `target line: ${targets}`);
      // Latency per second and the histogram fill in while the run goes.
      await until(async () => (await chartData(page, "latency"))[0].length >= 1);
      await until(async () => (await chartData(page, "histogram"))[0].length >= 1);
      assertEquals(await page.locator("#status").textContent(), "running");
      const live = await chartData(page, "latency");
      assert(live[3].some((p99) => (p99 ?? 0) > 0), `live p99 per second: ${live[3]}`);
      // A reload reconnects without Last-Event-ID: the whole run so far comes back.
      await page.reload();
      await until(async () => (await chartData(page, "rps"))[0].length >= 3);
      await until(async () => (await chartData(page, "latency"))[0].length >= 1);
      await page.locator("#status").filter({ hasText: "done" }).waitFor();
      const latency = await chartData(page, "latency");
      assert(latency[3].some((p99) => (p99 ?? 0) > 0), `p99 per second: ${latency[3]}`);
      assertEquals(
        await page.locator("#threshold-results tbody td").last().textContent(),
        "passed",
      );
    } finally {
      await context.close();
      await Deno.remove(dir, { recursive: true });
    }
    assertEquals(problems, [], "the page logged no errors");
  },
});

Deno.test({
  name: "serveGui() page draws a ramp run's rising target line from its progress",
  ignore: chromiumPath === undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tandem-gui-dash-" });
    await using target = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("ok\n"),
    );
    await using gui = serveGui({ port: 0 });
    const { context, problems } = await browser(dir);
    try {
      const page = context.pages()[0] ?? await context.newPage();
      await page.goto(gui.url);
      await page.getByLabel("URL", { exact: true }).fill(`http://127.0.0.1:${target.addr.port}/`);
      await page.getByText("Advanced").click();
      // The CLI's syntax, checked by the CLI's parser: its message shows next to the field.
      await page.getByLabel("Rate (req/s)", { exact: true }).fill("40:200");
      await page.getByLabel("Duration (ms)", { exact: true }).fill("2100");
      await page.getByRole("button", { name: "Submit", exact: true }).click();
      await page.locator("#rate-error").filter({ hasText: "a ramp like 100:2000/30s" }).waitFor();
      problems.splice(0, problems.length, ...problems.filter((p) => !/status of 400/.test(p)));
      // From 40/s to 200/s over 2 s: each second's target is its own, not one rate.
      await page.getByLabel("Rate (req/s)", { exact: true }).fill("40:200/2s");
      await page.getByLabel("Concurrency", { exact: true }).fill("4");
      await page.getByRole("button", { name: "Submit", exact: true }).click();
      await until(async () => (await chartData(page, "rps"))[0].length >= 3);
      const live = (await chartData(page, "rps"))[3];
      assert(live.every((rate) => typeof rate === "number" && rate < 200.5), `live: ${live}`);
      assert((live[0] as number) < (live[1] as number), `a rising live target: ${live}`);
      await page.locator("#status").filter({ hasText: "done" }).waitFor();
      // The report's seconds: requests due by the schedule, (40+120)/2, (120+200)/2, 200/10
      // (the last, partial second lasts 0.1 s), the last repeated to close the step line.
      assertEquals((await chartData(page, "rps"))[3], [80, 160, 20, 20]);
    } finally {
      await context.close();
      await Deno.remove(dir, { recursive: true });
    }
    assertEquals(problems, [], "the page logged no errors");
  },
});

Deno.test({
  name: "serveGui() page keeps history across a restart, compares two runs, downloads one",
  ignore: chromiumPath === undefined,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "tandem-gui-dash-" });
    const history = `${dir}/runs`;
    const fake = fakeStress({ perTick: 100, tickMs: 10 });
    const { context, problems } = await browser(dir);
    try {
      const page = context.pages()[0] ?? await context.newPage();
      await t.step("two runs end up in the history folder", async () => {
        await using gui = serveGui({ port: 0, runStress: fake.runStress, historyDir: history });
        await page.goto(gui.url);
        for (const requests of ["300", "500"]) {
          await page.getByLabel("URL", { exact: true }).fill("http://127.0.0.1:9/");
          await page.getByLabel("Requests", { exact: true }).fill(requests);
          await page.getByRole("button", { name: "Submit", exact: true }).click();
          await page.locator("#status").filter({ hasText: "done" }).waitFor();
          await page.getByRole("button", { name: "Submit", exact: true }).waitFor();
        }
        await until(async () => (await page.locator("#history-table tbody tr").count()) === 2);
      });
      await t.step("a new server lists them; one opens", async () => {
        await using gui = serveGui({ port: 0, runStress: fake.runStress, historyDir: history });
        await page.goto(gui.url);
        await until(async () => (await page.locator("#history-table tbody tr").count()) === 2);
        await page.getByRole("button", { name: /^Open the run of / }).first().click();
        await page.locator("#report").waitFor({ state: "visible" });
        assertEquals(await page.locator("#completed").textContent(), "500 / 500");

        const download = page.waitForEvent("download");
        await page.getByRole("link", { name: "Download JSON" }).click();
        const saved = await download;
        assertMatch(saved.suggestedFilename(), /^stress-[0-9a-f-]{36}\.json$/);
        const report = JSON.parse(await Deno.readTextFile((await saved.path())!));
        assertEquals(report.requests, 500);
        const html = page.waitForEvent("download");
        await page.getByRole("link", { name: "Download HTML report" }).click();
        const page2 = await Deno.readTextFile((await (await html).path())!);
        assertMatch(page2, /^<!DOCTYPE html>/);

        // Compare from the keyboard: tick both boxes with Space, press the button with Enter.
        for (const box of await page.getByRole("checkbox").all()) {
          await box.focus();
          await page.keyboard.press("Space");
        }
        await page.getByRole("button", { name: "Compare selected" }).focus();
        await page.keyboard.press("Enter");
        await page.locator("#compare").waitFor({ state: "visible" });
        const rows = await page.locator("#compare-table tbody tr").allTextContents();
        assert(rows.some((row) => row.startsWith("req/s")), rows.join("\n"));
        const spectrum = await chartData(page, "spectrum");
        assertEquals(spectrum.length, 3);
        assert(spectrum[1].every((ms) => typeof ms === "number"), `${spectrum[1]}`);
      });
      await t.step("tables replace the charts, and the page fits 375 px", async () => {
        await page.getByRole("button", { name: "Show data as tables" }).focus();
        await page.keyboard.press("Enter");
        assertEquals(
          await page.getByRole("button", { name: "Show data as charts" }).getAttribute(
            "aria-pressed",
          ),
          "true",
        );
        await page.locator("#table-compare-rps").waitFor({ state: "visible" });
        await page.setViewportSize({ width: 375, height: 800 });
        await until(async () =>
          await page.evaluate(() => document.documentElement.scrollWidth) <= 375
        );
      });
    } finally {
      await context.close();
      await Deno.remove(dir, { recursive: true });
    }
    assertEquals(problems, [], "the page logged no errors");
  },
});
