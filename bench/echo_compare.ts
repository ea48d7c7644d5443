/**
 * Tandem's echo server against the seed's threaded Python one, on loopback.
 *
 * 1. Ping-pong: one client written in C (compiled here with gcc, one thread,
 *    epoll) keeps 50 connections each bouncing 64 bytes, against each server in
 *    turn, alternating, and prints round trips per second and the ratio. A
 *    minimal C epoll echo server runs alongside as the machine's ceiling.
 * 2. Idle: 10,000 connections held open against Tandem's server; prints its RSS
 *    in total and per connection, then how long a SIGINT takes to say goodbye to
 *    all of them and exit.
 *
 * ```sh
 * deno task bench:echo            # flock /tmp/tandem-bench.lock deno run ... bench/echo_compare.ts
 * deno task bench:echo --seconds 5 --rounds 3 --idle 10000
 * ```
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";

interface Flags {
  seconds: string;
  rounds: string;
  connections: string;
  size: string;
  idle: string;
}

const flags: Flags = parseArgs(Deno.args, {
  string: ["seconds", "rounds", "connections", "size", "idle"],
  default: { seconds: "2", rounds: "3", connections: "50", size: "64", idle: "10000" },
});
const SECONDS = Number(flags.seconds);
const ROUNDS = Number(flags.rounds);
const CONNECTIONS = Number(flags.connections);
const SIZE = Number(flags.size);
const IDLE = Number(flags.idle);
const HOST = "127.0.0.1";
const ROOT = new URL("../", import.meta.url);

interface Server {
  name: string;
  child: Deno.ChildProcess;
  port: number;
}

interface ClientResult {
  roundTrips: number;
  seconds: number;
  rps: number;
  errors: number;
}

/** Starts a server process and reads the port from its first line of output. */
async function start(name: string, command: string, args: string[]): Promise<Server> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${name} exited before listening`);
    text += value;
  }
  const match = text.match(/127\.0\.0\.1:(\d+)/);
  if (!match) throw new Error(`${name} printed no address: ${text}`);
  // Keep draining its output so a full pipe never blocks it.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return { name, child, port: Number(match[1]) };
}

async function stop(server: Server): Promise<{ code: number; ms: number }> {
  const t0 = performance.now();
  server.child.kill("SIGINT");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 5000);
  const status = await server.child.status;
  clearTimeout(timer);
  return { code: status.code, ms: performance.now() - t0 };
}

async function rssKiB(pid: number): Promise<number> {
  // `ps` rather than /proc/PID/status, which Deno reads only with --allow-all.
  const { stdout } = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] })
    .output();
  const kib = Number(new TextDecoder().decode(stdout).trim());
  if (!(kib > 0)) throw new Error(`No RSS for process ${pid}`);
  return kib;
}

async function pingPong(client: string, port: number): Promise<ClientResult> {
  const { code, stdout, stderr } = await new Deno.Command(client, {
    args: [HOST, String(port), String(CONNECTIONS), String(SIZE), "500", String(SECONDS * 1000)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`echo_client failed: ${new TextDecoder().decode(stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(stdout));
}

function format(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

// --- Build the C programs -------------------------------------------------------
const dir = await Deno.makeTempDir({ prefix: "tandem_echo_bench_" });
async function compile(source: string): Promise<string> {
  const binary = `${dir}/${source.replace(/\.c$/, "")}`;
  const gcc = await new Deno.Command("gcc", {
    args: ["-O2", "-o", binary, new URL(source, import.meta.url).pathname],
  }).output();
  if (gcc.code !== 0) {
    console.error(new TextDecoder().decode(gcc.stderr));
    throw new Error(`Cannot build bench/${source} with gcc`);
  }
  return binary;
}
const client = await compile("echo_client.c");
const cServer = await compile("echo_c_server.c");

const tandemArgs = [
  "run",
  "--no-prompt",
  "--allow-net=127.0.0.1,localhost,[::1]",
  "servers/echo_cli.ts",
  "--port",
  "0",
  "--quiet",
];

console.log(
  `Echo ping-pong: ${CONNECTIONS} connections x ${SIZE} B, ${SECONDS} s per run after 0.5 s warm-up,`,
);
console.log(`${ROUNDS} rounds alternating; client: bench/echo_client.c (C, epoll, one thread)`);
console.log(`Machine: ${navigator.hardwareConcurrency} cores, shared with other work\n`);

// --- Ping-pong ----------------------------------------------------------------
if (ROUNDS > 0) {
  const seed = await start("python seed", "python3", ["bench/echo_seed_server.py", HOST, "0"]);
  const tandem = await start("tandem", Deno.execPath(), tandemArgs);
  const reference = await start("C epoll", cServer, []);
  const servers = [seed, tandem, reference];
  const results = new Map<Server, number[]>(servers.map((server) => [server, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const server of servers) {
      const result = await pingPong(client, server.port);
      if (result.errors !== 0) throw new Error(`${server.name} echoed wrong bytes`);
      results.get(server)!.push(result.rps);
      console.log(
        `round ${round}  ${server.name.padEnd(12)} ${format(result.rps).padStart(9)} round trips/s`,
      );
    }
  }
  for (const server of servers) await stop(server);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const seedRps = mean(results.get(seed)!);
  console.log("");
  for (const server of servers) {
    const rps = mean(results.get(server)!);
    console.log(
      `mean   ${server.name.padEnd(12)} ${format(rps).padStart(9)} round trips/s  ${
        (rps / seedRps).toFixed(2)
      }x the seed`,
    );
  }
  console.log(
    `\nratio  tandem / python seed = ${
      (mean(results.get(tandem)!) / seedRps).toFixed(2)
    }x (goal >= 2x); the C epoll server is the machine's ceiling, not a goal\n`,
  );
}

// --- Idle connections, then Ctrl+C --------------------------------------------
/** Holds `count` connections open against a fresh Tandem server, then sends it SIGINT. */
async function idleThenStop(count: number, measureRss: boolean): Promise<void> {
  const server = await start("tandem", Deno.execPath(), tandemArgs);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = measureRss ? await rssKiB(server.child.pid) : 0;
  const conns: Deno.TcpConn[] = [];
  const one = new Uint8Array([0x2a]);
  const t0 = performance.now();
  while (conns.length < count) {
    const batch = Math.min(500, count - conns.length);
    conns.push(
      ...await Promise.all(Array.from({ length: batch }, async () => {
        const conn = await Deno.connect({ hostname: HOST, port: server.port });
        // One byte there and back: the server has accepted it and is reading.
        await conn.write(one);
        const back = new Uint8Array(1);
        if (await conn.read(back) !== 1) throw new Error("No echo");
        return conn;
      })),
    );
  }
  const connectMs = performance.now() - t0;
  const label = `${count.toLocaleString("en-US")} clients`;
  if (measureRss) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await rssKiB(server.child.pid);
    console.log(`Idle: ${label} held open (set up in ${(connectMs / 1000).toFixed(1)} s)`);
    console.log(`server RSS   before ${mib(before)}, with them ${mib(after)} (goal < 200 MB)`);
    console.log(
      `per conn     ${((after - before) / count).toFixed(1)} KiB (RSS growth / connections)`,
    );
  }
  const exit = await stop(server);
  let goodbyes = 0;
  const buffer = new Uint8Array(64);
  for (const conn of conns) {
    const n = await conn.read(buffer).catch(() => null);
    if (n !== null && new TextDecoder().decode(buffer.subarray(0, n)) === "shutting down\n") {
      goodbyes++;
    }
    conn.close();
  }
  console.log(
    `SIGINT with ${label.padStart(14)}: exit code ${exit.code} after ${
      Math.round(exit.ms)
    } ms (goal < 1000), ${goodbyes.toLocaleString("en-US")} received 'shutting down'`,
  );
}

if (IDLE > 0) await idleThenStop(IDLE, true);
await idleThenStop(100, false);

await Deno.remove(dir, { recursive: true });
