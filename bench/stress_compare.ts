/**
 * Tandem's stress tester against wrk and autocannon, on the same nginx target, in the
 * same run: requests/s ratios, requests per CPU-second (user + sys of each client
 * process, from `/usr/bin/time`), agreement with nginx's own request counter
 * (`stub_status`), and the cost of the live progress bar (a real TTY via `script`).
 *
 * Run it with `deno task bench:stress [ROUNDS]` (default 3 rounds; it takes the
 * machine-wide bench lock). `deno task bench:stress [ROUNDS] load-model` measures the
 * goals of the load model instead, Tandem against itself on the same nginx: a requests
 * file of 100 endpoints against the single URL, a ramp of the rate against a constant
 * rate (requests per CPU-second), and the achieved rate against the target.
 * Needs Debian's `nginx-light`, `wrk`, `npx` (autocannon@8 on Node 20), `script`.
 *
 * @module
 */

import { type Nginx as SharedNginx, startNginx as startSharedNginx } from "./_nginx.ts";

const ROOT = new URL("../", import.meta.url);
const SECONDS = 5;
const CONNECTIONS = 50;
const BODY = "hello world\n";
const decoder = new TextDecoder();

interface Measured {
  name: string;
  rps: number;
  requests: number;
  cpuSeconds: number;
  wallSeconds: number;
  nginxCounted: number;
  inFlightWindow: number;
  goal: boolean;
}

interface Nginx extends SharedNginx {
  version: string;
}

async function startNginx(): Promise<Nginx> {
  const nginx = await startSharedNginx({ body: BODY });
  const versionOut = await new Deno.Command("nginx", { args: ["-v"] }).output();
  return {
    ...nginx,
    version: decoder.decode(versionOut.stderr).trim().replace("nginx version: nginx/", ""),
  };
}

/** Runs a command under `/usr/bin/time`; returns its output and user+sys seconds. */
async function timed(
  args: string[],
): Promise<
  { stdout: string; stderr: string; cpu: number; wall: number; code: number }
> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "TANDEM_TIME %U %S %e", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stderr = decoder.decode(out.stderr);
  const match = /TANDEM_TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
  if (!match) throw new Error(`Cannot measure '${args.join(" ")}': ${stderr}`);
  return {
    stdout: decoder.decode(out.stdout),
    stderr,
    cpu: Number(match[1]) + Number(match[2]),
    wall: Number(match[3]),
    code: out.code,
  };
}

async function measure(
  nginx: Nginx,
  name: string,
  args: string[],
  parse: (stdout: string) => { rps: number; requests: number },
  goal = true,
): Promise<Measured> {
  const before = await nginx.requests();
  const run = await timed(args);
  const after = await nginx.requests();
  let parsed: { rps: number; requests: number };
  try {
    parsed = parse(run.stdout);
  } catch (error) {
    throw new Error(
      `Cannot parse the output of ${name}: ${error}\n${run.stdout}\n${run.stderr}`,
    );
  }
  const measured = {
    name,
    ...parsed,
    cpuSeconds: run.cpu,
    wallSeconds: run.wall,
    nginxCounted: after - before - 1,
    inFlightWindow: CONNECTIONS,
    goal,
  };
  console.error(
    `  ${name}: ${Math.round(measured.rps)} req/s, ${measured.cpuSeconds.toFixed(2)} CPU s`,
  );
  return measured;
}

const deno = Deno.execPath();
const tandem = (url: string, extra: string[]): string[] => [
  deno,
  "run",
  "--allow-net=127.0.0.1",
  "--allow-read=servers,sync",
  "servers/stress_cli.ts",
  url,
  "-d",
  `${SECONDS}s`,
  "-c",
  String(CONNECTIONS),
  ...extra,
];
const parseTandemJson = (stdout: string) => {
  const report = JSON.parse(stdout);
  return { rps: report.rps, requests: report.requests };
};
const parseTandemText = (stdout: string) => {
  const number = (re: RegExp): number => Number(re.exec(stdout)![1].replaceAll(",", ""));
  return {
    rps: number(/Throughput ([\d,.]+) req\/s/),
    requests: number(/Requests\s+([\d,]+) sent/),
  };
};

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The load model's goals: 100 endpoints cost ≤ 10 % of req/s; a ramp of the rate (with
 * the service-time histogram every rate run keeps) ≤ 3 % of requests per CPU-second
 * against a constant rate; the achieved rate within 1 % of a rate nginx can serve.
 */
async function loadModel(rounds: number): Promise<void> {
  const nginx = await startNginx();
  const file = await Deno.makeTempFile({
    prefix: "tandem-endpoints-",
    suffix: ".jsonl",
  });
  await Deno.writeTextFile(
    file,
    Array.from({ length: 100 }, (_, i) => JSON.stringify({ url: `/e${i}` }))
      .join("\n") + "\n",
  );
  const single: Measured[] = [];
  const many: Measured[] = [];
  const constant: Measured[] = [];
  const ramp: Measured[] = [];
  let rate = 0;
  try {
    console.error(
      `nginx ${nginx.version} on ${nginx.url}; ${SECONDS} s per client`,
    );
    for (let round = 0; round < rounds; round++) {
      single.push(
        await measure(
          nginx,
          `tandem -c ${CONNECTIONS} --json (one URL)`,
          tandem(nginx.url, [
            "--json",
          ]),
          parseTandemJson,
        ),
      );
      many.push(
        await measure(
          nginx,
          `tandem -c ${CONNECTIONS} --requests-file (100 endpoints) --json`,
          // The CLI reads the file: its read grant names it (as a user's would).
          tandem(nginx.url, ["--requests-file", file, "--seed", "1", "--json"]).map((arg) =>
            arg === "--allow-read=servers,sync" ? `${arg},${file}` : arg
          ),
          parseTandemJson,
        ),
      );
      // Half of what one URL reached in the first round: a rate nginx serves with room.
      rate ||= Math.round(single[0].rps / 2 / 1000) * 1000 || 1000;
      const fixed = () =>
        measure(
          nginx,
          `tandem --rate ${rate} --json`,
          tandem(nginx.url, ["--rate", String(rate), "--json"]),
          parseTandemJson,
        );
      const ramped = () =>
        measure(
          nginx,
          `tandem --rate ${rate / 2}:${rate}/2s --json`,
          tandem(nginx.url, ["--rate", `${rate / 2}:${rate}/2s`, "--json"]),
          parseTandemJson,
        );
      if (round % 2 === 0) {
        constant.push(await fixed());
        ramp.push(await ramped());
      } else {
        ramp.push(await ramped());
        constant.push(await fixed());
      }
    }
  } finally {
    await nginx.stop();
    await Deno.remove(file);
  }
  const perCpu = (m: Measured): number => m.requests / m.cpuSeconds;
  const lines: string[] = [];
  lines.push(
    `Tandem's load model on nginx ${nginx.version} (127.0.0.1), ${CONNECTIONS} connections, ` +
      `${SECONDS} s per run, ${rounds} rounds; ratios are medians of per-round ratios.`,
  );
  lines.push("");
  const rows = [...single, ...many, ...constant, ...ramp].map((m) =>
    `${m.name.padEnd(56)} ${fmt(m.rps).padStart(8)} req/s  ${fmt(m.requests).padStart(8)} req  ${
      m.cpuSeconds.toFixed(2)
    } CPU s  ${fmt(perCpu(m)).padStart(7)} req/CPU-s`
  );
  lines.push(...rows, "");
  const ratio = (
    label: string,
    values: number[],
    met: (v: number) => boolean,
    goal: string,
  ) => {
    const value = median(values);
    return `${label.padEnd(48)} ${value.toFixed(3)}× [${
      values.map((v) => v.toFixed(3)).join(", ")
    }]  (goal ${goal}: ${met(value) ? "met" : "NOT met"})`;
  };
  const each = (f: (i: number) => number): number[] => single.map((_, i) => f(i));
  lines.push(
    ratio(
      "req/s, 100 endpoints / one URL",
      each((i) => many[i].rps / single[i].rps),
      (v) => v >= 0.9,
      "≥ 0.90×",
    ),
  );
  lines.push(
    ratio(
      "req per CPU-s, rate ramp / constant rate",
      each((i) => perCpu(ramp[i]) / perCpu(constant[i])),
      (v) => v >= 0.97,
      "≥ 0.97×",
    ),
  );
  lines.push(
    ratio(
      `requests sent / due at ${fmt(rate)}/s for ${SECONDS} s`,
      constant.map((m) => m.requests / (rate * SECONDS)),
      (v) => Math.abs(v - 1) <= 0.01,
      "within 1 %",
    ),
  );
  lines.push(
    ratio(
      `req/s / target at ${fmt(rate)}/s (wall time incl. start and drain)`,
      constant.map((m) => m.rps / rate),
      (v) => Math.abs(v - 1) <= 0.01,
      "within 1 %",
    ),
  );
  console.log(lines.join("\n"));
}

if (import.meta.main && Deno.args[1] === "load-model") {
  await loadModel(Number(Deno.args[0] ?? 3));
} else if (import.meta.main) {
  const rounds = Number(Deno.args[0] ?? 3);
  // Warm npx's cache so that the timed autocannon run does not download it.
  await new Deno.Command("npx", {
    args: ["-y", "autocannon@8", "--version"],
    stdout: "null",
  })
    .output();
  const nginx = await startNginx();
  const wrk: Measured[] = [];
  const off: Measured[] = [];
  const on: Measured[] = [];
  const quiet: Measured[] = [];
  const extra: Measured[] = [];
  try {
    console.error(
      `nginx ${nginx.version} on ${nginx.url}; ${SECONDS} s per client`,
    );
    // wrk and Tandem alternate, so that each ratio compares runs made seconds apart.
    for (let round = 0; round < rounds; round++) {
      wrk.push(
        await measure(
          nginx,
          `wrk -t2 -c${CONNECTIONS} -d${SECONDS}s`,
          ["wrk", "-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, nginx.url],
          (out) => ({
            rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
            requests: Number(/(\d+) requests in/.exec(out)![1]),
          }),
        ),
      );
      off.push(
        await measure(
          nginx,
          `tandem -c ${CONNECTIONS} --json (progress off)`,
          tandem(nginx.url, ["--json"]),
          parseTandemJson,
        ),
      );
      // The bar's cost: the same run on a pseudo-terminal (`script`) with and without the
      // bar, in alternating order, so that the pty relay's own CPU is in both.
      const tty = (flags: string[], name: string) =>
        measure(
          nginx,
          `tandem -c ${CONNECTIONS} ${name}`,
          ["script", "-qfec", tandem(nginx.url, flags).join(" "), "/dev/null"],
          parseTandemText,
        );
      if (round % 2 === 0) {
        on.push(await tty([], "(progress bar on a TTY)"));
        quiet.push(await tty(["--quiet"], "--quiet (no bar, on a TTY)"));
      } else {
        quiet.push(await tty(["--quiet"], "--quiet (no bar, on a TTY)"));
        on.push(await tty([], "(progress bar on a TTY)"));
      }
    }
    extra.push(
      await measure(
        nginx,
        `autocannon@8 -c ${CONNECTIONS} -d ${SECONDS}`,
        [
          "npx",
          "-y",
          "autocannon@8",
          "-c",
          String(CONNECTIONS),
          "-d",
          String(SECONDS),
          "--json",
          nginx.url,
        ],
        (out) => {
          const report = JSON.parse(out.slice(out.indexOf("{")));
          return {
            rps: report.requests.total / report.duration,
            requests: report.requests.sent ?? report.requests.total,
          };
        },
      ),
    );
    extra.push(
      await measure(
        nginx,
        `tandem -c ${CONNECTIONS} -w 2 --json`,
        tandem(nginx.url, ["-w", "2", "--json"]),
        parseTandemJson,
        false,
      ),
    );
    extra.push(
      await measure(
        nginx,
        `tandem -c ${CONNECTIONS} --pipeline 8 --json`,
        tandem(nginx.url, ["--pipeline", "8", "--json"]),
        parseTandemJson,
        false,
      ),
    );
  } finally {
    await nginx.stop();
  }

  const autocannon = extra[0];
  const results = [...wrk, ...off, ...on, ...quiet, ...extra];
  const perCpu = (m: Measured): number => m.requests / m.cpuSeconds;
  const lines: string[] = [];
  lines.push(
    `Tandem stress vs wrk and autocannon: nginx ${nginx.version} (1 worker, ${BODY.length}-byte body, ` +
      `access log off) on 127.0.0.1, ${CONNECTIONS} connections, ${SECONDS} s per run.`,
  );
  lines.push(
    `Machine: ${navigator.hardwareConcurrency} cores shared with other work and with nginx; ` +
      `wrk and Tandem alternate for ${rounds} rounds, ratios are medians of per-round ratios.`,
  );
  lines.push("");
  const header = [
    "client",
    "req/s",
    "requests",
    "CPU s",
    "req/CPU-s",
    "nginx count",
    "Δ",
  ];
  const rows = results.map((m) => [
    m.name,
    fmt(m.rps),
    fmt(m.requests),
    m.cpuSeconds.toFixed(2),
    fmt(perCpu(m)),
    fmt(m.nginxCounted),
    fmt(m.nginxCounted - m.requests),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))
      .join("  ");
  lines.push(line(header));
  for (const row of rows) lines.push(line(row));
  lines.push("");
  const ratio = (label: string, values: number[], goal: number): string => {
    const value = median(values);
    const each = values.length > 1 ? ` [${values.map((v) => v.toFixed(2)).join(", ")}]` : "";
    return `${label.padEnd(40)} ${value.toFixed(2)}×${each}  (goal ≥ ${goal}×: ${
      value >= goal ? "met" : "NOT met"
    })`;
  };
  const perRound = (f: (i: number) => number): number[] => wrk.map((_, i) => f(i));
  lines.push(
    ratio("req/s, tandem / wrk", perRound((i) => off[i].rps / wrk[i].rps), 1.0),
  );
  lines.push(
    ratio("req/s, tandem / autocannon", [
      median(off.map((m) => m.rps)) / autocannon.rps,
    ], 2),
  );
  lines.push(
    ratio(
      "requests per CPU-second, tandem / wrk",
      perRound((i) => perCpu(off[i]) / perCpu(wrk[i])),
      0.6,
    ),
  );
  lines.push(
    ratio(
      "req/s, progress bar on / off (TTY)",
      perRound((i) => on[i].rps / quiet[i].rps),
      0.95,
    ),
  );
  const tandemRuns = results.filter((m) => m.name.startsWith("tandem"));
  const agree = tandemRuns.every((m) =>
    Math.abs(m.nginxCounted - m.requests) <= m.inFlightWindow * 8
  );
  lines.push(
    `nginx stub_status minus tandem's 'requests': ${
      [...new Set(tandemRuns.map((m) => m.nginxCounted - m.requests))].join(
        ", ",
      )
    } (in-flight window: ${CONNECTIONS} connections × pipeline): ${agree ? "agree" : "DISAGREE"}`,
  );
  console.log(lines.join("\n"));
  try {
    await Deno.mkdir(new URL("bench/results/", ROOT), { recursive: true });
    await Deno.writeTextFile(
      new URL("bench/results/stress_compare.json", ROOT),
      JSON.stringify(
        { date: new Date().toISOString(), nginx: nginx.version, results },
        null,
        2,
      ),
    );
  } catch {
    // results are printed above; the file is a convenience
  }
}
