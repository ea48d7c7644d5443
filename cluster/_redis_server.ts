/**
 * Private: a throwaway `redis-server` from `PATH` on a free loopback port with a
 * temporary directory, for `deno task cluster:demo`, the benchmark and the tests.
 * Stopped by its PID.
 *
 * @module
 */

/** A running `redis-server`. */
export interface LocalRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The port. */
  readonly port: number;
  /** Its data directory (removed by `stop`). */
  readonly dir: string;
  /** Its process id. */
  readonly pid: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL), keeping its directory (to restart it with `restart`). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (after `kill`). */
  restart(): Promise<void>;
}

/** Options of {@linkcode startRedis}. */
export interface StartRedisOptions {
  /** Write an append-only file (`appendonly yes`), so that a restart keeps the jobs. */
  appendonly?: boolean;
}

/** Whether `redis-server` is on `PATH`. */
export async function hasRedisServer(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts `redis-server` and resolves once it accepts connections. */
export async function startRedis(options: StartRedisOptions = {}): Promise<LocalRedis> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-redis-" });
  const port = freePort();
  let child: Deno.ChildProcess;
  const spawn = async () => {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        options.appendonly ? "yes" : "no",
        "--appendfsync",
        "always",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
      // Its own process group: a terminal's Ctrl+C (SIGINT to the whole foreground
      // group) would stop it at once and leave the coordinator waiting on a dead Redis;
      // its owner stops it by PID instead.
      detached: true,
    }).spawn();
    // Read its log until it is ready, then let the rest drain.
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let log = "";
    while (!log.includes("Ready to accept connections")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Cannot start redis-server on port ${port}: ${log.slice(-500)}`);
      log += value;
    }
    (async () => {
      while (!(await reader.read()).done);
    })().catch(() => {});
  };
  try {
    await spawn();
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  const signalAndWait = async (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
    await child.status;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child.pid;
    },
    async stop() {
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 5_000);
      await signalAndWait("SIGTERM");
      clearTimeout(timer);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    kill: () => signalAndWait("SIGKILL"),
    restart: spawn,
  };
}
