/**
 * What `--hdr-log` and `--html` cost `deno task stress` in req/s against nginx (issue 19
 * asks for at most 3 %): the same run with and without both files, alternating, in one
 * sitting, so that drift of the shared machine hits both alike. Prints each run and the
 * ratio of the medians, the CPU time the stress process took per 1,000 requests (less
 * sensitive than req/s to other processes on a shared machine), and the main thread's
 * own work per second of `--hdr-log`.
 *
 * Needs Debian's `nginx-light` and `/usr/bin/time`. Run it under the bench lock:
 *
 * ```sh
 * flock /tmp/tandem-bench.lock deno run --allow-read --allow-write=/tmp --allow-run \
 *   --allow-net=127.0.0.1 bench/stress_outputs_bench.ts [ROUNDS] [SECONDS]
 * ```
 *
 * @module
 */

import { Histogram } from "../servers/_histogram.ts";
import { hdrLogLine } from "../servers/_hdr_log.ts";
import { startNginx } from "./_nginx.ts";

const ROOT = new URL("../", import.meta.url);
const decoder = new TextDecoder();
const BODY = "hello from nginx\n";
const CONNECTIONS = 50;
const ROUNDS = Number(Deno.args[0] ?? 3);
const SECONDS = Number(Deno.args[1] ?? 10);

/** One run's throughput and the CPU time (user + sys) the stress process took per 1,000 requests. */
interface Run {
  rps: number;
  cpuMsPer1k: number;
}

/** One `deno task stress` run under `/usr/bin/time`. */
async function stress(url: string, outputs: string | undefined): Promise<Run> {
  const files = outputs === undefined
    ? []
    : ["--hdr-log", `${outputs}/run.hlog`, "--html", `${outputs}/run.html`];
  const write = outputs === undefined ? [] : [`--allow-write=${outputs}`];
  const { code, stdout, stderr } = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "TANDEM_TIME %U %S",
      Deno.execPath(),
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read=servers,sync",
      ...write,
      "servers/stress_cli.ts",
      url,
      "-d",
      `${SECONDS}s`,
      "-c",
      String(CONNECTIONS),
      "--json",
      ...files,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = decoder.decode(stderr);
  if (code !== 0) throw new Error(`stress exited with ${code}: ${err}`);
  const report = JSON.parse(decoder.decode(stdout));
  const [, user, sys] = /TANDEM_TIME ([\d.]+) ([\d.]+)/.exec(err)!;
  return {
    rps: report.rps,
    cpuMsPer1k: ((Number(user) + Number(sys)) * 1e6) / report.requests,
  };
}

/**
 * The main thread's work per second of a run with `--hdr-log` (the load itself runs in
 * the workers): merge the second's histogram into the run's, read its p50/p90/max, and
 * encode and deflate its log line. Measured on a second of 60,000 responses from 50 µs
 * to 200 ms.
 */
async function perSecondCost(): Promise<number> {
  const second = new Histogram();
  let seed = 1;
  for (let i = 0; i < 60_000; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    second.record(Math.floor(50 * Math.exp((seed / 2 ** 31) * Math.log(4000))));
  }
  const data = second.data();
  const run = new Histogram();
  const rounds = 300;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    run.merge(data);
    const h = new Histogram(data);
    h.percentile(50);
    h.percentile(90);
    await hdrLogLine({ startMs: i * 1000, histogram: data });
  }
  return ((performance.now() - start) / rounds) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

if (import.meta.main) {
  const nginx = await startNginx({ body: BODY });
  const dir = await Deno.makeTempDir({ prefix: "tandem-stress-outputs-" });
  const plain: Run[] = [];
  const withFiles: Run[] = [];
  try {
    console.log(
      `stress outputs bench: ${ROUNDS} rounds of ${SECONDS} s, -c ${CONNECTIONS}, nginx ${nginx.url}`,
    );
    await stress(nginx.url, undefined); // warm-up: nginx, the OS's socket caches, Deno's cache
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so neither always runs on a machine warmed by the other.
      const order = round % 2 === 1 ? [false, true] : [true, false];
      for (const files of order) {
        const result = await stress(nginx.url, files ? dir : undefined);
        (files ? withFiles : plain).push(result);

        const size = files
          ? `  (hlog ${(await Deno.stat(`${dir}/run.hlog`)).size} B, html ${
            (await Deno.stat(`${dir}/run.html`)).size
          } B)`
          : "";
        console.log(
          `  round ${round} ${files ? "--hdr-log --html" : "no files       "}  ${
            Math.round(result.rps)
          } req/s, ${result.cpuMsPer1k.toFixed(1)} CPU ms per 1,000 requests${size}`,
        );
      }
    }
    const rps = (runs: Run[]) => median(runs.map((r) => r.rps));
    const cpu = (runs: Run[]) => median(runs.map((r) => r.cpuMsPer1k));
    const ratio = rps(withFiles) / rps(plain);
    const paired = withFiles.map((w, i) => w.rps / plain[i].rps);
    console.log(
      `per round, with / without: ${paired.map((r) => r.toFixed(3)).join(" ")} (median ${
        median(paired).toFixed(3)
      })`,
    );
    const micros = await perSecondCost();
    console.log(
      `main thread per second of run with --hdr-log: ${micros.toFixed(0)} µs (${
        (micros / 10_000).toFixed(3)
      } % of one core); --html renders once, after the run's clock stops`,
    );
    console.log(
      `median: no files ${Math.round(rps(plain))} req/s, --hdr-log --html ${
        Math.round(rps(withFiles))
      } req/s: ${(ratio * 100).toFixed(1)} % (cost ${((1 - ratio) * 100).toFixed(1)} %)`,
    );
    console.log(
      `median CPU per 1,000 requests: no files ${cpu(plain).toFixed(1)} ms, --hdr-log --html ${
        cpu(withFiles).toFixed(1)
      } ms: ${((cpu(withFiles) / cpu(plain) - 1) * 100).toFixed(1)} % more`,
    );
  } finally {
    await nginx.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
