/**
 * `deno task echo`: the TCP echo server on the command line.
 *
 * ```sh
 * deno task echo [--host 127.0.0.1] [--port 9999] [--max-connections N] [--idle-timeout SECONDS] [--quiet]
 * ```
 *
 * Prints the address it listens on, logs connects and disconnects, and on SIGINT
 * (Ctrl+C) or SIGTERM sends `shutting down` to every client, closes every
 * connection and exits 0. A port in use, a bad host or a bad flag prints one line
 * and exits non-zero.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { type EchoConnectionInfo, type EchoDisconnectInfo, serveEcho } from "./echo_server.ts";
import { formatAddress } from "./_echo_format.ts";
import { delayError, integerError, type IntegerRange, MAX_DELAY_MS } from "../sync/_checks.ts";

/** Options of {@linkcode main}, for running the CLI inside a program or a test. */
export interface EchoCliOptions {
  /**
   * OS signals that shut the server down gracefully.
   *
   * @default {["SIGINT", "SIGTERM"]}
   */
  signals?: Deno.Signal[];
  /** Aborting it shuts the server down, as a signal does. */
  signal?: AbortSignal;
  /**
   * Where normal output goes, one line a call.
   *
   * @default {console.log}
   */
  stdout?: (line: string) => void;
  /**
   * Where the error line goes.
   *
   * @default {console.error}
   */
  stderr?: (line: string) => void;
}

/** How long clients get to take their `shutting down` line before being closed. */
const SHUTDOWN_GRACE_MS = 700;
/** The most a graceful shutdown may take before the CLI exits anyway. */
const EXIT_DEADLINE_MS = 900;
/** Above this many open connections at shutdown, their disconnects are not logged one by one. */
const LOG_EACH_CLOSE_MAX = 100;
/** The longest idle timeout a timer can wait, in seconds (2147483.647, 24.8 days). */
const MAX_IDLE_SECONDS = MAX_DELAY_MS / 1000;

const USAGE = `Usage: deno task echo [options]

A TCP echo server: every byte a client sends comes back to it.

Options:
  --host HOST              address to listen on (default 127.0.0.1)
  --port PORT              port to listen on, 0 for any free one (default 9999)
  --max-connections N      turn away clients past N open connections (default unlimited)
  --idle-timeout SECONDS   close a connection idle this long, 0 for never (default 0,
                           at most ${MAX_IDLE_SECONDS}: 24.8 days)
  --quiet                  do not log connects and disconnects
  -h, --help               print this help

Talk to it with 'nc 127.0.0.1 9999'; stop it with Ctrl+C. The task may listen on
loopback only; for another host run
'deno run --allow-net=HOST servers/echo_cli.ts --host HOST'.`;

interface ParsedFlags {
  _: (string | number)[];
  host?: string;
  port?: string;
  "max-connections"?: string;
  "idle-timeout"?: string;
  quiet: boolean;
  help: boolean;
}

class UsageError extends Error {}

/**
 * Runs the echo CLI until a signal (or `options.signal`) stops it.
 *
 * @param args The command-line arguments, e.g. `Deno.args`.
 * @param options Signals to handle and where output goes.
 * @returns The exit code: `0` after a clean shutdown or `--help`, `1` if the
 * server could not start, `2` for a bad flag.
 *
 * @example Run it in-process and stop it (this CLI module is not a package export)
 * ```ts
 * import { main } from "./echo_cli.ts";
 * import { assertEquals, assertMatch } from "@std/assert";
 *
 * const lines: string[] = [];
 * const controller = new AbortController();
 * const code = main(["--port", "0"], {
 *   signals: [],
 *   signal: controller.signal,
 *   stdout: (line) => {
 *     lines.push(line);
 *     controller.abort();
 *   },
 * });
 * assertEquals(await code, 0);
 * assertMatch(lines[0], /^Echo server listening on 127\.0\.0\.1:\d+/);
 * ```
 */
export async function main(args: string[], options: EchoCliOptions = {}): Promise<number> {
  const {
    signals = ["SIGINT", "SIGTERM"],
    signal,
    stdout = (line: string) => console.log(line),
    stderr = (line: string) => console.error(line),
  } = options;
  let flags: ParsedFlags;
  let settings: ReturnType<typeof toSettings>;
  try {
    flags = parseFlags(args);
    if (flags.help) {
      stdout(USAGE);
      return 0;
    }
    settings = toSettings(flags);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr(`echo: ${error.message}`);
    stderr("Run 'deno task echo --help' for usage.");
    return 2;
  }

  let server: ReturnType<typeof serveEcho>;
  let stoppedBy = "";
  // At shutdown with many clients, their disconnects are summed up by the "Shutting down"
  // line instead of logged one by one, so the CLI can exit as soon as every connection is
  // closed (`closedAll`) rather than wait for thousands of connection tasks to wind down.
  let logEachClose = !settings.quiet;
  const closedAll = Promise.withResolvers<void>();
  const hooks = settings.quiet ? {} : {
    onConnect: ({ remoteAddr }: EchoConnectionInfo) =>
      stdout(`+ ${formatAddress(remoteAddr)} connected (${server.connections} open)`),
    onDisconnect: ({ remoteAddr, reason, bytes, durationMs }: EchoDisconnectInfo) => {
      if (stoppedBy !== "" && !logEachClose) return;
      stdout(
        `- ${formatAddress(remoteAddr)} ${reason}: ${bytes} B echoed in ${
          (durationMs / 1000).toFixed(1)
        } s (${server.connections} open)`,
      );
    },
    onReject: (remoteAddr: Deno.NetAddr) =>
      stdout(`! ${formatAddress(remoteAddr)} turned away: ${server.connections} open`),
  };
  try {
    server = serveEcho({
      hostname: settings.host,
      port: settings.port,
      maxConnections: settings.maxConnections,
      idleTimeout: settings.idleTimeout,
      shutdownGrace: SHUTDOWN_GRACE_MS,
      onShutdown: () => closedAll.resolve(),
      ...hooks,
    });
  } catch (error) {
    stderr(`echo: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }

  const stopRequested = Promise.withResolvers<void>();
  const stop = (why: string) => {
    if (stoppedBy !== "") return;
    stoppedBy = why;
    stopRequested.resolve();
    const open = server.connections;
    logEachClose &&= open <= LOG_EACH_CLOSE_MAX;
    stdout(`Shutting down (${why}): closing ${open} connection${open === 1 ? "" : "s"}`);
    void server.shutdown();
  };
  const handlers = signals.map((name) => {
    const handler = () => stop(name);
    Deno.addSignalListener(name, handler);
    return [name, handler] as const;
  });
  const onAbort = () => stop("aborted");
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });

  stdout(`Echo server listening on ${formatAddress(server.addr)} (press Ctrl+C to stop)`);

  await Promise.race([server.finished, stopRequested.promise]);
  // The server resolves `finished` within its shutdown grace; a deadline still
  // guards the promise that Ctrl+C exits within a second.
  let deadline: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    server.finished,
    ...(logEachClose ? [] : [closedAll.promise]),
    new Promise<void>((resolve) => deadline = setTimeout(resolve, EXIT_DEADLINE_MS)),
  ]);
  clearTimeout(deadline);
  for (const [name, handler] of handlers) Deno.removeSignalListener(name, handler);
  signal?.removeEventListener("abort", onAbort);
  stdout("Stopped");
  return 0;
}

function parseFlags(args: string[]): ParsedFlags {
  const flags: ParsedFlags = parseArgs(args, {
    string: ["host", "port", "max-connections", "idle-timeout"],
    boolean: ["quiet", "help"],
    alias: { h: "help" },
    unknown: (arg: string, key?: string) => {
      if (/^-\d/.test(arg)) {
        // parseArgs takes `--port -1` for a flag `-1` after an empty `--port`.
        const flag = args[args.indexOf(arg) - 1] ?? "";
        const name = flag.startsWith("--") ? `'${flag}'` : "values";
        throw new UsageError(`Flag ${name} must not be negative: received '${arg}'`);
      }
      if (key === undefined) throw new UsageError(`Unexpected argument '${arg}'`);
      throw new UsageError(`Unknown flag '${arg.split("=")[0]}'`);
    },
  });
  return flags;
}

function toSettings(flags: ParsedFlags): {
  host: string;
  port: number;
  maxConnections: number;
  idleTimeout: number;
  quiet: boolean;
} {
  const host = flags.host ?? "127.0.0.1";
  if (host === "") throw new UsageError(`Flag '--host' needs a value: received ''`);
  return {
    host,
    port: integerFlag("port", flags.port, 9999, { min: 0, max: 65535 }),
    maxConnections: integerFlag("max-connections", flags["max-connections"], Infinity, { min: 1 }),
    idleTimeout: secondsFlag("idle-timeout", flags["idle-timeout"]),
    quiet: flags.quiet,
  };
}

function integerFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  range: IntegerRange,
): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (integerError(n, name, "", range) !== undefined) {
    const wanted = range.max === undefined
      ? `a positive integer`
      : `an integer from ${range.min} to ${range.max}`;
    throw new UsageError(`Flag '--${name}' must be ${wanted}: received '${value}'`);
  }
  return n;
}

function secondsFlag(name: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) {
    throw new UsageError(
      `Flag '--${name}' must be a non-negative number of seconds: received '${value}'`,
    );
  }
  // A timer cannot wait longer: 30 days fired after 1 ms, over and over.
  if (delayError(n * 1000, name, "") !== undefined) {
    throw new UsageError(
      `Flag '--${name}' must be a number of seconds from 0 to ${MAX_IDLE_SECONDS}: received '${value}'`,
    );
  }
  return n * 1000;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
