/**
 * {@linkcode ProcessPool}: the same executor as `WorkerPool`, each worker a
 * `deno` subprocess (Python's `multiprocessing`, literally). A task that
 * overruns its timeout or is cancelled is killed for real; a crash (exit code,
 * signal, out of memory) fails only its own task; each pool runs its workers
 * with the Deno permissions you give it (none by default beyond reading the task
 * module), and optionally a heap cap.
 *
 * Data crosses the pipe as `node:v8` structured-clone frames. The workers' console
 * output goes to this process's stderr. `sync/` objects cannot be shared with a
 * process (no shared memory): use `WorkerPool` for them.
 *
 * @module
 */

import { encodeFrame, FrameDecoder } from "./_frames.ts";
import { resolveModule } from "./_module_url.ts";
import { type Channel, type ChannelEvents, PoolCore } from "./_pool_core.ts";
import type { Task } from "./task.ts";
import type {
  MapOptions,
  PoolOptions,
  PoolStats,
  ShutdownOptions,
  SubmitOptions,
  TaskArgs,
  TaskFunction,
  TaskInput,
  TaskName,
  TaskResult,
} from "./types.ts";

const PROCESS_MAIN = new URL("./_process_main.ts", import.meta.url);

/**
 * A permission: `true` for all, or a list of allowed values (paths, hosts, names).
 *
 * @example Allow a list or everything
 * ```ts
 * import type { PermissionValue } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const hosts: PermissionValue = ["127.0.0.1:8080"];
 * assertEquals(Array.isArray(hosts), true);
 * ```
 */
export type PermissionValue = boolean | string[];

/**
 * Deno permissions of a `ProcessPool`'s workers, mapped to `--allow-*` flags.
 *
 * @example A sandbox that may only reach one host
 * ```ts
 * import type { ProcessPermissions } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const permissions: ProcessPermissions = { net: ["127.0.0.1:8080"], env: false };
 * assertEquals(permissions.net, ["127.0.0.1:8080"]);
 * ```
 */
export interface ProcessPermissions {
  /** `--allow-read` (loading the task module and its imports needs none). */
  read?: PermissionValue;
  /** `--allow-write`. */
  write?: PermissionValue;
  /** `--allow-net`. */
  net?: PermissionValue;
  /** `--allow-env`. */
  env?: PermissionValue;
  /** `--allow-run`. */
  run?: PermissionValue;
  /** `--allow-sys`. */
  sys?: PermissionValue;
  /** `--allow-ffi`. */
  ffi?: PermissionValue;
  /** `--allow-import`. */
  import?: PermissionValue;
}

/**
 * Options of a {@linkcode ProcessPool}.
 *
 * @example Cap memory and grant permissions
 * ```ts
 * import { ProcessPool, type ProcessPoolOptions } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const options: ProcessPoolOptions = { size: 1, maxMemoryMb: 128, permissions: {} };
 * await using pool = new ProcessPool(options);
 * assertEquals(pool.size, 1);
 * ```
 */
export interface ProcessPoolOptions extends PoolOptions {
  /**
   * The workers' permissions: none by default (the task module and its static
   * imports load without any).
   *
   * @default {{}}
   */
  permissions?: ProcessPermissions;
  /** Heap cap of each worker in MiB (`--v8-flags=--max-old-space-size`). */
  maxMemoryMb?: number;
  /** Extra arguments for `deno run` (before the script), e.g. `["--no-config"]`. */
  denoArgs?: string[];
}

/**
 * Builds the `deno run` flags for a pool's workers.
 *
 * @param module The task module URL.
 * @param options The pool options.
 * @returns The flags.
 */
function denoFlags(options: ProcessPoolOptions): string[] {
  const flags = ["--no-prompt", "--no-lock"];
  const permissions = options.permissions ?? {};
  for (const name of ["read", "write", "net", "env", "run", "sys", "ffi", "import"] as const) {
    const value = permissions[name];
    if (value === true) flags.push(`--allow-${name}`);
    else if (Array.isArray(value) && value.length > 0) {
      flags.push(`--allow-${name}=${value.join(",")}`);
    } else if (value !== undefined && value !== false && !Array.isArray(value)) {
      throw new TypeError(
        `Cannot create process pool as permission '${name}' must be a boolean or a list: received ${typeof value}`,
      );
    }
  }
  if (options.maxMemoryMb !== undefined) {
    const mb = options.maxMemoryMb;
    if (!Number.isInteger(mb) || mb < 8) {
      throw new RangeError(
        `Cannot create process pool as 'maxMemoryMb' must be an integer of at least 8: received ${mb}`,
      );
    }
    flags.push(`--v8-flags=--max-old-space-size=${mb}`);
  }
  return [...flags, ...(options.denoArgs ?? [])];
}

function processChannel(flags: string[], module: URL | undefined, memoryCapped: boolean) {
  // The task module is imported statically by the entry point: loading it and its
  // own imports needs no read permission.
  const entry = module === undefined ? PROCESS_MAIN.href : "data:application/typescript," +
    encodeURIComponent(
      `import * as m from ${JSON.stringify(module.href)};\n` +
        `import { startProcessWorker } from ${JSON.stringify(PROCESS_MAIN.href)};\n` +
        `await startProcessWorker(m);\n`,
    );
  return (name: string, events: ChannelEvents): Channel => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, entry, name],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const writer = child.stdin.getWriter();
    let killed = false;
    let stderrTail = "";
    const readStdout = (async () => {
      const decoder = new FrameDecoder();
      try {
        for await (const chunk of child.stdout) {
          for (const message of decoder.push(chunk)) {
            if (!killed) events.message(message as { t: number });
          }
        }
      } catch { /* the pipe broke: the exit status tells why */ }
    })();
    const readStderr = (async () => {
      const text = new TextDecoder();
      try {
        for await (const chunk of child.stderr) {
          if (!killed) await Deno.stderr.write(chunk).catch(() => 0);
          stderrTail = (stderrTail + text.decode(chunk, { stream: true })).slice(-2000);
        }
      } catch { /* ignore */ }
    })();
    const closed = (async () => {
      const status = await child.status;
      await Promise.all([readStdout, readStderr]);
      await writer.close().catch(() => {});
      if (!killed) {
        killed = true;
        const oom = /out of memory|heap limit/i.test(stderrTail);
        const how = status.signal
          ? `killed by ${status.signal}`
          : `exited with code ${status.code}`;
        const line = oom ? "" : /(?:^|\n)(error[^\n]*)/i.exec(stderrTail)?.[1];
        const detail = line ? `: ${line}` : "";
        events.exit(
          `${how}${
            oom ? " (out of memory)" : memoryCapped && status.signal ? " (out of memory?)" : ""
          }${detail}`,
        );
      }
    })();
    return {
      post(message: unknown): void {
        let frame: Uint8Array;
        try {
          frame = encodeFrame(message);
        } catch (error) {
          throw new DOMException(
            error instanceof Error ? error.message : String(error),
            "DataCloneError",
          );
        }
        writer.write(frame).catch(() => {});
      },
      kill(): Promise<void> {
        if (!killed) {
          killed = true;
          try {
            child.kill("SIGKILL");
          } catch { /* already exited */ }
        }
        return closed;
      },
      ctl: undefined,
      hardKill: true,
      kind: "process",
    };
  };
}

/**
 * A pool of `deno` subprocesses with the interface of `WorkerPool`.
 *
 * Use it for untrusted or crash-prone tasks, for tasks that must be stopped
 * mid-loop (Deno 2.9.6 cannot preempt a Web Worker), or to cap a task's memory.
 * Its per-task overhead is higher than `WorkerPool`'s (see the README).
 *
 * @typeParam M The task module's type (`typeof import("./tasks.ts")`).
 *
 * @example Run exports in subprocesses
 * ```ts ignore
 * import { ProcessPool } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new ProcessPool<typeof import("./tasks.ts")>(
 *   new URL("./tasks.ts", import.meta.url),
 *   { size: 2, permissions: { net: ["127.0.0.1"] }, maxMemoryMb: 256 },
 * );
 * assertEquals(await pool.submit("add", [1, 2]), 3);
 * ```
 *
 * @example Run a self-contained function in a sandboxed subprocess
 * ```ts
 * import { ProcessPool } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new ProcessPool({ size: 1 });
 * assertEquals(await pool.submit((x: number) => x * 2, [21]), 42);
 * ```
 */
export class ProcessPool<M = Record<string, TaskFunction>> implements AsyncDisposable {
  #core: PoolCore;

  /**
   * Creates a process pool for the exports of a task module.
   *
   * @param module The task module's URL, or a path relative to the working directory.
   * @param options The pool options, `permissions` and `maxMemoryMb`.
   * @throws {TypeError} When the module file does not exist or a permission is malformed.
   * @throws {RangeError} When `size`, `maxMemoryMb` or another option is out of range.
   */
  constructor(module: string | URL, options?: ProcessPoolOptions);
  /**
   * Creates a process pool for self-contained functions.
   *
   * @param options The pool options.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options?: ProcessPoolOptions);
  constructor(moduleOrOptions?: string | URL | ProcessPoolOptions, options?: ProcessPoolOptions) {
    let url: URL | undefined;
    if (typeof moduleOrOptions === "string" || moduleOrOptions instanceof URL) {
      url = resolveModule(moduleOrOptions, "process pool");
    } else {
      options = moduleOrOptions;
    }
    options ??= {};
    this.#core = new PoolCore(
      processChannel(denoFlags(options), url, options.maxMemoryMb !== undefined),
      url?.href,
      options,
    );
  }

  /**
   * The configured number of worker processes.
   *
   * @returns The pool size.
   */
  get size(): number {
    return this.#core.size;
  }

  /**
   * A snapshot of the pool's counters; `workers` is 0 once every process ended.
   *
   * @returns The counters.
   */
  get stats(): PoolStats {
    return this.#core.stats;
  }

  /**
   * Runs an export of the task module in a worker process.
   *
   * @param name The export's name.
   * @param args Its arguments.
   * @param options `signal`, `timeout` (the process is killed when it passes).
   * @returns The task; a failure rejects it.
   * @throws {TypeError} When `args` is not an array.
   */
  submit<K extends TaskName<M>>(
    name: K,
    args: TaskArgs<M, K>,
    options?: SubmitOptions,
  ): Task<TaskResult<M, K>>;
  /**
   * Runs a self-contained function in a worker process.
   *
   * @param fn The function (sent as source).
   * @param args Its arguments.
   * @param options `signal`, `timeout`.
   * @returns The task; a failure rejects it.
   * @throws {TypeError} When `fn` is native or bound.
   */
  submit<F extends TaskFunction>(
    fn: F,
    args: Parameters<F>,
    options?: SubmitOptions,
  ): Task<Awaited<ReturnType<F>>>;
  submit(
    nameOrFn: string | TaskFunction,
    args: readonly unknown[],
    options?: SubmitOptions,
  ): Task<unknown> {
    return this.#core.submit(nameOrFn, args, options);
  }

  /**
   * Maps every input through an export, lazily, `chunkSize` inputs per message.
   *
   * @param name The export's name.
   * @param inputs An iterable or async iterable of inputs.
   * @param options `ordered`, `chunkSize`, `signal`.
   * @returns An async iterable of the results.
   * @throws {RangeError} When `chunkSize` is not a positive integer.
   */
  map<K extends TaskName<M>>(
    name: K,
    inputs: Iterable<TaskInput<M, K>> | AsyncIterable<TaskInput<M, K>>,
    options?: MapOptions,
  ): AsyncIterableIterator<TaskResult<M, K>>;
  /**
   * Maps every input through a self-contained function.
   *
   * @param fn The function.
   * @param inputs An iterable or async iterable of inputs.
   * @param options `ordered`, `chunkSize`, `signal`.
   * @returns An async iterable of the results.
   * @throws {RangeError} When `chunkSize` is not a positive integer.
   */
  map<I, R>(
    fn: (input: I) => R,
    inputs: Iterable<I> | AsyncIterable<I>,
    options?: MapOptions,
  ): AsyncIterableIterator<Awaited<R>>;
  map(
    nameOrFn: string | TaskFunction,
    inputs: Iterable<unknown> | AsyncIterable<unknown>,
    options?: MapOptions,
  ): AsyncIterableIterator<unknown> {
    return this.#core.map(nameOrFn, inputs, options);
  }

  /**
   * Resolves when the queue is below `maxQueue`.
   *
   * @returns A promise that resolves when a task can be queued.
   */
  whenReady(): Promise<void> {
    return this.#core.whenReady();
  }

  /**
   * Shuts the pool down and kills every worker process; always settles in bounded time.
   *
   * @param options `wait`, `cancelPending`, `timeout`.
   * @returns A promise that resolves once every process exited.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    return this.#core.shutdown(options);
  }

  /**
   * Shuts down on scope exit (`await using pool = …`).
   *
   * @returns A promise that resolves once every process exited.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#core.shutdown();
  }
}
