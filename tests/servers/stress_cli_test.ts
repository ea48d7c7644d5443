import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import type { StressReport } from "../../servers/stress.ts";
import { raw, startRawTarget } from "./stress_targets.ts";

const ROOT = new URL("../../", import.meta.url);
const PERMISSIONS = ["--allow-net=127.0.0.1,localhost,[::1]", "--allow-read=servers,sync"];

function command(args: string[], permissions = PERMISSIONS): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, "servers/stress_cli.ts", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await command(args).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("stress_cli with no arguments stresses its own target and prints a report", async () => {
  const { code, stdout, stderr } = await cli([]);
  assertEquals(code, 0, stderr);
  assertMatch(stdout, /No URL given: stressing a built-in target at http:\/\/127\.0\.0\.1:\d+\//);
  assertStringIncludes(stdout, "Latency histogram (ms)");
  assertStringIncludes(stdout, "Failures   none");
  const sent = /Requests\s+([\d,]+) sent/.exec(stdout)?.[1];
  const served = /target answered ([\d,]+) requests/.exec(stdout)?.[1];
  assert(sent !== undefined && served !== undefined, stdout);
  assertEquals(sent, served);
  assertStringIncludes(stderr, "req/s");
});

Deno.test("stress_cli --quiet prints the report without progress lines", async () => {
  const progressLine = /^stress: .*req\/s/m;
  // Progress lines come once a second when stderr is not a terminal: a 1.5 s run has one.
  const loud = await cli(["-d", "1.5s", "-c", "2"]);
  assertEquals(loud.code, 0, loud.stderr);
  assertMatch(loud.stderr, progressLine);
  for (const flag of ["--quiet", "-q"]) {
    const { code, stdout, stderr } = await cli(["-d", "1.5s", "-c", "2", flag]);
    assertEquals(code, 0, stderr);
    assertEquals(progressLine.test(stderr), false, stderr);
    assertStringIncludes(stdout, "Latency histogram (ms)");
  }
});

Deno.test("stress_cli --json prints the report as JSON only", async () => {
  await using target = startRawTarget();
  const { code, stdout } = await cli([target.url, "-n", "300", "-c", "5", "--json"]);
  assertEquals(code, 0);
  const report = JSON.parse(stdout) as StressReport;
  assertEquals(report.requests, 300);
  assertEquals(report.successes, 300);
  assertEquals(report.statusCodes, { "200": 300 });
  assertEquals(target.received(), 300);
  for (
    const key of [
      "failures",
      "rps",
      "bytesPerSecond",
      "durationMs",
      "latencyMs",
      "timeline",
      "histogram",
      "startTime",
      "endTime",
    ]
  ) {
    assert(key in report, key);
  }
  assertEquals(Object.keys(report.latencyMs), ["min", "mean", "p50", "p90", "p99", "p999", "max"]);
  assertEquals(
    Object.keys(report.failures).sort(),
    ["http4xx", "http5xx", "other", "protocol", "refused", "reset", "timeout"],
  );
  assert(report.timeline.length >= 1);
  for (const second of report.timeline) {
    // Issue 18 added each second's p50, p90, max and (closed model) connections.
    assertEquals(
      Object.keys(second).sort(),
      ["completed", "connections", "failures", "max", "p50", "p90", "p99", "second"],
    );
  }
  assertEquals(report.timeline.reduce((sum, s) => sum + s.completed, 0), 300);
});

Deno.test("stress_cli exits with 1 on failed requests unless --accept-failures", async () => {
  await using target = startRawTarget(() => raw("HTTP/1.1 500 Oops\nContent-Length: 0\n\n"));
  const failed = await cli([target.url, "-n", "20", "-c", "2"]);
  assertEquals(failed.code, 1);
  assertStringIncludes(failed.stdout, "http5xx: 20");
  assertStringIncludes(failed.stderr, "20 requests failed");
  const accepted = await cli([target.url, "-n", "20", "-c", "2", "--accept-failures", "--json"]);
  assertEquals(accepted.code, 0);
  assertEquals((JSON.parse(accepted.stdout) as StressReport).failures.http5xx, 20);
});

Deno.test("stress_cli exits with 2 on bad usage without sending anything", async () => {
  await using target = startRawTarget();
  const cases = [
    ["-n", "0", target.url],
    ["-n", "-5", target.url],
    ["-n", "ten", target.url],
    ["-c", "100000", target.url],
    ["-d", "0s", target.url],
    ["-d", "soon", target.url],
    ["--timeout", "-1", target.url],
    ["-n", "5", "-d", "1s", target.url],
    ["--rate", "0", target.url],
    ["-H", "no-colon", target.url],
    ["--bogus", target.url],
    ["ftp://127.0.0.1/"],
    ["http://"],
    ["not a url"],
    [target.url, target.url],
    ["--body-file", "/definitely/missing", target.url],
  ];
  for (const args of cases) {
    const { code, stdout, stderr } = await cli(args);
    assertEquals(code, 2, `${args.join(" ")}: ${stderr}`);
    assertEquals(stdout, "");
    const lines = stderr.trimEnd().split("\n");
    assertEquals(lines.length, 2, stderr);
    assertMatch(lines[0], /^stress: Cannot /);
    assertEquals(lines[1], "Run 'deno task stress --help' for usage.");
  }
  assertEquals(target.received(), 0);
});

Deno.test("stress_cli names the flag as typed and the limit in its units", async () => {
  const cases: [string[], string][] = [
    [["-m"], "stress: Cannot parse '-m' as it has no value"],
    [["--method"], "stress: Cannot parse '--method' as it has no value"],
    [["-c"], "stress: Cannot parse '-c' as it has no value"],
    [["-m", ""], "stress: Cannot parse '-m' as it has no value"],
    [["-c", "-5"], "stress: Cannot parse '-c' as it must be positive: received '-5'"],
    [["--rate", "-1"], "stress: Cannot parse '--rate' as it must be positive: received '-1'"],
    [["-d", "25h"], "stress: Cannot parse '-d' as a duration of at most 24h: received '25h'"],
    [
      ["--timeout", "48h"],
      "stress: Cannot parse '--timeout' as a duration of at most 24h: received '48h'",
    ],
  ];
  for (const [args, line] of cases) {
    const { code, stdout, stderr } = await cli(args);
    assertEquals(code, 2, args.join(" "));
    assertEquals(stdout, "");
    assertEquals(stderr.split("\n")[0], line);
  }
});

Deno.test('stress_cli takes --body "" as an empty body, not as the URL', async () => {
  await using target = startRawTarget();
  const { code, stdout, stderr } = await cli([target.url, "-m", "POST", "--body", "", "-n", "3"]);
  assertEquals(code, 0, stderr);
  assertStringIncludes(stdout, "3 sent, 3 ok");
  assertEquals(target.received(), 3);
});

Deno.test("stress_cli without read permission for its workers says how to run it", async () => {
  for (const args of [[], ["http://127.0.0.1:1/", "-n", "3"]]) {
    const { code, stderr } = await command(args, [PERMISSIONS[0]]).output();
    assertEquals(code, 2);
    const lines = new TextDecoder().decode(stderr).trimEnd().split("\n");
    assertMatch(lines[0], /^stress: Cannot run stress as read permission for its worker modules/);
    const url = args.length > 0 ? " http://127.0.0.1:1/" : "";
    assertEquals(
      lines[1],
      `  deno run --allow-net=127.0.0.1 --allow-read=servers,sync servers/stress_cli.ts${url}`,
    );
    assertEquals(lines[2], "Run 'deno task stress --help' for usage.");
  }
});

Deno.test("stress_cli --help prints the usage", async () => {
  const { code, stdout } = await cli(["--help"]);
  assertEquals(code, 0);
  assertStringIncludes(stdout, "Usage: deno task stress [URL] [options]");
  assertStringIncludes(stdout, "--accept-failures");
});

Deno.test("stress_cli stops on SIGINT with a partial report and exits with 130", async () => {
  await using target = startRawTarget();
  const child = command([target.url, "-d", "60s", "-c", "2"]).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  while (!stderr.includes("req/s")) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += value;
  }
  child.kill("SIGINT");
  while (true) {
    const { done } = await reader.read();
    if (done) break;
  }
  const { code } = await child.status;
  const stdout = new TextDecoder().decode(
    new Uint8Array(await new Response(child.stdout).arrayBuffer()),
  );
  assertEquals(code, 130);
  assertStringIncludes(stdout, "Stopped early (Ctrl+C)");
  const sent = Number(/Requests\s+([\d,]+) sent/.exec(stdout)?.[1].replaceAll(",", ""));
  assert(sent > 0 && sent <= target.received() + 2, stdout);
});

Deno.test("stress_cli sends a body file with the method and headers given", async () => {
  const bodies: string[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      bodies.push(`${request.method} ${request.headers.get("x-run")} ${await request.text()}`);
      return new Response("ok");
    },
  );
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, '{"hello":"world"}');
    const url = `http://127.0.0.1:${server.addr.port}/`;
    const args = [url, "-n", "10", "-c", "2", "-m", "PUT", "-H", "X-Run: 7", "--body-file", file];
    const denied = await cli(args);
    assertEquals(denied.code, 2);
    assertStringIncludes(denied.stderr, `run with --allow-read=${file}`);
    const { code, stdout } = await command(
      [...args, "--json"],
      [PERMISSIONS[0], `--allow-read=servers,sync,${file}`],
    ).output();
    assertEquals(code, 0);
    assertEquals((JSON.parse(new TextDecoder().decode(stdout)) as StressReport).successes, 10);
    assertEquals(bodies, Array(10).fill('PUT 7 {"hello":"world"}'));
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("stress_cli cluster flags: bad combinations are exit 2, one line, before any traffic", async () => {
  await using target = startRawTarget();
  const cases: [string[], string][] = [
    [["--agents", "2"], "stress: Cannot parse '--agents' as it needs '--cluster'"],
    [["--cluster", "local"], "stress: Cannot parse '--cluster' as it needs '--agents N'"],
    [
      ["--cluster", "http://x/", "--agents", "2"],
      "stress: Cannot parse '--cluster' as a redis://HOST:PORT URL or 'local': received 'http://x/'",
    ],
  ];
  for (const [args, line] of cases) {
    const { code, stderr } = await cli([target.url, "-n", "10", ...args]);
    assertEquals(code, 2, stderr);
    assertEquals(stderr.split("\n")[0], line);
  }
  // Agents on other machines cannot reach the built-in target on this one's loopback.
  const own = await cli(["--cluster", "redis://10.0.0.5:6379", "--agents", "2"]);
  assertEquals(own.code, 2, own.stderr);
  assertStringIncludes(own.stderr, "need a URL to stress");
  // Without --allow-run the CLI cannot start itself again with the cluster's grants.
  const noRun = await cli([target.url, "--cluster", "local", "--agents", "2"]);
  assertEquals(noRun.code, 2, noRun.stderr);
  assertStringIncludes(noRun.stderr, "run permission is missing");
  assertEquals(target.received(), 0);
});
