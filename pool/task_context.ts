/**
 * The context a task sees while it runs in a pool's worker: its id, a
 * cooperative cancellation signal backed by shared memory, so that even a
 * synchronous loop can poll it cheaply, and a way to report progress.
 *
 * @module
 */

import { CTL_POLLED, CTL_REASON, CTL_RING, CTL_RING_MASK } from "./_protocol.ts";

const CONTEXT_KEY = Symbol.for("tandem.pool.taskContext");
/** Where an `AsyncPool` puts the function that returns its running task's context. */
const ASYNC_CONTEXT_KEY = Symbol.for("tandem.pool.asyncTaskContext");

/**
 * A cancellation signal that a task polls. Unlike an `AbortSignal`, reading
 * {@linkcode TaskSignal.aborted} works inside a synchronous loop: it is one
 * `Atomics.load` on memory that the pool writes from the main thread.
 *
 * @example Poll in a loop
 * ```ts
 * import { getTaskContext } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * export function count(n: number): number {
 *   const signal = getTaskContext()?.signal;
 *   let i = 0;
 *   for (; i < n; i++) {
 *     if ((i & 0xffff) === 0 && signal?.aborted) break;
 *   }
 *   return i;
 * }
 * assertEquals(count(10), 10); // outside a pool there is no context
 * ```
 */
export class TaskSignal {
  #ctl: Int32Array;
  #id: number;

  /**
   * Creates the signal of one task (the pool does this; tasks only read it).
   *
   * @param ctl The worker's control array.
   * @param id The task id.
   */
  constructor(ctl: Int32Array, id: number) {
    this.#ctl = ctl;
    this.#id = id;
  }

  /**
   * Whether the task was cancelled or timed out.
   *
   * @returns `true` once the pool asked the task to stop.
   */
  get aborted(): boolean {
    // Marks that this task polls its signal: the pool names in a warning only a
    // timed-out task that never did (one load, and a store once per task).
    if (Atomics.load(this.#ctl, CTL_POLLED) !== this.#id) {
      Atomics.store(this.#ctl, CTL_POLLED, this.#id);
    }
    return Atomics.load(this.#ctl, CTL_RING + (this.#id & CTL_RING_MASK)) === this.#id;
  }

  /**
   * Why the task was asked to stop, as a `DOMException` (`AbortError` or
   * `TimeoutError`), or `undefined` while it was not.
   *
   * @returns The reason or `undefined`.
   */
  get reason(): DOMException | undefined {
    if (!this.aborted) return undefined;
    return Atomics.load(this.#ctl, CTL_REASON) === 2
      ? new DOMException(`Task ${this.#id} timed out`, "TimeoutError")
      : new DOMException(`Task ${this.#id} was cancelled`, "AbortError");
  }

  /**
   * Throws {@linkcode TaskSignal.reason} when the task was asked to stop.
   *
   * @throws {DOMException} `AbortError` or `TimeoutError` once aborted.
   */
  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }
}

/**
 * What a running task knows about itself. A task gets it by calling
 * {@linkcode getTaskContext} while it runs (at its start is best).
 */
export interface TaskContext {
  /** The task id (equals the `id` of its `Task` in the main thread). */
  readonly id: number;
  /** The cooperative cancellation signal: poll `signal.aborted`. */
  readonly signal: TaskSignal;
  /** The name of the worker that runs the task (`"async"` in an `AsyncPool`). */
  readonly workerName: string;
  /**
   * Reports progress to the task's `onProgress` listeners in the pool's thread
   * (`Task.onProgress`). The value is structured-cloned; values reported after
   * the task settled are dropped.
   *
   * @throws {DOMException} `DataCloneError` when the value cannot be sent.
   */
  progress(value: unknown): void;
}

/**
 * Returns the context of the task running in this worker now, or `undefined`
 * outside a pool's worker. Works across copies of this module: the context lives
 * on `globalThis` under a registered symbol.
 *
 * @returns The current task's context, or `undefined`.
 *
 * @example Stop a long loop when the task is cancelled
 * ```ts
 * import { getTaskContext } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * export function spin(limit: number): number {
 *   const ctx = getTaskContext();
 *   let n = 0;
 *   while (n < limit && !ctx?.signal.aborted) n++;
 *   return n;
 * }
 * assertEquals(getTaskContext(), undefined);
 * assertEquals(spin(3), 3);
 * ```
 */
export function getTaskContext(): TaskContext | undefined {
  const inAsyncPool = (globalThis as Record<symbol, AsyncContextStore | undefined>)[
    ASYNC_CONTEXT_KEY
  ]?.getStore()?.taskContext();
  if (inAsyncPool !== undefined) return inAsyncPool;
  const state = (globalThis as Record<symbol, RunnerState | undefined>)[CONTEXT_KEY];
  if (state === undefined || state.id === 0) return undefined;
  if (state.context?.id !== state.id) {
    const id = state.id;
    state.context = {
      id,
      signal: new TaskSignal(state.ctl, id),
      workerName: state.name,
      progress: (value: unknown) => state.progress(id, value),
    };
  }
  return state.context;
}

/** The `AsyncLocalStorage` an `AsyncPool` keeps on `globalThis` (private). */
interface AsyncContextStore {
  getStore(): { taskContext(): TaskContext } | undefined;
}

/** The per-worker state the runner keeps on `globalThis` (private). */
interface RunnerState {
  id: number;
  ctl: Int32Array;
  name: string;
  context: TaskContext | undefined;
  progress(id: number, value: unknown): void;
}
