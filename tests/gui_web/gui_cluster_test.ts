// Copyright 2026 the Tandem authors. MIT license.
// `deno task gui --cluster local --agents 1`: the task's own command line starts itself
// again with the coordinator's grants, starts redis-server and one agent, and the run
// goes to the agent; the page shows the agents table. Then the cluster flags' bad input.

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { HAVE_REDIS } from "../cluster/_helpers.ts";
import { within } from "./_sse.ts";
import { chromium, CHROMIUM_FLAGS, findChromium } from "./_playwright.ts";

const ROOT = new URL("../../", import.meta.url);

async function taskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  return (config.tasks.gui as string).split(/\s+/).slice(1);
}

function spawnGui(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function readUntil(reader: ReadableStreamDefaultReader<string>, pattern: RegExp) {
  let seen = "";
  while (true) {
    const { done, value } = await within(reader.read());
    if (done) throw new Error(`Output ended before ${pattern}: '${seen}'`);
    seen += value;
    const match = pattern.exec(seen);
    if (match !== null) return { match, seen };
  }
}

const chromiumPath = await findChromium();
if (chromiumPath === undefined) {
  console.warn("gui_cluster_test: page run SKIPPED: Chromium not found (install 'chromium')");
}

Deno.test({
  name: "gui_cli --cluster local sends runs to the agents and lists them",
  ignore: !HAVE_REDIS || chromiumPath === undefined || Deno.build.os === "windows",
  async fn() {
    await using target = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("ok"),
    );
    const child = spawnGui([
      ...await taskArgs(),
      "--port",
      "0",
      "--cluster",
      "local",
      "--agents",
      "1",
    ]);
    const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const errors = Array.fromAsync(child.stderr.pipeThrough(new TextDecoderStream()));
    try {
      const { match } = await readUntil(stdout, /open (http:\/\/127\.0\.0\.1:(\d+)\/)/);
      const url = match[1];
      const page = await (await fetch(url)).text();
      assertMatch(page, /Runs go to 1 agent through <code>redis:\/\/127\.0\.0\.1:\d+<\/code>/);
      assertStringIncludes(page, '<div class="scroll" id="agents-box"><table id="agents-table">');
      await pageRun(url, `http://127.0.0.1:${target.addr.port}/`);
      // The run the page started, as the history keeps it: the agent's share is all of it.
      const { runs } = await (await fetch(new URL("/api/history", url))).json();
      assertEquals(runs.length, 1);
      const report = await (await fetch(new URL(`/api/history/${runs[0].id}`, url))).json();
      assert(report.requests > 0);
      assertEquals(report.agents.length, 1);
      assertEquals(report.agents[0].requests, report.requests);
      assertEquals(report.agents[0].lost, false);
      child.kill("SIGINT");
      await readUntil(stdout, /Tandem GUI: stopped/);
      assertEquals((await within(child.status)).code, 0);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
      await stdout.cancel().catch(() => {});
    }
    assertEquals((await errors).join(""), "");
  },
});

/** The page's own run: the agents table lists the agent once the run is done. */
async function pageRun(url: string, targetUrl: string): Promise<void> {
  const profile = await Deno.makeTempDir({ prefix: "tandem-gui-cluster-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  const problems: string[] = [];
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(60_000);
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(url);
    await page.getByLabel("URL", { exact: true }).fill(targetUrl);
    await page.getByText("Advanced").click();
    await page.getByLabel("Duration (ms)", { exact: true }).fill("1000");
    await page.getByRole("button", { name: "Submit", exact: true }).click();
    // Live: the agent's row, from the coordinator's progress, while the run goes.
    await page.locator("#agents-table tbody tr").filter({ hasText: "running" }).waitFor();
    assertEquals(await page.locator("#status").textContent(), "running");
    await page.locator("#status").filter({ hasText: "done" }).waitFor();
    const rows = await page.locator("#agents-table tbody tr").allTextContents();
    assertEquals(rows.length, 1, rows.join("\n"));
    assertMatch(rows[0], /done.*no$/);
  } finally {
    await context.close();
    await Deno.remove(profile, { recursive: true });
  }
  assertEquals(problems, []);
}

Deno.test("gui_cli refuses bad cluster flags with exit code 2, one line and the usage", async (t) => {
  const cases: [string[], string][] = [
    [["--agents", "2"], "Cannot serve as '--agents' needs '--cluster'"],
    [["--cluster", "local"], "Cannot serve as '--cluster' needs '--agents N'"],
    [
      ["--cluster", "local", "--agents", "0"],
      "Cannot serve as '--agents' must be an integer from 1 to 1000: received '0'",
    ],
    [
      ["--cluster", "http://127.0.0.1:6379", "--agents", "1"],
      "Cannot serve as '--cluster' must be a redis:// URL or 'local': received 'http://127.0.0.1:6379'",
    ],
  ];
  const args = await taskArgs();
  for (const [flags, message] of cases) {
    await t.step(flags.join(" "), async () => {
      const child = spawnGui([...args, "--port", "0", ...flags]);
      const [status, stdout, stderr] = await Promise.all([
        child.status,
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      assertEquals(status.code, 2);
      assertEquals(stdout, "");
      assertStringIncludes(stderr, `gui: ${message}\n`);
    });
  }
});

Deno.test("gui_cli --cluster local without redis-server on PATH says so in one line and exits 2", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...await taskArgs(), "--port", "0", "--cluster", "local", "--agents", "1"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", PATH: "/nonexistent" },
  }).spawn();
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  assertEquals(status.code, 2, stderr);
  assertEquals(stdout, "");
  assertStringIncludes(
    stderr,
    "gui: Cannot start a local Redis as 'redis-server' is not on PATH: install redis-server",
  );
  assert(!stderr.includes("Uncaught"), stderr);
});
