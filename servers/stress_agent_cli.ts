/**
 * `deno task stress-agent --redis redis://HOST:6379 [--allow-targets host:port,...]`: a
 * stress agent on the command line. It joins the cluster on Redis and runs the shards
 * of distributed runs (`deno task stress URL --cluster redis://HOST:6379 --agents N`).
 *
 * Permissions: started with `--allow-run` (as `deno task stress-agent` is), it starts
 * itself again with the least it needs: `--allow-net` to the Redis host and to the
 * allowed targets only (loopback by default, so that whoever can write to the Redis
 * queue cannot turn the agent against a third party), `--allow-read` of Tandem's
 * `servers/` and `sync/` (the load generator's Workers are loaded at run time),
 * `--allow-env` (ioredis reads its settings) and `--allow-sys=hostname`.
 *
 * SIGINT/SIGTERM: a run in progress stops (its coordinator gets the partial counts),
 * the agent leaves the cluster, exit 0. Bad usage: exit 2; Redis unreachable: exit 1.
 *
 * @module
 */

import { runAsChild } from "../cluster/_relaunch.ts";
import { parseArgs } from "@std/cli/parse-args";
// Imported statically: a dynamic import of it resolved bullmq to a peer-dependency copy
// ('bullmq/6.7.0_1') that Deno 2.9.6 had not installed (ERR_MODULE_NOT_FOUND).
import { serveStressAgent } from "./stress_agent.ts";
import { interruptHandler } from "./_stress_interrupt.ts";

const CHILD_ENV = "TANDEM_STRESS_AGENT_CHILD";
const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

const USAGE = `Usage: deno task stress-agent --redis redis://HOST:6379 [options]

Options:
  --redis URL            Redis server of the cluster (redis:// or rediss://)  (required)
  --allow-targets LIST   hosts or host:port pairs this agent may load, comma-separated
                         (default: 127.0.0.1,localhost,[::1], any port)
  --id ID                the agent's id (default: a random UUID)
  --json                 one JSON line per event on stdout
  --help                 this text`;

class UsageError extends Error {}

interface AgentArgs {
  redis?: string;
  "allow-targets"?: string;
  id?: string;
  json?: boolean;
  help?: boolean;
}

function parse(raw: string[]): AgentArgs {
  const args = parseArgs(raw, {
    string: ["redis", "allow-targets", "id"],
    boolean: ["json", "help"],
    unknown: (flag: string) => {
      if (flag.startsWith("-")) throw new UsageError(`unknown flag '${flag}'`);
      throw new UsageError(`unexpected argument '${flag}'`);
    },
  });
  if (args.help) return args;
  if (!args.redis) throw new UsageError("--redis is required");
  let url: URL;
  try {
    url = new URL(args.redis);
  } catch {
    throw new UsageError(`--redis must be a redis:// URL: received '${args.redis}'`);
  }
  if ((url.protocol !== "redis:" && url.protocol !== "rediss:") || url.hostname === "") {
    throw new UsageError(`--redis must be a redis:// URL: received '${args.redis}'`);
  }
  if (args["allow-targets"] !== undefined && targets(args).some((t) => t === "")) {
    throw new UsageError(
      `--allow-targets must be a comma-separated list of host or host:port: received '${
        args["allow-targets"]
      }'`,
    );
  }
  return args;
}

function targets(args: AgentArgs): string[] {
  return args["allow-targets"] === undefined
    ? LOOPBACK
    : args["allow-targets"].split(",").map((t) => t.trim());
}

/** `host:port` of the Redis URL, for `--allow-net`. */
function redisHostPort(redis: string): string {
  const url = new URL(redis);
  return `${url.hostname}:${url.port === "" ? "6379" : url.port}`;
}

/** Starts this script again with the least permissions; resolves to its exit code. */
async function relaunch(args: AgentArgs, raw: string[]): Promise<number> {
  const read = ["./", "../sync/"].map((folder) => new URL(folder, import.meta.url))
    .filter((url) => url.protocol === "file:").map((url) => url.pathname);
  const flags = [
    "run",
    "--no-prompt",
    `--allow-net=${[redisHostPort(args.redis!), ...targets(args)].join(",")}`,
    "--allow-env",
    "--allow-sys=hostname",
  ];
  if (read.length > 0) flags.push(`--allow-read=${read.join(",")}`);
  return await runAsChild({
    flags,
    module: import.meta.url,
    args: raw,
    env: { [CHILD_ENV]: "1" },
    stdin: "null",
  });
}

/** Runs the agent in this process until a signal stops it. */
async function run(args: AgentArgs): Promise<number> {
  const json = args.json ?? false;
  const write = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(line));
  const controller = new AbortController();
  // The first signal stops the agent; a second one (not the same Ctrl+C passed on by
  // `deno task` within 1 s) exits at once.
  const onSignal = interruptHandler(controller, () => Deno.exit(130));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    let agent;
    try {
      agent = await serveStressAgent({
        redis: args.redis!,
        allowTargets: targets(args),
        id: args.id,
        signal: controller.signal,
        onEvent: (event) => {
          if (json) write(JSON.stringify({ time: new Date().toISOString(), ...event }) + "\n");
          else {
            console.error(
              `agent ${event.agent}: ${event.event}${event.runId ? ` run ${event.runId}` : ""}${
                event.detail ? ` (${event.detail})` : ""
              }`,
            );
          }
        },
      });
    } catch (error) {
      if (error instanceof TypeError) throw new UsageError(error.message);
      console.error(`stress-agent: ${(error as Error).message}`);
      return 1;
    }
    if (!json) {
      console.error(
        `agent ${agent.id}: waiting for plans on ${redisHostPort(args.redis!)}, targets ${
          targets(args).join(",")
        }`,
      );
    }
    await agent.finished;
    if (json) write(JSON.stringify({ time: new Date().toISOString(), event: "stopped" }) + "\n");
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

async function main(raw: string[]): Promise<number> {
  try {
    const args = parse(raw);
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    const canRun = Deno.permissions.querySync({ name: "run" }).state === "granted";
    if (canRun && Deno.env.get(CHILD_ENV) === undefined) return await relaunch(args, raw);
    return await run(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`stress-agent: ${error.message}\nRun 'deno task stress-agent --help' for usage.`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
