// Copyright 2026 the Tandem authors. MIT license.
// `deno task stress` in CI (issue 19) through the CLI against loopback targets this file
// starts: thresholds of each kind passing and failing, exit codes and their precedence,
// --abort-on-fail, the --out, --csv, --html and --hdr-log files, and `stress compare`.

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import type { StressReport } from "../../servers/stress.ts";
import type { ThresholdResult } from "../../servers/_thresholds.ts";
import { CSV_COLUMNS } from "../../servers/_csv_report.ts";
import { raw, startRawTarget } from "./stress_targets.ts";
import { decodeFromCompressedBase64 } from "hdr-histogram-js";
import { chromium, CHROMIUM_FLAGS, findChromium } from "../gui_web/_playwright.ts";

const BROWSER_TIMEOUT_MS = 60_000;
const chromiumPath = await findChromium();
if (chromiumPath === undefined) {
  console.warn(
    "stress_ci_test: SKIPPED the Chromium test: Chromium not found (install Debian's 'chromium' or set CHROMIUM)",
  );
}

const ROOT = new URL("../../", import.meta.url);
const NET = "--allow-net=127.0.0.1,localhost,[::1]";
const HINT = "Run 'deno task stress --help' for usage.";

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with the stress task's grants plus read and write for `dir`, if given. */
async function cli(args: string[], dir?: string): Promise<Output> {
  const permissions = dir === undefined
    ? [NET, "--allow-read=servers,sync"]
    : [NET, `--allow-read=servers,sync,${dir}`, `--allow-write=${dir}`];
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, "servers/stress_cli.ts", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** A target whose every tenth request (0, 10, 20, …) gets a 500. */
function tenthFails() {
  return startRawTarget((i) =>
    i % 10 === 0 ? raw("HTTP/1.1 500 Oops\nContent-Length: 0\n\n") : "respond"
  );
}

function thresholdsOf(stdout: string): ThresholdResult[] {
  return (JSON.parse(stdout) as StressReport & { thresholds: ThresholdResult[] }).thresholds;
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-stress-ci-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// 200 requests, 20 of them 500s: each kind below holds in PASS and breaks in FAIL.
const PASS = [
  "p50<5s",
  "p99<=5000ms",
  "p99.9<5s",
  "p95<5s",
  "min>=0us",
  "mean<5s",
  "max<10s",
  "errors<=20",
  "errors<10.5%",
  "status5xx==20",
  "status500<=10%",
  "status2xx>=180",
  "status404==0",
  "requests==200",
  "rps>1",
];
const FAIL = [
  "p50<1us",
  "p99<=1us",
  "p99.9<1us",
  "p95<1us",
  "min>60s",
  "mean<1us",
  "max<1us",
  "errors<20",
  "errors<9.5%",
  "status5xx==0",
  "status500<=9%",
  "status2xx>180",
  "status404!=0",
  "requests<200",
  "rps>100000000",
];

Deno.test("stress_cli --threshold passes and fails each kind, and says so per line", async (t) => {
  const flags = (list: string[]) => list.flatMap((e) => ["--threshold", e]);
  await t.step("all hold: exit 0 although 20 requests failed", async () => {
    await using target = tenthFails();
    const run = await cli([target.url, "-n", "200", "-c", "2", "-w", "1", ...flags(PASS)]);
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(run.stdout, "\nThresholds\n");
    for (const expression of PASS) assertMatch(run.stdout, new RegExp(`✓ ${escape(expression)}`));
    assertEquals(run.stdout.includes("FAILED"), false);
  });
  await t.step("all break: exit 3, each FAILED with its actual value, in the JSON", async () => {
    await using target = tenthFails();
    const run = await cli([
      target.url,
      "-n",
      "200",
      "-c",
      "2",
      "-w",
      "1",
      "--json",
      ...flags(FAIL),
    ]);
    assertEquals(run.code, 3, run.stderr);
    const results = thresholdsOf(run.stdout);
    assertEquals(results.map((r) => r.expression), FAIL);
    for (const r of results) assertEquals(r.ok, false, r.expression);
    const byName = Object.fromEntries(results.map((r) => [r.expression, r]));
    assertEquals(byName["errors<20"].actual, 20);
    assertEquals(byName["errors<9.5%"].actual, 10);
    assertEquals(byName["status5xx==0"].actual, 20);
    assertEquals(byName["status2xx>180"].actual, 180);
    assertEquals(byName["requests<200"].actual, 200);
    assertEquals(byName["p99<=1us"], { ...byName["p99<=1us"], metric: "p99", unit: "ms" });
  });
  await t.step("the terminal report shows one line per threshold", async () => {
    await using target = tenthFails();
    const run = await cli([
      target.url,
      "-n",
      "200",
      "-c",
      "2",
      "--threshold",
      "errors<20",
      "--threshold",
      "requests==200",
    ]);
    assertEquals(run.code, 3);
    assertStringIncludes(run.stdout, "Thresholds\n  ✗ errors<20      errors = 20  FAILED\n");
    assertStringIncludes(run.stdout, "  ✓ requests==200  requests = 200\n");
    assertStringIncludes(run.stderr, "stress: 1 of 2 thresholds failed (exit code 3)");
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test("stress_cli exit codes: 2 before any traffic, 1 without any response, 3 over 1", async (t) => {
  await t.step(
    "a bad threshold or one the run cannot measure: 2, one line, nothing sent",
    async () => {
      await using target = startRawTarget();
      const cases: [string[], string][] = [
        [["--threshold", "latency<3ms"], "'latency' is not a metric"],
        [["--threshold", "p99"], "it has no operator"],
        [["--threshold", "rps<5ms"], "'rps' must be compared with requests per second"],
        [["--threshold", "service:p99<1s"], "it needs a run with a rate (--rate)"],
        [["--threshold", "late<1%"], "it needs a run with a rate (--rate)"],
        [["--threshold", "endpoint:home:p99<1s"], "the run has no endpoint 'home'"],
        [["--threshold", "p99<+10%"], "use it with 'stress compare'"],
        [["--abort-on-fail"], "it needs a '--threshold'"],
        [["--out", "a.json", "--csv", "a.json"], "'--out' writes to 'a.json' already"],
        [["--threshold"], "'--threshold' as it has no value"],
      ];
      for (const [args, part] of cases) {
        const run = await cli([target.url, "-n", "5", ...args]);
        assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
        assertEquals(run.stdout, "");
        const lines = run.stderr.trimEnd().split("\n");
        assertEquals(lines.length, 2, run.stderr);
        assertMatch(lines[0], /^stress: Cannot /);
        assertStringIncludes(lines[0], part);
        assertEquals(lines[1], HINT);
      }
      assertEquals(target.received(), 0);
    },
  );
  await t.step("an output file without write permission: 2, naming the grant", async () => {
    await using target = startRawTarget();
    const run = await cli([target.url, "-n", "5", "--out", "/tmp/x.json", "--html", "/tmp/x.html"]);
    assertEquals(run.code, 2);
    assertEquals(
      run.stderr,
      "stress: Cannot write '--out' file '/tmp/x.json' as write permission is missing: " +
        `run with --allow-write=/tmp/x.json,/tmp/x.html\n${HINT}\n`,
    );
    assertEquals(target.received(), 0);
  });
  await t.step("an output file in a missing folder: 2, nothing sent", async () => {
    await using target = startRawTarget();
    await withDir(async (dir) => {
      const run = await cli([target.url, "-n", "5", "--csv", `${dir}/no/such.csv`], dir);
      assertEquals(run.code, 2);
      assertMatch(run.stderr, /^stress: Cannot write '--csv' file '.*no\/such\.csv': /);
    });
    assertEquals(target.received(), 0);
  });
  await t.step("no response at all exits 1 even when thresholds would say 3", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const run = await cli([
      `http://127.0.0.1:${port}/`,
      "-n",
      "5",
      "-c",
      "1",
      "--threshold",
      "errors<1",
    ]);
    assertEquals(run.code, 1, run.stderr);
    assertStringIncludes(run.stdout, "✗ errors<1");
    assertStringIncludes(run.stderr, "no response at all to 5 requests (exit code 1)");
  });
  await t.step("failures the thresholds allow exit 0; without thresholds 1", async () => {
    await using target = tenthFails();
    const judged = await cli([target.url, "-n", "100", "-c", "2", "--threshold", "errors<=11%"]);
    assertEquals(judged.code, 0, judged.stderr);
    const unjudged = await cli([target.url, "-n", "100", "-c", "2"]);
    assertEquals(unjudged.code, 1);
  });
});

Deno.test("stress_cli --abort-on-fail stops once a count can no longer pass", async () => {
  await using target = startRawTarget(() => raw("HTTP/1.1 503 Busy\nContent-Length: 0\n\n"));
  await withDir(async (dir) => {
    const run = await cli([
      target.url,
      "-d",
      "60s",
      "-c",
      "2",
      "--threshold",
      "errors<5",
      "--threshold",
      "p99<5s",
      "--abort-on-fail",
      "--out",
      `${dir}/r.json`,
    ], dir);
    assertEquals(run.code, 3, run.stderr);
    assertStringIncludes(run.stdout, "Stopped early (--abort-on-fail)");
    assertStringIncludes(
      run.stderr,
      "stress: stopped early as 'errors<5' can no longer pass (--abort-on-fail)",
    );
    const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`)) as StressReport & {
      thresholds: ThresholdResult[];
    };
    assertEquals(report.cancelled, true);
    // The run would last 60 s; the broken count stopped it well before.
    assert(report.durationMs < 60_000, String(report.durationMs));
    assertEquals(report.thresholds.map((r) => [r.expression, r.ok]), [
      ["errors<5", false],
      ["p99<5s", true],
    ]);
  });
});

Deno.test("stress_cli --abort-on-fail stops once a status count can no longer pass", async () => {
  await using target = startRawTarget(() => raw("HTTP/1.1 500 Oops\nContent-Length: 0\n\n"));
  await withDir(async (dir) => {
    const run = await cli([
      target.url,
      "-d",
      "30s",
      "-c",
      "2",
      "--threshold",
      "status5xx==0",
      "--threshold",
      "status404<3",
      "--abort-on-fail",
      "--out",
      `${dir}/r.json`,
    ], dir);
    assertEquals(run.code, 3, run.stderr);
    assertStringIncludes(run.stdout, "Stopped early (--abort-on-fail)");
    assertStringIncludes(
      run.stderr,
      "stress: stopped early as 'status5xx==0' can no longer pass (--abort-on-fail)",
    );
    const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`)) as StressReport & {
      thresholds: ThresholdResult[];
    };
    // Stopped by the live 5xx count, not by the 30 s deadline.
    assertEquals(report.cancelled, true);
    assert(report.statusCodes["500"] > 0, JSON.stringify(report.statusCodes));
    assertEquals(report.thresholds.map((r) => [r.expression, r.ok]), [
      ["status5xx==0", false],
      ["status404<3", true],
    ]);
  });
});

Deno.test("stress_cli --abort-on-fail stops once the late count can no longer pass", async () => {
  let count = 0;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => {
      // The 3rd response waits 500 ms: on one connection the ~50 requests due meanwhile
      // are written late once it is free.
      if (++count === 3) await new Promise((resolve) => setTimeout(resolve, 500));
      return new Response("ok");
    },
  );
  await withDir(async (dir) => {
    const run = await cli([
      `http://127.0.0.1:${server.addr.port}/`,
      "-d",
      "30s",
      "--rate",
      "100",
      "-c",
      "1",
      "--threshold",
      "late<5",
      "--abort-on-fail",
      "--out",
      `${dir}/r.json`,
    ], dir);
    assertEquals(run.code, 3, run.stderr);
    assertStringIncludes(
      run.stderr,
      "stress: stopped early as 'late<5' can no longer pass (--abort-on-fail)",
    );
    const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`)) as StressReport & {
      thresholds: ThresholdResult[];
    };
    assertEquals(report.cancelled, true);
    assertEquals(report.thresholds.map((r) => [r.expression, r.ok]), [["late<5", false]]);
  });
});

Deno.test("stress_cli --out, --csv and --html write the run's files while the terminal shows the report", async () => {
  await using target = tenthFails();
  await withDir(async (dir) => {
    const run = await cli([
      target.url,
      "-d",
      "2.5s",
      "-c",
      "2",
      "--threshold",
      "errors<=11%",
      "--out",
      `${dir}/r.json`,
      "--csv",
      `${dir}/r.csv`,
      "--html",
      `${dir}/r.html`,
    ], dir);
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(run.stdout, "Latency histogram (ms)");
    assertStringIncludes(run.stdout, "✓ errors<=11%");
    const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`)) as StressReport & {
      thresholds: ThresholdResult[];
    };
    assertEquals(report.requests, target.received());
    assertEquals(report.thresholds.length, 1);
    assertEquals(report.thresholds[0].ok, true);

    const csv = (await Deno.readTextFile(`${dir}/r.csv`)).trimEnd().split("\n");
    assertEquals(csv[0], CSV_COLUMNS.join(","));
    assertEquals(
      csv[0],
      "time,completed,failures,rps,p50_ms,p90_ms,p99_ms,max_ms,target_rate",
    );
    const rows = csv.slice(1).map((line) => line.split(","));
    assertEquals(rows.length, report.timeline.length);
    for (const row of rows) assertEquals(row.length, CSV_COLUMNS.length);
    assertEquals(rows.map((r) => Number(r[0])), report.timeline.map((s) => s.second));
    assertEquals(rows.reduce((sum, r) => sum + Number(r[1]), 0), report.requests);
    assertEquals(rows.reduce((sum, r) => sum + Number(r[2]), 0), report.failures.http5xx);
    assertEquals(rows.map((r) => r[8]), rows.map(() => "")); // no rate: no target

    const html = await Deno.readTextFile(`${dir}/r.html`);
    assertMatch(html, /^<!DOCTYPE html>/);
    assertStringIncludes(html, "errors&lt;=11%");
  });
});

Deno.test("stress compare sets two reports side by side and gates on changes", async (t) => {
  const run = (rps: number, p99: number) => ({
    requests: rps * 10,
    successes: rps * 10,
    inFlight: 0,
    rps,
    durationMs: 10_000,
    failures: { timeout: 0 },
    statusCodes: { "200": rps * 10 },
    latencyMs: { min: 1, mean: 2, p50: 2, p90: 3, p99, p999: p99, max: p99 },
    timeline: [],
  });
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/before.json`, JSON.stringify(run(1000, 10)));
    await Deno.writeTextFile(`${dir}/after.json`, JSON.stringify(run(990, 12)));
    await Deno.writeTextFile(`${dir}/bad.json`, '{"requests": 1}');
    const files = [`${dir}/before.json`, `${dir}/after.json`];
    await t.step("no thresholds: exit 0 and the table", async () => {
      const out = await cli(["compare", ...files], dir);
      assertEquals(out.code, 0, out.stderr);
      assertMatch(out.stdout, /req\/s\s+1,000\.0\s+990\.0\s+-1\.0%/);
      assertMatch(out.stdout, /p99 \(ms\)\s+10\.00\s+12\.00\s+\+20\.0%/);
    });
    await t.step("a broken gate: exit 3", async () => {
      const out = await cli(
        ["compare", ...files, "--threshold", "p99<+10%", "--threshold", "rps>-5%"],
        dir,
      );
      assertEquals(out.code, 3, out.stderr);
      assertStringIncludes(out.stdout, "✗ p99<+10%  p99 = +20.0%  FAILED");
      assertStringIncludes(out.stdout, "✓ rps>-5%   rps = -1.0%");
      assertStringIncludes(out.stderr, "stress: 1 of 2 thresholds failed (exit code 3)");
    });
    await t.step("gates that hold: exit 0", async () => {
      const out = await cli(["compare", ...files, "--threshold", "p99<+25%"], dir);
      assertEquals(out.code, 0, out.stderr);
    });
    await t.step("bad files or usage: exit 2 with one line", async () => {
      const cases: [string[], string][] = [
        [[`${dir}/before.json`, `${dir}/bad.json`], "bad.json"],
        [[`${dir}/before.json`, `${dir}/missing.json`], "Cannot read report"],
        [[`${dir}/before.json`], "it takes two files"],
        [[...files, "--threshold", "p99<<1"], "Cannot use threshold 'p99<<1'"],
        [[...files, "--bogus"], "an option is unknown: '--bogus'"],
      ];
      for (const [args, part] of cases) {
        const out = await cli(["compare", ...args], dir);
        assertEquals(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
        const lines = out.stderr.trimEnd().split("\n");
        assertEquals(lines.length, 2, out.stderr);
        assertStringIncludes(lines[0], part);
        assertEquals(lines[1], HINT);
      }
    });
    await t.step("without read permission: 2, naming the grant", async () => {
      const out = await cli(["compare", ...files]);
      assertEquals(out.code, 2);
      assertStringIncludes(out.stderr, `run with --allow-read=${files[0]}`);
    });
  });
});

Deno.test({
  name: "stress_cli --html writes a page that opens in Chromium with no console errors",
  ignore: chromiumPath === undefined,
  async fn() {
    await using target = tenthFails();
    await withDir(async (dir) => {
      const run = await cli([
        target.url,
        "-d",
        "1.5s",
        "-c",
        "2",
        "--threshold",
        "errors<1",
        "--html",
        `${dir}/r.html`,
      ], dir);
      assertEquals(run.code, 3, run.stderr);
      const context = await chromium.launchPersistentContext(`${dir}/profile`, {
        executablePath: chromiumPath,
        headless: true,
        args: CHROMIUM_FLAGS,
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
        const url = `file://${dir}/r.html`;
        await page.goto(url);
        await page.locator("body[data-charts='4']").waitFor();
        assertEquals(problems, []);
        assertEquals(requests, [url]);
        assertStringIncludes(
          (await page.locator("#thresholds").textContent()) ?? "",
          "errors<1",
        );
        assert(await page.locator("#thresholds .fail").count() > 0);
      } finally {
        await context.close();
      }
    });
  },
});

Deno.test("stress_cli --hdr-log writes one histogram a second that an independent decoder sums to the responses", async () => {
  await using target = tenthFails();
  await withDir(async (dir) => {
    const run = await cli([
      target.url,
      "-d",
      "2.5s",
      "-c",
      "2",
      "--accept-failures",
      "--json",
      "--hdr-log",
      `${dir}/r.hlog`,
    ], dir);
    assertEquals(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as StressReport;
    const lines = (await Deno.readTextFile(`${dir}/r.hlog`)).trimEnd().split("\n");
    assertEquals(lines[1], "#[Histogram log format version 1.3]");
    assertMatch(lines[2], /^#\[StartTime: \d+\.\d{3} \(seconds since epoch\), \d{4}-/);
    assertEquals(
      lines[4],
      '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    );
    const intervals = lines.slice(5).map((line) => line.split(","));
    assertEquals(intervals.length, report.timeline.length);
    let total = 0;
    for (const [i, [start, length, max, encoded]] of intervals.entries()) {
      assertEquals([start, length], [`${i}.000`, "1.000"]);
      const histogram = decodeFromCompressedBase64(encoded);
      total += histogram.totalCount;
      // Interval_Max is in ms, the histogram's values in µs.
      if (histogram.totalCount > 0) {
        assert(Math.abs(histogram.maxValue / 1000 - Number(max)) <= Number(max) * 0.01 + 0.001);
      }
      histogram.destroy();
    }
    const responses = Object.values(report.statusCodes).reduce((a, b) => a + b, 0);
    assert(responses > 0);
    assertEquals(total, responses);
  });
});

Deno.test("stress_cli rate, service-time, late and endpoint thresholds with a requests file", async () => {
  await using target = startRawTarget();
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/reqs.jsonl`,
      '{"name":"home","url":"/","weight":3}\n{"name":"items","url":"/items?page=2"}\n',
    );
    const pass = [
      "service:p99<5s",
      "late<=100%",
      "endpoint:home:requests>0",
      "endpoint:items:errors==0",
    ];
    const fail = [
      "service:max<1us",
      "late>1000000",
      "endpoint:home:p99<1us",
      "endpoint:items:errors>0",
    ];
    const run = await cli([
      target.url,
      "--requests-file",
      `${dir}/reqs.jsonl`,
      "--rate",
      "100:200/1s",
      "-d",
      "1.5s",
      "-c",
      "4",
      "--seed",
      "7",
      "--json",
      ...[...pass, ...fail].flatMap((e) => ["--threshold", e]),
    ], dir);
    assertEquals(run.code, 3, run.stderr);
    const report = JSON.parse(run.stdout) as StressReport & { thresholds: ThresholdResult[] };
    assertEquals(report.seed, 7);
    assertEquals(Object.keys(report.endpoints ?? {}).sort(), ["home", "items"]);
    assertEquals(
      report.thresholds.map((r) => [r.expression, r.ok]),
      [...pass.map((e) => [e, true]), ...fail.map((e) => [e, false])],
    );
    assertEquals(target.received(), report.requests);
  });
});

Deno.test("stress_cli load flags reach the run: --stages, -c ramps, --har", async (t) => {
  await using target = startRawTarget();
  await t.step("--stages sets the target rate each second", async () => {
    const run = await cli([target.url, "--stages", "1s:50,1s:100", "-c", "4", "--json"]);
    assertEquals(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as StressReport;
    assert(report.timeline.some((s) => (s.targetRate ?? 0) > 0), run.stdout);
  });
  await t.step("-c A:B/T ramps connections", async () => {
    const run = await cli([target.url, "-c", "1:3/1s", "-d", "1.5s", "--json"]);
    assertEquals(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as StressReport;
    assert(report.timeline.some((s) => s.connections !== undefined), run.stdout);
  });
  await t.step(
    "--har takes the requests of a HAR export, cookies only with --har-cookies",
    async () => {
      await withDir(async (dir) => {
        const entry = (path: string) => ({
          request: {
            method: "GET",
            url: `${target.url}${path}`,
            headers: [{ name: "cookie", value: "sid=1" }],
          },
        });
        await Deno.writeTextFile(
          `${dir}/site.har`,
          JSON.stringify({ log: { entries: [entry("a"), entry("b"), entry("a")] } }),
        );
        // No URL: the HAR's own (one origin) is the target.
        const run = await cli(["--har", `${dir}/site.har`, "-n", "30", "-c", "2", "--json"], dir);
        assertEquals(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout) as StressReport;
        assertEquals(Object.keys(report.endpoints ?? {}).sort(), ["GET /a", "GET /b"]);
        assertEquals(report.requests, 30);
        const cookies = await cli(
          ["--har", `${dir}/site.har`, "--har-cookies", "-n", "5", "-c", "1", "--json"],
          dir,
        );
        assertEquals(cookies.code, 0, cookies.stderr);
      });
    },
  );
});

Deno.test("stress_cli malformed load flags and template files: exit 2, one line, nothing sent", async () => {
  await using target = startRawTarget();
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/bad.jsonl`, '{"url":"/"}\n{"url":"/x","weight":0}\n');
    await Deno.writeTextFile(`${dir}/other.jsonl`, '{"url":"http://127.0.0.2:9/"}\n');
    await Deno.writeTextFile(`${dir}/good.jsonl`, '{"url":"/"}\n');
    await Deno.writeTextFile(`${dir}/not.har`, '{"hello":1}');
    const cases: [string[], string][] = [
      [["--rate", "100:0/30s"], "'--rate' as a ramp must end above 0"],
      [["--rate", "fast"], "'--rate' as a rate like 2000 or a ramp like 100:2000/30s"],
      [["--stages", "30s"], "'--stages' as step 1 must be DURATION:RATE"],
      [["-c", "10:200/0s"], "'-c' as a ramp's length must be a positive duration"],
      [["--concurrency", "1.5:3/1s"], "'--concurrency' as a ramp's ends must be integers"],
      [["--seed", "x"], "'--seed' as an integer from 0"],
      [["--requests-file", `${dir}/bad.jsonl`], "line 2 'weight'"],
      [["--requests-file", `${dir}/other.jsonl`], "origin"],
      [["--har", `${dir}/not.har`], "it is not HAR"],
      [["--requests-file", `${dir}/good.jsonl`, "--har", `${dir}/not.har`], "exclude each other"],
      [["--har-cookies"], "'--har-cookies' as it needs '--har'"],
      [["--requests-file", `${dir}/good.jsonl`, "-m", "POST"], "'templates' excludes 'method'"],
      [["--requests-file", `${dir}/missing.jsonl`], "Cannot read requests file"],
    ];
    for (const [args, part] of cases) {
      const run = await cli([target.url, "-n", "5", ...args], dir);
      assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assertEquals(run.stdout, "");
      const lines = run.stderr.trimEnd().split("\n");
      assertEquals(lines.length, 2, run.stderr);
      assertMatch(lines[0], /^stress: Cannot /);
      assertStringIncludes(lines[0], part);
      assertEquals(lines[1], HINT);
    }
    const denied = await cli([target.url, "--requests-file", `${dir}/good.jsonl`]);
    assertEquals(denied.code, 2);
    assertStringIncludes(denied.stderr, `run with --allow-read=${dir}/good.jsonl`);
  });
  assertEquals(target.received(), 0);
});

Deno.test("stress_cli exits with 130 on Ctrl+C even when a threshold failed, and still writes its files", async () => {
  await using target = startRawTarget();
  await withDir(async (dir) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        NET,
        `--allow-read=servers,sync,${dir}`,
        `--allow-write=${dir}`,
        "servers/stress_cli.ts",
        target.url,
        "-d",
        "60s",
        "-c",
        "2",
        "--threshold",
        "requests<1",
        "--out",
        `${dir}/r.json`,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let stderr = "";
    while (!stderr.includes("req/s")) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    child.kill("SIGINT");
    while (!(await reader.read()).done);
    const { code } = await child.status;
    const stdout = await new Response(child.stdout).text();
    assertEquals(code, 130);
    assertStringIncludes(stdout, "Stopped early (Ctrl+C)");
    assertStringIncludes(stdout, "✗ requests<1");
    const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`)) as StressReport & {
      thresholds: ThresholdResult[];
    };
    assertEquals(report.cancelled, true);
    assertEquals(report.thresholds[0].ok, false);
  });
});
