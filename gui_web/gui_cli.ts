// Copyright 2026 the Tandem authors. MIT license.
/**
 * `deno task gui [--port 8000] [--host 127.0.0.1] [--allow-host NAME]... [--history DIR]`:
 * serves the load tester's web GUI and prints the URL to open. With `--history DIR`, every
 * run's report is kept in DIR as JSON (that of `deno task stress --json`) across restarts. Ctrl+C (or SIGTERM) cancels any run and
 * stops the server within about a second, whatever its clients do; a second Ctrl+C exits
 * at once.
 *
 * The task allows network access to loopback only, so the GUI can stress only servers on
 * this machine. To stress another host, widen `--allow-net`, e.g.
 * `deno run --allow-net=127.0.0.1,localhost,[::1],example.com gui_web/gui_cli.ts`.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { serveGui } from "./gui_server.ts";
import { integerError } from "../sync/_checks.ts";

const USAGE =
  `Usage: deno task gui [--port 8000] [--host 127.0.0.1] [--allow-host NAME]... [--history DIR]

Serves the load tester's web GUI and prints the URL to open. Ctrl+C stops it
(a second Ctrl+C exits at once).

  -p, --port N         port to listen on, 0 for any free one (default 8000)
      --host NAME      host name or address to bind to (default 127.0.0.1)
      --allow-host H   also accept requests whose Host header is H (repeatable)
      --history DIR    keep every run's report in DIR as JSON across restarts
                       (the JSON of 'deno task stress --json': drop such files in
                       to open and compare them)
  -h, --help           show this help

The GUI may only stress hosts that --allow-net grants; 'deno task gui' grants loopback.`;

interface CliArgs {
  port?: string;
  host?: string;
  "allow-host"?: string[];
  history?: string;
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
    string: ["port", "host", "allow-host", "history"],
    boolean: ["help"],
    collect: ["allow-host"],
    alias: { p: "port", h: "help" },
    unknown: (arg: string) => {
      unknown ??= arg;
      return false;
    },
  });
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

  const controller = new AbortController();
  // The first signal stops the server gracefully; a second one, from a user who will not
  // wait, exits now (128 + the signal's number, as a shell reports it).
  const stop = (name: Deno.Signal) => {
    if (!controller.signal.aborted) {
      controller.abort();
      return;
    }
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
  }
}

if (import.meta.main) await main(Deno.args);
