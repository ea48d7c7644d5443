/**
 * What `--hdr-log` and `--html` cost `deno task stress` in req/s against nginx (issue 19
 * asks for at most 3 %): the same run with and without both files, alternating, in one
 * sitting, so that drift of the shared machine hits both alike. Prints each run and the
 * ratio of the medians.
 *
 * Needs Debian's `nginx-light`. Run it under the bench lock:
 *
 * ```sh
 * flock /tmp/tandem-bench.lock deno run --allow-read --allow-write=/tmp --allow-run \
 *   --allow-net=127.0.0.1 bench/stress_outputs_bench.ts [ROUNDS] [SECONDS]
 * ```
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const decoder = new TextDecoder();
const BODY = "hello from nginx\n";
const CONNECTIONS = 50;
const ROUNDS = Number(Deno.args[0] ?? 3);
const SECONDS = Number(Deno.args[1] ?? 10);

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** nginx on 127.0.0.1 answering every request with a short body (as bench/stress_compare.ts). */
async function startNginx(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-nginx-" });
  const port = freePort();
  const conf = `worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / { default_type text/plain; return 200 "${BODY.replace("\n", "\\n")}"; }
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
  const child = new Deno.Command("nginx", {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`Cannot start nginx: ${await Deno.readTextFile(`${dir}/error.log`)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    async stop(): Promise<void> {
      child.kill("SIGQUIT"); // nginx's graceful stop
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** One `deno task stress` run; returns its req/s. */
async function stress(url: string, outputs: string | undefined): Promise<number> {
  const files = outputs === undefined
    ? []
    : ["--hdr-log", `${outputs}/run.hlog`, "--html", `${outputs}/run.html`];
  const write = outputs === undefined ? [] : [`--allow-write=${outputs}`];
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
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
  if (code !== 0) throw new Error(`stress exited with ${code}: ${decoder.decode(stderr)}`);
  return JSON.parse(decoder.decode(stdout)).rps;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

if (import.meta.main) {
  const nginx = await startNginx();
  const dir = await Deno.makeTempDir({ prefix: "tandem-stress-outputs-" });
  const plain: number[] = [];
  const withFiles: number[] = [];
  try {
    console.log(
      `stress outputs bench: ${ROUNDS} rounds of ${SECONDS} s, -c ${CONNECTIONS}, nginx ${nginx.url}`,
    );
    await stress(nginx.url, undefined); // warm-up: nginx, the OS's socket caches, Deno's cache
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so neither always runs on a machine warmed by the other.
      const order = round % 2 === 1 ? [false, true] : [true, false];
      for (const files of order) {
        const rps = await stress(nginx.url, files ? dir : undefined);
        (files ? withFiles : plain).push(rps);
        const size = files
          ? `  (hlog ${(await Deno.stat(`${dir}/run.hlog`)).size} B, html ${
            (await Deno.stat(`${dir}/run.html`)).size
          } B)`
          : "";
        console.log(
          `  round ${round} ${files ? "--hdr-log --html" : "no files       "}  ${
            Math.round(rps)
          } req/s${size}`,
        );
      }
    }
    const ratio = median(withFiles) / median(plain);
    console.log(
      `median: no files ${Math.round(median(plain))} req/s, --hdr-log --html ${
        Math.round(median(withFiles))
      } req/s: ${(ratio * 100).toFixed(1)} % (cost ${((1 - ratio) * 100).toFixed(1)} %)`,
    );
  } finally {
    await nginx.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
