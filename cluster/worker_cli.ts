/**
 * `deno task worker --redis redis://HOST:6379 --queue demo ./tasks.ts`: a cluster
 * worker on the command line. It takes the queue's jobs and runs them in a local
 * `WorkerPool` (`--threads N`, default the cores) or `ProcessPool` (`--processes`).
 *
 * Permissions: started with `--allow-run` (as `deno task worker` is), it starts
 * itself again with the least it needs: `--allow-net` to the Redis host only,
 * `--allow-read` of the task module's folder and of Tandem's `pool/` and `sync/`
 * (local modules loaded at run time need it), `--allow-env` (ioredis and BullMQ read
 * their settings from the environment) and `--allow-sys=hostname`. Tasks that need
 * more say so with deno's own flags after the worker's (`--allow-net=HOSTS`,
 * `--allow-read=PATHS`, `--allow-env`, …): with `--processes` they are the task
 * processes' only grants (a `ProcessPool`'s `permissions`), with threads they are
 * added to the relaunched worker's. Started without `--allow-run`, it runs as it is,
 * with the permissions it was given (and exits 2 if threads' tasks ask for more).
 *
 * SIGINT/SIGTERM: stop taking jobs, let running ones finish within `--grace`
 * seconds, hand the others back to the queue, exit 0; a second signal exits at once
 * (130). A module that fails to load: exit 1. Bad usage, or Redis not answering
 * within `--connect-timeout` seconds (5) at start: exit 2.
 *
 * @module
 */

import { runAsChild } from "./_relaunch.ts";
import { parseArgs } from "@std/cli/parse-args";
import { hostPort, RedisConnectError } from "./_redis.ts";
import {
  grantFlags,
  missingGrants,
  PermissionFlagError,
  takePermissionFlags,
} from "./_task_permissions.ts";
import type { ProcessPermissions } from "../pool/types.ts";
import type { ClusterWorker, ClusterWorkerEvent } from "./worker.ts";

const USAGE = `Usage: deno task worker --redis redis://HOST:6379 --queue NAME [options] TASK_MODULE

Options:
  --redis URL         Redis server (redis:// or rediss://)            (required)
  --queue NAME        BullMQ queue name                               (required)
  --threads N         threads of the local WorkerPool (default: the cores)
  --processes         run tasks in a ProcessPool of N deno subprocesses
  --concurrency N     most jobs held at once (default: threads; more hides the
                      Redis round trip between tiny jobs, but holds jobs back
                      while another worker may be idle)
  --lease-ms MS       lock duration / stalled check (default: the queue's, else 30000)
  --grace S           seconds running jobs get on SIGINT/SIGTERM (default: 10)
  --connect-timeout S seconds the first connection to Redis may take (default: 5)
  --name NAME         worker name (default: HOST:PID)
  --prefix P          BullMQ key prefix (default: bull)
  --deno-arg FLAG     extra deno flag for the worker process, e.g. --v8-flags=--max-old-space-size=4096
  --json              one JSON line per event on stdout instead of a status line
  --help              this text

Task permissions (what tasks may do; deno's syntax, repeatable, none by default):
  --allow-read[=PATHS]  --allow-write[=PATHS]  --allow-net[=HOSTS]  --allow-env[=VARS]
  --allow-run[=PROGRAMS]  --allow-sys[=APIS]  --allow-ffi[=PATHS]  --allow-import[=HOSTS]
                      with --processes, the task processes get exactly these; with
                      threads, they are added to the worker's own least grants (started
                      without --allow-run, it cannot add them: it exits 2 if it lacks one)
  e.g. --processes --allow-net=api.example.com:443 --allow-read=/data --allow-env=TOKEN`;

const CHILD_ENV = "TANDEM_CLUSTER_WORKER_CHILD";
/** Signals closer than this are one (a terminal's Ctrl-C reaches us and our parent). */
const SAME_SIGNAL_MS = 300;

interface WorkerArgs {
  redis?: string;
  queue?: string;
  threads?: string;
  concurrency?: string;
  "lease-ms"?: string;
  grace?: string;
  "connect-timeout"?: string;
  name?: string;
  prefix?: string;
  "deno-arg"?: string[];
  processes?: boolean;
  json?: boolean;
  help?: boolean;
  /** The task permission flags (`--allow-*`). */
  permissions: ProcessPermissions;
  _: (string | number)[];
}

class UsageError extends Error {}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number: received '${value}'`);
  return n;
}

/** A number of seconds given on the command line, in milliseconds. */
function seconds(value: string | undefined, flag: string): number | undefined {
  const n = number(value, flag);
  return n === undefined ? undefined : Math.round(n * 1000);
}

function parse(args: string[]): WorkerArgs {
  let taken: { permissions: ProcessPermissions; rest: string[] };
  try {
    taken = takePermissionFlags(args);
  } catch (error) {
    if (error instanceof PermissionFlagError) throw new UsageError(error.message);
    throw error;
  }
  const parsed = parseArgs(taken.rest, {
    string: [
      "redis",
      "queue",
      "threads",
      "concurrency",
      "lease-ms",
      "grace",
      "connect-timeout",
      "name",
      "prefix",
    ],
    boolean: ["processes", "json", "help"],
    collect: ["deno-arg"],
    unknown: (arg: string) => {
      if (arg.startsWith("-")) throw new UsageError(`unknown option '${arg}'`);
      return true;
    },
  }) as WorkerArgs;
  parsed.permissions = taken.permissions;
  if (parsed.help) return parsed;
  if (parsed.redis === undefined) throw new UsageError("--redis is required");
  if (parsed.queue === undefined) throw new UsageError("--queue is required");
  if (parsed._.length !== 1) throw new UsageError("give exactly one task module");
  return parsed;
}

function moduleUrl(path: string): URL {
  return /^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:\\/i.test(path)
    ? new URL(path)
    : new URL(path, `file://${Deno.cwd()}/`);
}

/**
 * The folders a worker reads: the task module's, and Tandem's `pool/` and `sync/`
 * (a task module imports `getTaskContext` or `sync/`, and Deno asks read permission
 * for local modules loaded at run time: the task module and the pool's workers).
 */
export function readPaths(module: URL): string[] {
  const paths: string[] = [];
  if (module.protocol === "file:") paths.push(new URL(".", module).pathname);
  for (const folder of ["../pool/", "../sync/"]) {
    const url = new URL(folder, import.meta.url);
    if (url.protocol === "file:") paths.push(url.pathname);
  }
  return paths;
}

/** Starts this script again with the least permissions; resolves to its exit code. */
async function relaunch(args: WorkerArgs, raw: string[]): Promise<number> {
  const url = moduleUrl(String(args._[0]));
  let redis: URL;
  try {
    redis = new URL(args.redis!);
  } catch {
    throw new UsageError(`--redis must be a redis:// URL: received '${args.redis}'`);
  }
  const own: ProcessPermissions = {
    net: [hostPort(redis)],
    env: true,
    sys: ["hostname"],
    read: readPaths(url),
  };
  if (args.processes) own.run = [Deno.execPath()];
  // Threads share this process's grants: the tasks' go to it. Task processes get
  // theirs from the ProcessPool, not from this process.
  const flags = ["run", "--no-prompt", ...grantFlags(own, args.processes ? {} : args.permissions)];
  return await runAsChild({
    flags: [...flags, ...(args["deno-arg"] ?? [])],
    module: import.meta.url,
    args: raw,
    env: { [CHILD_ENV]: "1" },
    stdin: "null",
  });
}

/** Runs the worker in this process until a signal stops it. */
async function run(args: WorkerArgs): Promise<number> {
  const json = args.json ?? false;
  const encoder = new TextEncoder();
  const write = (line: string) => Deno.stdout.writeSync(encoder.encode(line));
  const log = (record: Record<string, unknown>) => {
    if (json) write(JSON.stringify({ time: new Date().toISOString(), ...record }) + "\n");
  };
  const terminal = !json && Deno.stderr.isTerminal();
  if (!args.processes) {
    const missing = missingGrants(args.permissions);
    if (missing.length > 0) {
      throw new UsageError(
        `tasks run in this process's threads, which lacks ${
          missing.join(" ")
        } (start it with --allow-run to let it relaunch itself with them, or with those grants)`,
      );
    }
  }
  // Loaded here, not at the top: the launcher never needs BullMQ.
  const { ClusterWorker } = await import("./worker.ts");
  let worker: ClusterWorker;
  try {
    worker = new ClusterWorker(moduleUrl(String(args._[0])), {
      redis: args.redis!,
      queue: args.queue!,
      threads: number(args.threads, "threads"),
      processes: args.processes,
      permissions: args.processes ? args.permissions : undefined,
      concurrency: number(args.concurrency, "concurrency"),
      leaseMs: number(args["lease-ms"], "lease-ms"),
      graceMs: (number(args.grace, "grace") ?? 10) * 1000,
      connectTimeout: seconds(args["connect-timeout"], "connect-timeout"),
      name: args.name,
      prefix: args.prefix,
      // Only --json logs events: without it, no record is built per job.
      onEvent: json
        ? (event: ClusterWorkerEvent) => log({ event: event.type, ...event, type: undefined })
        : undefined,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  try {
    await worker.start();
  } catch (error) {
    console.error(`worker: ${(error as Error).message}`);
    await worker.close({ graceMs: 0 });
    // An unreachable Redis is a usage error (a wrong URL), as for stress: 2.
    return error instanceof RedisConnectError ? 2 : 1;
  }
  log({ event: "started", worker: worker.name, queue: args.queue });
  if (!json) console.error(`worker ${worker.name}: taking jobs of queue '${args.queue}'`);

  let last = { at: performance.now(), done: 0 };
  const status = terminal
    ? setInterval(() => {
      const s = worker.stats;
      const now = performance.now();
      const rate = (s.done - last.done) / ((now - last.at) / 1000);
      last = { at: now, done: s.done };
      Deno.stderr.writeSync(
        new TextEncoder().encode(
          `\r\x1b[Kdone ${s.done}  running ${s.running}  failed ${s.failed}  ${rate.toFixed(0)}/s`,
        ),
      );
    }, 1_000)
    : undefined;

  const { promise: stopped, resolve: stop } = Promise.withResolvers<string>();
  let first = 0;
  const onSignal = (signal: Deno.Signal) => () => {
    const now = performance.now();
    if (first === 0) {
      first = now;
      stop(signal);
    } else if (now - first > SAME_SIGNAL_MS) {
      log({ event: "killed", signal });
      Deno.exit(130);
    }
  };
  const onInt = onSignal("SIGINT"), onTerm = onSignal("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  const signal = await stopped;
  clearInterval(status);
  if (terminal) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  log({ event: "stopping", signal, running: worker.stats.running });
  if (!json) console.error(`worker ${worker.name}: ${signal}, stopping`);
  await worker.close();
  Deno.removeSignalListener("SIGINT", onInt);
  Deno.removeSignalListener("SIGTERM", onTerm);
  log({ event: "stopped", ...worker.stats });
  if (!json) console.error(`worker ${worker.name}: stopped (${JSON.stringify(worker.stats)})`);
  return 0;
}

async function main(raw: string[]): Promise<number> {
  let args: WorkerArgs;
  try {
    args = parse(raw);
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    const canRun = Deno.permissions.querySync({ name: "run" }).state === "granted";
    if (canRun && Deno.env.get(CHILD_ENV) === undefined) return await relaunch(args, raw);
    return await run(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`worker: ${error.message}\nRun 'deno task worker --help' for usage.`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
