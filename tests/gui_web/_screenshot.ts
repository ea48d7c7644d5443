// Copyright 2026 the Tandem authors. MIT license.
// Makes the screenshot of the live dashboard in docs/gui.md (not a test):
//
//   deno run --allow-read --allow-write --allow-env --allow-sys --allow-run \
//     --allow-net=127.0.0.1 tests/gui_web/_screenshot.ts docs/images/gui-live.png
//
// It serves the GUI and a small target on 127.0.0.1 whose latency varies, starts a 12 s run
// whose rate ramps from 100 to 600 req/s over 8 s through the page in headless Chromium,
// and saves a PNG of the page 7 s in, while the charts are filling.

import { chromium, CHROMIUM_FLAGS, findChromium } from "./_playwright.ts";
import { serveGui } from "../../gui_web/gui_server.ts";

const out = Deno.args[0] ?? "docs/images/gui-live.png";
const executablePath = await findChromium();
if (executablePath === undefined) {
  console.error("screenshot: Chromium not found (install Debian's 'chromium' or set CHROMIUM)");
  Deno.exit(1);
}
let served = 0;
await using target = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  async () => {
    // A few milliseconds of made-up work, more every fiftieth request: a latency spread.
    const wait = ++served % 50 === 0 ? 25 : 1 + (served % 7);
    await new Promise((resolve) => setTimeout(resolve, wait));
    return new Response("hello from the target\n");
  },
);
await using gui = serveGui({ port: 0 });
const profile = await Deno.makeTempDir({ prefix: "tandem-gui-shot-" });
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: CHROMIUM_FLAGS,
  viewport: { width: 1100, height: 900 },
});
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto(gui.url);
  await page.getByLabel("URL", { exact: true }).fill(`http://127.0.0.1:${target.addr.port}/`);
  await page.getByLabel("Concurrency", { exact: true }).fill("16");
  await page.getByText("Advanced").click();
  await page.getByLabel("Duration (ms)", { exact: true }).fill("12000");
  await page.getByLabel("Rate (req/s)", { exact: true }).fill("100:600/8s");
  await page.getByText("Advanced").click();
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  await new Promise((resolve) => setTimeout(resolve, 7_000));
  await page.screenshot({ path: out, fullPage: true });
  await page.locator("#status").filter({ hasText: "done" }).waitFor();
  console.log(`screenshot: wrote ${out}`);
} finally {
  await context.close();
  await Deno.remove(profile, { recursive: true });
}
