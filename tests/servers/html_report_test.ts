// Copyright 2026 the Tandem authors. MIT license.

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
  assertStringIncludes,
} from "@std/assert";
import { renderHtmlReport } from "../../servers/_html_report.ts";
import { UPLOT_JS } from "../../servers/_uplot_asset.ts";
import { evaluateThresholds } from "../../servers/_thresholds.ts";
import { chromium, CHROMIUM_FLAGS, findChromium } from "../gui_web/_playwright.ts";
import { ASSET_PATH, buildUplotAsset } from "./_uplot_asset_build.ts";
import { closedReport, histogramOf, rateReport } from "./_stress_reports.ts";

const BROWSER_TIMEOUT_MS = 60_000;
const chromiumPath = await findChromium();
if (chromiumPath === undefined) {
  console.warn(
    "html_report_test: SKIPPED the Chromium test: Chromium not found (install Debian's 'chromium' or set CHROMIUM)",
  );
}

function richReport() {
  const report = rateReport();
  report.endpoints!["<script>alert(1)</script>"] = { ...report.endpoints!.home };
  return report;
}

Deno.test("servers/_uplot_asset.ts is what `deno task build:uplot` writes", async () => {
  const committed = await Deno.readTextFile(new URL(`../../${ASSET_PATH}`, import.meta.url));
  assert(committed === await buildUplotAsset(), "stale: run `deno task build:uplot`");
  assertNotMatch(UPLOT_JS, /<\/script/i);
});

Deno.test("renderHtmlReport() writes one file that loads nothing from elsewhere", () => {
  const report = closedReport();
  const html = renderHtmlReport(
    { ...report, failureReasons: [{ cause: "other", reason: "too many open files", count: 2 }] },
    { thresholds: evaluateThresholds(["p99<250ms", "errors<0.1%"], report) },
  );
  assertMatch(html, /^<!DOCTYPE html>/);
  // No external scripts, stylesheets, fonts, images or frames.
  assertNotMatch(html, /<(script|img|iframe|link)\b[^>]*\b(src|href)=/i);
  assertNotMatch(html, /@import|url\(/i);
  assertStringIncludes(html, "Content-Security-Policy");
  assertStringIncludes(html, "<code>p99&lt;250ms</code>");
  assertStringIncludes(html, "1 failed");
  assertStringIncludes(html, "http5xx");
  assertStringIncludes(html, "<td>too many open files</td>");
});

Deno.test("renderHtmlReport() escapes names and keeps embedded JSON inside its script", () => {
  const report = richReport();
  report.url = "http://127.0.0.1/</script><b>x";
  const html = renderHtmlReport(report);
  assertStringIncludes(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
  assertNotMatch(html, /<script>alert/);
  assertNotMatch(html, /<\/script><b>/);
  assertStringIncludes(html, "Endpoints (slowest first)");
  assertStringIncludes(html, "Service time");
  assertStringIncludes(html, "15 requests sent over 1 ms after their intended start");
});

Deno.test({
  name: "renderHtmlReport() page opens in headless Chromium with its charts and no console errors",
  ignore: chromiumPath === undefined,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "tandem-html-report-" });
    const context = await chromium.launchPersistentContext(`${dir}/profile`, {
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1100, height: 900 },
      timeout: BROWSER_TIMEOUT_MS,
    });
    try {
      const page = context.pages()[0] ?? await context.newPage();
      page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
      const problems: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") {
          problems.push(`${m.type()}: ${m.text()}`);
        }
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("request", (request) => requests.push(request.url()));

      const open = async (name: string, html: string): Promise<string> => {
        const path = `${dir}/${name}.html`;
        await Deno.writeTextFile(path, html);
        const url = `file://${path}`;
        requests.length = 0;
        await page.goto(url);
        await page.locator("body[data-charts='4']").waitFor();
        return url;
      };
      const canvases = (): Promise<number[][]> =>
        page.evaluate(
          `[...document.querySelectorAll(".uplot canvas")].map((c) => [c.width, c.height])`,
        );

      await t.step("a rate run with endpoints, thresholds and an exact spectrum", async () => {
        const report = richReport();
        const values = Array.from({ length: 2000 }, (_, i) => 300 + i * 50);
        const url = await open(
          "rate",
          renderHtmlReport(report, {
            thresholds: evaluateThresholds(["p99<300ms", "service:p99<2ms"], report),
            latencyHistogram: histogramOf(values),
            serviceHistogram: histogramOf(values.map((v) => v / 10)),
          }),
        );
        assertEquals(requests, [url]);
        const sizes = await canvases();
        assertEquals(sizes.length, 4);
        for (const [w, h] of sizes) assert(w > 300 && h > 100, `canvas ${w}×${h}`);
        assertEquals(await page.locator("#thresholds .fail").count(), 2);
        assertEquals(await page.locator("#endpoints tbody tr").count(), 3);
        assertEquals(await page.locator(".uplot .u-title").allTextContents(), [
          "Latency by percentile",
          "Latency histogram",
          "Requests per second",
          "Latency per second",
        ]);
        // The legend of the throughput chart lists the target rate of a rate run.
        assertStringIncludes(
          (await page.locator(".uplot").nth(2).locator(".u-legend").textContent()) ?? "",
          "target req/s",
        );
        assertEquals(problems, []);
      });

      await t.step("a closed run without endpoints, and an empty run", async () => {
        const url = await open("closed", renderHtmlReport(closedReport()));
        assertEquals(requests, [url]);
        assertEquals(await page.locator("#endpoints").count(), 0);
        assertEquals((await canvases()).length, 4);
        const empty = closedReport();
        Object.assign(empty, { requests: 0, successes: 0, rps: 0, timeline: [], histogram: [] });
        empty.statusCodes = {};
        empty.failures = { ...empty.failures, timeout: 0, reset: 0, http4xx: 0, http5xx: 0 };
        const path = `${dir}/empty.html`;
        await Deno.writeTextFile(path, renderHtmlReport(empty));
        await page.goto(`file://${path}`);
        await page.locator("body[data-charts='1']").waitFor(); // only the spectrum has data
        assertEquals(await page.locator("#chart-rps").textContent(), "No data.");
        assertEquals(problems, []);
      });
    } finally {
      await context.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
