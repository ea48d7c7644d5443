/**
 * Option, statistics and typing helpers shared by the executors.
 *
 * @module
 */

/**
 * Any function a pool can run.
 *
 * @example Any function is a task function
 * ```ts
 * import type { TaskFunction } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const double: TaskFunction = (x: number) => 2 * x;
 * assertEquals(double(2), 4);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type TaskFunction = (...args: any[]) => unknown;

/**
 * The names of the function exports of a task module `M`.
 *
 * @example Only function exports are task names
 * ```ts
 * import type { TaskName } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const tasks = { add: (a: number, b: number) => a + b, version: "1" };
 * const name: TaskName<typeof tasks> = "add"; // "version" would not compile
 * assertEquals(name, "add");
 * ```
 */
export type TaskName<M> =
  & {
    [K in keyof M]: M[K] extends TaskFunction ? K : never;
  }[keyof M]
  & string;

/**
 * The argument tuple of export `K` of module `M`.
 *
 * @example The arguments of an export
 * ```ts
 * import type { TaskArgs } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const tasks = { add: (a: number, b: number) => a + b };
 * const args: TaskArgs<typeof tasks, "add"> = [1, 2];
 * assertEquals(tasks.add(...args), 3);
 * ```
 */
export type TaskArgs<M, K extends keyof M> = M[K] extends TaskFunction ? Parameters<M[K]>
  : never;

/**
 * The (awaited) result of export `K` of module `M`.
 *
 * @example The awaited result of an export
 * ```ts
 * import type { TaskResult } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const tasks = { later: async (s: string) => await Promise.resolve(s) };
 * const result: TaskResult<typeof tasks, "later"> = "a string, not a promise";
 * assertEquals(typeof result, "string");
 * ```
 */
export type TaskResult<M, K extends keyof M> = M[K] extends TaskFunction ? Awaited<ReturnType<M[K]>>
  : never;

/**
 * The single input of export `K` of `M` when used by `map`.
 *
 * @example The input of an export used by map
 * ```ts
 * import type { TaskInput } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const tasks = { square: (x: number) => x * x };
 * const input: TaskInput<typeof tasks, "square"> = 3;
 * assertEquals(tasks.square(input), 9);
 * ```
 */
export type TaskInput<M, K extends keyof M> = TaskArgs<M, K> extends [infer A, ...unknown[]] ? A
  : never;

/**
 * Options of `WorkerPool` and `ProcessPool`.
 */
export interface PoolOptions {
  /**
   * Number of workers.
   *
   * @default {navigator.hardwareConcurrency}
   */
  size?: number;
  /**
   * Most unfinished tasks beyond the `size` that can run at once; `submit` beyond
   * it rejects with a `RangeError` (await `pool.whenReady()` first to wait instead).
   *
   * @default {Infinity}
   */
  maxQueue?: number;
  /** An export of the task module called once in each worker before its first task. */
  initializer?: string;
  /**
   * Arguments of the initializer.
   *
   * @default {[]}
   */
  initArgs?: unknown[];
  /**
   * Replace a worker after it ran this many tasks.
   *
   * @default {Infinity}
   */
  maxTasksPerWorker?: number;
  /**
   * End a worker after it was idle this many milliseconds (it is started again on
   * demand). `0` ends idle workers at once. Either way an idle worker never keeps the
   * process alive: a script that forgets `shutdown()` exits once its pools hold no
   * task, as Python joins its executors at exit.
   *
   * @default {Infinity}
   */
  idleTimeout?: number;
  /**
   * Default `timeout` of every task, in milliseconds, counted from when the task
   * starts in its worker (not while it waits in a queue).
   *
   * @default {Infinity}
   */
  taskTimeout?: number;
  /**
   * Milliseconds that `shutdown()` and `[Symbol.asyncDispose]` wait for unfinished
   * tasks before they reject them and end the workers.
   *
   * @default {30000}
   */
  shutdownTimeout?: number;
  /**
   * Milliseconds a cancelled or timed-out running task gets to notice its
   * `TaskContext.signal` and return before its worker is ended and replaced (the
   * task itself rejects at once). A task that returns in time keeps its worker.
   * `ProcessPool` kills a running task's process without waiting, and uses this
   * grace only for a cancelled task that its process started before it could read
   * the cancel. From 0 to
   * 2³¹−1; `Infinity` is refused (a task that never returns would hold its worker).
   *
   * @default {100}
   */
  cancelGrace?: number;
  /**
   * A name for the pool's workers (shown in errors and `TaskContext.workerName`).
   *
   * @default {"tandem"}
   */
  name?: string;
}

/**
 * Options of one `submit`.
 */
export interface SubmitOptions {
  /** Aborting cancels the task. */
  signal?: AbortSignal;
  /**
   * Milliseconds the task may run once it starts in a worker; then it rejects with a
   * `TimeoutError`.
   *
   * @default {the pool's taskTimeout}
   */
  timeout?: number;
  /**
   * Objects in the arguments to transfer instead of copy (e.g. `ArrayBuffer`s).
   *
   * @default {[]}
   */
  transfer?: Transferable[];
}

/**
 * Options of `map`.
 */
export interface MapOptions {
  /**
   * Yield results in input order (`true`) or as they complete (`false`).
   *
   * @default {true}
   */
  ordered?: boolean;
  /**
   * Inputs sent to a worker per message.
   *
   * @default {1}
   */
  chunkSize?: number;
  /** Aborting stops the map and cancels its tasks. */
  signal?: AbortSignal;
}

/**
 * Options of `shutdown`.
 */
export interface ShutdownOptions {
  /**
   * Wait for queued and running tasks; with `false`, every unfinished task
   * rejects with an `AbortError` and the workers end at once.
   *
   * @default {true}
   */
  wait?: boolean;
  /**
   * Cancel tasks that did not start yet.
   *
   * @default {false}
   */
  cancelPending?: boolean;
  /**
   * Most milliseconds to wait; then unfinished tasks reject and workers end.
   *
   * @default {the pool's shutdownTimeout}
   */
  timeout?: number;
}

/**
 * A snapshot of a pool's counters.
 */
export interface PoolStats {
  /** The configured number of workers. */
  size: number;
  /** Workers alive now (0 after shutdown). */
  workers: number;
  /** Workers with tasks in hand. */
  busy: number;
  /** Tasks waiting (in the pool's queue or a worker's). */
  queued: number;
  /** Tasks fulfilled. */
  completed: number;
  /** Tasks rejected (errors, timeouts, dead workers). */
  failed: number;
  /** Tasks cancelled. */
  cancelled: number;
  /** Workers started so far. */
  started: number;
  /** Workers ended so far. */
  terminated: number;
}

/**
 * A permission: `true` for all, or a list of allowed values (paths, hosts, names).
 */
export type PermissionValue = boolean | string[];

/**
 * Deno permissions of a `ProcessPool`'s workers, mapped to `--allow-*` flags.
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
 */
export interface ProcessPoolOptions extends PoolOptions {
  /**
   * The workers' permissions: none by default (the task module and its static
   * imports load without any).
   *
   * @default {{}}
   */
  permissions?: ProcessPermissions;
  /**
   * Heap cap of each worker in MiB (`--v8-flags=--max-old-space-size`), at least 8.
   * Without it, each worker has V8's own limit.
   */
  maxMemoryMb?: number;
  /**
   * Extra arguments for `deno run` (before the script), e.g. `["--no-config"]`.
   *
   * @default {[]}
   */
  denoArgs?: string[];
}
