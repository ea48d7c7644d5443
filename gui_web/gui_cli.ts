// Copyright 2026 the Tandem authors. MIT license.
/**
 * `deno task gui [--port 8000] [--host 127.0.0.1] [--allow-host NAME]... [--history DIR]
 * [--cluster REDIS|local --agents N]`: serves the load tester's web GUI and prints the URL
 * to open. With `--history DIR`, every run's report is kept in DIR as JSON (that of
 * `deno task stress --json`) across restarts. With `--cluster`, runs go to N stress agents
 * through Redis (`local`: a redis-server and N agents started here) and the page shows
 * them. Ctrl+C (or SIGTERM) cancels any run and stops the server within about a second,
 * whatever its clients do; a second Ctrl+C exits at once.
 *
 * The task grants `--allow-run` only so that `--cluster` can start this script again with
 * what the coordinator needs besides (`--allow-env` and `--allow-sys=hostname` for
 * ioredis, net to Redis, and for `local` running redis-server and deno; BullMQ preloaded,
 * as `deno task stress --cluster` does); without `--cluster` it gives run permission up
 * at once.
 *
 * The task allows network access to loopback only, so the GUI can stress only servers on
 * this machine. To stress another host, widen `--allow-net`, e.g.
 * `deno run --allow-net=127.0.0.1,localhost,[::1],example.com gui_web/gui_cli.ts`.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { type GuiClusterOptions, serveGui } from "./gui_server.ts";
import { integerError } from "../sync/_checks.ts";
import { runAsChild } from "../cluster/_relaunch.ts";

const USAGE =
  `Usage: deno task gui [--port 8000] [--host 127.0.0.1] [--allow-host NAME]... [--history DIR]
                     [--cluster REDIS|local --agents N]

Serves the load tester's web GUI and prints the URL to open. Ctrl+C stops it
(a second Ctrl+C exits at once).

  -p, --port N         port to listen on, 0 for any free one (default 8000)
      --host NAME      host name or address to bind to (default 127.0.0.1)
      --allow-host H   also accept requests whose Host header is H (repeatable)
      --history DIR    keep every run's report in DIR as JSON across restarts
                       (the JSON of 'deno task stress --json': drop such files in
                       to open and compare them)
      --cluster REDIS  send every run to stress agents on REDIS (redis://HOST:6379), or
                       'local': start redis-server and --agents agents here
      --agents N       how many agents share each run (needs --cluster)
  -h, --help           show this help

The GUI may only stress hosts that --allow-net grants; 'deno task gui' grants loopback.`;

interface CliArgs {
  port?: string;
  host?: string;
  "allow-host"?: string[];
  history?: string;
  cluster?: string;
  agents?: string;
  help?: boolean;
  _: (string | number)[];
}

function fail(message: string): never {
  console.error(`gui: ${message}\n\n${USAGE}`);
  Deno.exit(2);
}

async function main(args: string[]): Promise<void> {
  let unknown: string | undefined;
  const flags: CliArgs = parseArgs(args, {
    string: ["port", "host", "allow-host", "history", "cluster", "agents"],
    boolean: ["help"],
    collect: ["allow-host"],
    alias: { p: "port", h: "help" },
    unknown: (arg: string) => {
      unknown ??= arg;
      return false;
    },
  });
  if (flags.cluster === undefined) revokeRun();
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  if (unknown !== undefined) fail(`Cannot parse arguments as '${unknown}' is not a known option`);
  const raw = flags.port ?? "8000";
  const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (integerError(port, "--port", "Cannot serve", { min: 0, max: 65535 }) !== undefined) {
    fail(`Cannot serve as '--port' must be an integer from 0 to 65535: received '${raw}'`);
  }
  const hostname = flags.host ?? "127.0.0.1";
  if (hostname === "") fail("Cannot serve as '--host' must not be empty");
  const historyDir = flags.history;
  if (historyDir === "") fail("Cannot serve as '--history' must not be empty");
  const cluster = parseCluster(flags);
  if (cluster !== undefined && !isChild()) {
    if (Deno.permissions.querySync({ name: "run" }).state !== "granted") {
      fail(
        "Cannot serve with '--cluster' as run permission is missing: run 'deno task gui' or add --allow-run (it starts itself again with the least grants)",
      );
    }
    Deno.exit(await relaunch(cluster, hostname, args));
  }
  let local: AsyncDisposable | undefined;
  let clusterOptions: GuiClusterOptions | undefined;
  if (cluster !== undefined) {
    clusterOptions = cluster;
    if (cluster.redis === "local") {
      const coordinator = "../servers/_stress_cluster.ts";
      const { startLocalCluster } =
        (await import(coordinator)) as typeof import("../servers/_stress_cluster.ts");
      let started: Awaited<ReturnType<typeof startLocalCluster>>;
      try {
        started = await startLocalCluster(cluster.agents);
      } catch (error) {
        // e.g. no redis-server on PATH: one line, as the stress CLI says it
        console.error(`gui: ${error instanceof Error ? error.message : String(error)}`);
        Deno.exit(2);
      }
      local = started;
      clusterOptions = { redis: started.redis, agents: cluster.agents };
      const agents = `${cluster.agents} ${cluster.agents === 1 ? "agent" : "agents"}`;
      console.log(`Tandem GUI: started redis-server at ${started.redis} and ${agents}`);
    }
  }

  const controller = new AbortController();
  // The first signal stops the server gracefully; a second one, from a user who will not
  // wait, exits now (128 + the signal's number, as a shell reports it).
  // The child `--cluster` starts gets a terminal's Ctrl+C twice, from the terminal and
  // passed on by its parent: a second one within 1 s is the same one.
  const child = cluster !== undefined;
  let firstAt = 0;
  const stop = (name: Deno.Signal) => {
    if (!controller.signal.aborted) {
      firstAt = performance.now();
      controller.abort();
      return;
    }
    if (child && performance.now() - firstAt < 1000) return;
    console.error(`Tandem GUI: ${name} again, exiting now`);
    Deno.exit(name === "SIGTERM" ? 143 : 130);
  };
  const handlers = new Map<Deno.Signal, () => void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const name of signals) {
    const handler = () => stop(name);
    handlers.set(name, handler);
    Deno.addSignalListener(name, handler);
  }
  try {
    let gui;
    try {
      gui = serveGui({
        hostname,
        port,
        signal: controller.signal,
        allowedHosts: flags["allow-host"] ?? [],
        historyDir,
        ...(clusterOptions && { cluster: clusterOptions }),
      });
    } catch (error) {
      if (historyDir !== undefined && /^Cannot keep history/.test((error as Error).message)) {
        // One line: the folder is named in it, the usage would only bury it.
        console.error(`gui: ${(error as Error).message}`);
        Deno.exit(2);
      }
      if (error instanceof Deno.errors.AddrInUse) {
        fail(`Cannot serve as port ${port} is in use: pass another with --port`);
      }
      if (
        error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ) {
        fail(`Cannot serve on '${hostname}' as --allow-net does not grant it: widen --allow-net`);
      }
      throw error;
    }
    console.log(`Tandem GUI: open ${gui.url}  (Ctrl+C to stop)`);
    await gui.finished;
    console.log("Tandem GUI: stopped");
  } finally {
    for (const [name, handler] of handlers) Deno.removeSignalListener(name, handler);
    await local?.[Symbol.asyncDispose]();
  }
}

/** `--cluster` and `--agents`, checked; `undefined` without them. */
function parseCluster(flags: CliArgs): GuiClusterOptions | undefined {
  if (flags.cluster === undefined) {
    if (flags.agents !== undefined) fail("Cannot serve as '--agents' needs '--cluster'");
    return undefined;
  }
  if (flags.agents === undefined) fail("Cannot serve as '--cluster' needs '--agents N'");
  const agents = /^\d+$/.test(flags.agents) ? Number(flags.agents) : NaN;
  if (!(Number.isInteger(agents) && agents >= 1 && agents <= 1000)) {
    fail(
      `Cannot serve as '--agents' must be an integer from 1 to 1000: received '${flags.agents}'`,
    );
  }
  const redis = flags.cluster;
  if (redis !== "local" && !/^rediss?:\/\/[^/]/.test(redis)) {
    fail(`Cannot serve as '--cluster' must be a redis:// URL or 'local': received '${redis}'`);
  }
  return { redis, agents };
}

/** Set in the environment of the child that `--cluster` starts with exact grants. */
const CHILD_ENV = "TANDEM_GUI_CHILD";
const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

/** Gives up run permission (granted only for `--cluster`'s relaunch) when it is not needed. */
function revokeRun(): void {
  if (Deno.permissions.querySync({ name: "run" }).state === "granted") {
    Deno.permissions.revokeSync({ name: "run" });
  }
}

/** Whether this is the child `--cluster` started (it always has `--allow-env`). */
function isChild(): boolean {
  const env = Deno.permissions.querySync({ name: "env", variable: CHILD_ENV }).state;
  return env === "granted" && Deno.env.get(CHILD_ENV) !== undefined;
}

/**
 * Starts this script again with what the coordinator needs besides the task's grants;
 * resolves to its exit code (SIGINT and SIGTERM are passed on).
 */
async function relaunch(
  cluster: GuiClusterOptions,
  hostname: string,
  args: string[],
): Promise<number> {
  const net = new Set([...LOOPBACK, hostname]);
  if (cluster.redis !== "local") {
    const url = new URL(cluster.redis);
    net.add(`${url.hostname}:${url.port === "" ? "6379" : url.port}`);
  }
  const flags = [
    "run",
    "--no-prompt",
    `--allow-net=${[...net].join(",")}`,
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys=hostname",
  ];
  if (cluster.redis === "local") flags.push(`--allow-run=redis-server,${Deno.execPath()}`);
  // Preloaded so that BullMQ is in the start-up graph: a dynamic import alone resolved it
  // to a peer-dependency copy that Deno 2.9.6 had not installed (a fresh cache).
  flags.push(`--preload=${new URL("../servers/_stress_cluster.ts", import.meta.url).href}`);
  return await runAsChild({ flags, module: import.meta.url, args, env: { [CHILD_ENV]: "1" } });
}

if (import.meta.main) await main(Deno.args);
