/**
 * Private: the dispatcher shared by `WorkerPool` and `ProcessPool`: the task
 * queue, least-loaded placement with a small queue per worker, batching of
 * task messages, timeouts, cancellation, worker replacement and shutdown.
 *
 * @module
 */

import { reviveShared } from "../sync/revive.ts";
import {
  CTL_CURRENT,
  CTL_REASON,
  CTL_RING,
  CTL_RING_MASK,
  CTL_STOP,
  deserializeError,
  type InitMessage,
  KIND_CALL,
  KIND_MAP,
  MSG_CANCEL,
  MSG_CLOSING,
  MSG_INIT,
  MSG_INIT_FAILED,
  MSG_PROGRESS,
  MSG_READY,
  MSG_RESULTS,
  MSG_RUN,
  OUT_ERROR,
  OUT_OK,
  OUT_SKIPPED,
  type SerializedError,
} from "./_protocol.ts";
import { BrokenPoolError } from "./broken_pool_error.ts";
import { checkDelay } from "../sync/_checks.ts";
import { O_CANCELLED, O_FULFILLED, O_PENDING, O_REJECTED, Outcome } from "./_outcome.ts";
import { Task, type TaskHandle, type TaskState } from "./task.ts";
import type {
  MapOptions,
  PoolOptions,
  PoolStats,
  ShutdownOptions,
  SubmitOptions,
  TaskFunction,
} from "./types.ts";
import { mapResults } from "./_map.ts";

/** Most tasks in one message. */
const BATCH_MAX = 512;
/** Most tasks handed to one worker and not finished. */
const WORKER_CAP = 1024;

/** Callbacks a channel calls. */
export interface ChannelEvents {
  message(message: { t: number; [key: string]: unknown }): void;
  exit(reason: string): void;
}

/** One worker, seen from the main side. */
export interface Channel {
  /** Posts a message; throws a `DataCloneError` when it cannot. */
  post(message: unknown, transfer: Transferable[]): void;
  /** Ends the worker now; the promise settles once it is gone and its resources are closed. */
  kill(): Promise<void> | void;
  /** The shared control array, or `undefined` when memory is not shared. */
  readonly ctl: Int32Array | undefined;
  /** Whether a cancelled running task ends its worker at once. */
  readonly hardKill: boolean;
  /** What kind of worker this is, for messages ("worker" or "process"). */
  readonly kind: string;
}

/** Creates a channel. */
export type ChannelFactory = (name: string, events: ChannelEvents) => Channel;

class Slot {
  readonly id: number;
  readonly name: string;
  ch!: Channel;
  inflight: Job[] = [];
  head = 0;
  known = new Set<number>();
  dispatched = 0;
  lastAt = 0;
  retiring = false;
  dead = false;
  ready = false;
  /** A killed process whose last messages are still being read. */
  draining = false;
  /** The task a killed process ran (or was about to run) as far as the pool knew. */
  killedAt: Job | undefined;
  /** The init message, until it goes out with the first batch (or alone). */
  init: InitMessage | undefined;
  idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(id: number, name: string) {
    this.id = id;
    this.name = name;
  }

  get load(): number {
    return this.inflight.length - this.head;
  }

  running(): Job | undefined {
    if (this.ch.ctl) {
      const id = Atomics.load(this.ch.ctl, CTL_CURRENT);
      if (id === 0) return undefined;
      for (let i = this.head; i < this.inflight.length; i++) {
        if (this.inflight[i].id === id) return this.inflight[i];
      }
      return undefined;
    }
    // A process reports every outcome before it starts its next task: the oldest
    // unreported task is the one it runs (or is about to run).
    return this.inflight[this.head];
  }
}

class Job extends Outcome implements TaskHandle<unknown> {
  readonly id: number;
  readonly core: PoolCore;
  kind: number;
  ref: string | number;
  label: string;
  args: unknown[];
  transfer: Transferable[] | undefined;
  timeout: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  slot: Slot | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    core: PoolCore,
    id: number,
    kind: number,
    ref: string | number,
    label: string,
    args: unknown[],
    timeout: number,
  ) {
    super();
    this.core = core;
    this.id = id;
    this.kind = kind;
    this.ref = ref;
    this.label = label;
    this.args = args;
    this.transfer = undefined;
    this.timeout = timeout;
    this.signal = undefined;
    this.onAbort = undefined;
    this.slot = undefined;
    this.timer = undefined;
  }

  get state(): TaskState {
    const settled = this.settledState();
    if (settled !== undefined) return settled;
    const slot = this.slot;
    if (slot === undefined) return "queued";
    return slot.running() === this ? "running" : "queued";
  }

  cancel(reason?: unknown): boolean {
    return this.core.cancel(
      this,
      reason ?? new DOMException(`Task ${this.id} was cancelled`, "AbortError"),
      O_CANCELLED,
    );
  }

  /** Settles once; returns false when already settled. */
  settle(outcome: number, value: unknown): boolean {
    if (!this.publish(outcome, value)) return false;
    this.args = EMPTY;
    this.transfer = undefined;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.onAbort !== undefined) {
      this.signal!.removeEventListener("abort", this.onAbort);
      this.onAbort = undefined;
      this.signal = undefined;
    }
    return true;
  }
}

const EMPTY: unknown[] = [];

function checkMs(
  value: number | undefined,
  what: string,
  fallback: number,
  infinite = true,
): number {
  return checkDelay(value, what, "Cannot create pool", fallback, infinite);
}

function checkCount(value: number | undefined, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" ||
    !(Number.isInteger(value) || value === Infinity) ||
    value < 1
  ) {
    throw new RangeError(
      `Cannot create pool as '${what}' must be a positive integer: received ${value}`,
    );
  }
  return value;
}

/** The dispatcher behind a pool. */
export class PoolCore {
  readonly size: number;
  readonly name: string;
  readonly #factory: ChannelFactory;
  readonly #module: string | undefined;
  readonly #initializer: string | undefined;
  readonly #initArgs: unknown[];
  readonly #maxQueue: number;
  readonly #maxTasksPerWorker: number;
  readonly #idleTimeout: number;
  readonly #taskTimeout: number;
  readonly #shutdownTimeout: number;
  readonly #cancelGrace: number;

  #pending: Job[] = [];
  #pendingHead = 0;
  #slots: Slot[] = [];
  #nextSlot = 1;
  #nextId = 1;
  #nextFn = 1;
  #fnIds = new WeakMap<TaskFunction, number>();
  #fnDefs = new Map<number, [number, string, string]>();
  #flushScheduled = false;
  #outstanding = 0;
  #closed = false;
  #broken: Error | undefined;
  #idleWaiters: (() => void)[] = [];
  #readyWaiters: (() => void)[] = [];
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #started = 0;
  #terminated = 0;
  #flush = () => this.#dispatch();
  #closing = new Set<Promise<void>>();
  /** Once `shutdown()` ends the workers: how tasks of a process still being read out end. */
  #stopping: [number, unknown] | undefined;
  #avgTaskMs = 0;

  constructor(factory: ChannelFactory, module: string | undefined, options: PoolOptions = {}) {
    this.#factory = factory;
    this.#module = module;
    const size = options.size ?? navigator.hardwareConcurrency ?? 1;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `Cannot create pool as 'size' must be a positive integer: received ${size}`,
      );
    }
    this.size = size;
    this.name = options.name ?? "tandem";
    if (typeof this.name !== "string") {
      throw new TypeError(
        `Cannot create pool as 'name' must be a string: received ${typeof this.name}`,
      );
    }
    this.#maxQueue = checkCount(options.maxQueue, "maxQueue", Infinity);
    this.#maxTasksPerWorker = checkCount(options.maxTasksPerWorker, "maxTasksPerWorker", Infinity);
    this.#idleTimeout = checkMs(options.idleTimeout, "idleTimeout", Infinity);
    this.#taskTimeout = checkMs(options.taskTimeout, "taskTimeout", Infinity);
    this.#shutdownTimeout = checkMs(options.shutdownTimeout, "shutdownTimeout", 30_000);
    this.#cancelGrace = checkMs(options.cancelGrace, "cancelGrace", 100, false);
    if (options.initializer !== undefined && module === undefined) {
      throw new TypeError(
        `Cannot create pool with initializer '${options.initializer}' as it has no task module`,
      );
    }
    this.#initializer = options.initializer;
    this.#initArgs = options.initArgs ?? [];
    if (!Array.isArray(this.#initArgs)) {
      throw new TypeError(
        `Cannot create pool as 'initArgs' must be an array: received ${typeof this.#initArgs}`,
      );
    }
    try {
      structuredClone(this.#initArgs);
    } catch (error) {
      throw new DOMException(
        `Cannot create pool as 'initArgs' cannot be sent to a worker: ${(error as Error).message}`,
        "DataCloneError",
      );
    }
  }

  get stats(): PoolStats {
    let busy = 0;
    let running = 0;
    for (const slot of this.#slots) {
      if (slot.load === 0) continue;
      busy++;
      // A worker may still be busy with a task that was cancelled: that one is settled.
      if (slot.running()?.outcome === O_PENDING) running++;
    }
    return {
      size: this.size,
      workers: this.#slots.length,
      busy,
      queued: this.#outstanding - running,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      started: this.#started,
      terminated: this.#terminated,
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Submits a task. */
  submit(
    fnOrName: string | TaskFunction,
    args: readonly unknown[],
    options: SubmitOptions | undefined,
  ): Task<unknown> {
    const job = this.submitJob(fnOrName, args, options, KIND_CALL);
    return new Task<unknown>(job.id, job);
  }

  /** Submits a task and returns its job (for `map`, which needs no `Task`). */
  submitJob(
    fnOrName: string | TaskFunction,
    args: readonly unknown[],
    options: SubmitOptions | undefined,
    kind: number,
  ): Job {
    const id = this.#nextId++;
    let ref: string | number;
    let label: string;
    if (typeof fnOrName === "function") {
      ref = this.#register(fnOrName);
      label = fnOrName.name || "anonymous";
    } else if (typeof fnOrName === "string") {
      ref = label = fnOrName;
    } else {
      throw new TypeError(
        `Cannot submit task as it must be an export name or a function: received ${typeof fnOrName}`,
      );
    }
    if (!Array.isArray(args)) {
      throw new TypeError(
        `Cannot submit task '${label}' as 'args' must be an array: received ${typeof args}`,
      );
    }
    const timeout = options?.timeout === undefined
      ? this.#taskTimeout
      : checkDelay(options.timeout, "timeout", "Cannot submit task", Infinity);
    const job = new Job(this, id, kind, ref, label, args as unknown[], timeout);
    this.#outstanding++;
    if (this.#closed || this.#broken) {
      this.#finish(
        job,
        O_REJECTED,
        this.#broken ?? new TypeError(`Cannot submit task '${label}' as the pool is shut down`),
      );
      return job;
    }
    if (this.#maxQueue !== Infinity && this.#outstanding - this.size > this.#maxQueue) {
      this.#finish(
        job,
        O_REJECTED,
        new RangeError(
          `Cannot submit task '${label}' as the queue is full: 'maxQueue' is ${this.#maxQueue}`,
        ),
      );
      return job;
    }
    if (options !== undefined) {
      if (options.transfer !== undefined) job.transfer = options.transfer;
      const signal = options.signal;
      if (signal !== undefined) {
        if (signal.aborted) {
          this.#finish(job, O_CANCELLED, signal.reason);
          return job;
        }
        job.signal = signal;
        job.onAbort = () => this.cancel(job, signal.reason, O_CANCELLED);
        signal.addEventListener("abort", job.onAbort, { once: true });
      }
    }
    this.#pending.push(job);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    return job;
  }

  /** Resolves when the queue has room (always at once without `maxQueue`). */
  whenReady(): Promise<void> {
    if (this.#maxQueue === Infinity || this.#outstanding - this.size < this.#maxQueue) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  #register(fn: TaskFunction): number {
    let id = this.#fnIds.get(fn);
    if (id !== undefined) return id;
    const src = Function.prototype.toString.call(fn);
    if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) {
      throw new TypeError(
        `Cannot send function '${fn.name}' to a worker as it is native or bound: pass a plain function`,
      );
    }
    id = this.#nextFn++;
    this.#fnIds.set(fn, id);
    this.#fnDefs.set(id, [id, src, fn.name || "anonymous"]);
    return id;
  }

  #finish(job: Job, outcome: number, value: unknown): boolean {
    if (!job.settle(outcome, value)) return false;
    if (outcome === O_FULFILLED) this.#completed++;
    else if (outcome === O_REJECTED) this.#failed++;
    else this.#cancelled++;
    this.#outstanding--;
    if (this.#readyWaiters.length > 0 && this.#outstanding - this.size < this.#maxQueue) {
      const waiters = this.#readyWaiters;
      this.#readyWaiters = [];
      for (const w of waiters) w();
    }
    if (this.#outstanding === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
    return true;
  }

  /** Cancels or times out a job. */
  cancel(job: Job, reason: unknown, outcome: number): boolean {
    if (!this.#finish(job, outcome, reason)) return false;
    const slot = job.slot;
    if (slot === undefined || slot.dead) return true;
    const ctl = slot.ch.ctl;
    if (ctl !== undefined) {
      Atomics.store(ctl, CTL_REASON, outcome === O_REJECTED ? 2 : 1);
      Atomics.store(ctl, CTL_RING + (job.id & CTL_RING_MASK), job.id);
    } else {
      try {
        slot.ch.post({ t: MSG_CANCEL, id: job.id }, []);
      } catch { /* the process is gone */ }
    }
    // A running task gets `cancelGrace` ms to notice its signal before its worker is
    // ended; a running process is killed at once.
    const running = slot.running() === job;
    if (running && slot.ch.hardKill) {
      this.#kill(slot, undefined);
    } else if (running) {
      job.timer = setTimeout(() => {
        job.timer = undefined;
        if (!slot.dead && slot.inflight.indexOf(job, slot.head) >= 0) this.#kill(slot, undefined);
      }, this.#cancelGrace);
    } else if (slot.ch.hardKill) {
      // A process runs a cancelled task it could not read the cancel for in time (it
      // is busy with the tasks before it): kill it if the task is still the oldest
      // unreported one after a whole grace.
      let oldest = false;
      const check = () => {
        job.timer = undefined;
        if (slot.dead || slot.inflight.indexOf(job, slot.head) < 0) return;
        if (oldest && slot.running() === job) {
          this.#kill(slot, undefined);
          return;
        }
        oldest = slot.running() === job;
        job.timer = setTimeout(check, this.#cancelGrace);
      };
      job.timer = setTimeout(check, this.#cancelGrace);
    }
    return true;
  }

  /** Tasks one worker may hold: about 4 ms of work, between 2 and `WORKER_CAP`. */
  #cap(): number {
    const avg = this.#avgTaskMs;
    if (avg <= 0) return WORKER_CAP;
    return Math.max(2, Math.min(WORKER_CAP, Math.round(4 / avg)));
  }

  /** Starts a worker; when that is impossible (e.g. no permission), breaks the pool. */
  #spawn(): boolean {
    const slot = new Slot(this.#nextSlot, `${this.name}-${this.#nextSlot}`);
    this.#nextSlot++;
    try {
      slot.ch = this.#factory(slot.name, {
        message: (message) => this.#onMessage(slot, message),
        exit: (reason) => this.#onExit(slot, reason),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#break(new BrokenPoolError(`Cannot start a worker: ${message}`, { cause: error }));
      return false;
    }
    this.#started++;
    this.#slots.push(slot);
    // The init message rides with the worker's first batch: one message less to
    // wait for before the first task starts.
    slot.init = {
      t: MSG_INIT,
      module: this.#module,
      initializer: this.#initializer,
      initArgs: this.#initArgs,
      ctl: slot.ch.ctl?.buffer as SharedArrayBuffer | undefined,
      name: slot.name,
    };
    return true;
  }

  /** Sends the init message of a worker that got no batch with it. */
  #postInit(slot: Slot): void {
    const init = slot.init;
    if (init === undefined || slot.dead) return;
    slot.init = undefined;
    slot.ch.post(init, []);
  }

  #dispatch(): void {
    this.#flushScheduled = false;
    if (this.#closed && this.#pendingHead === this.#pending.length) return;
    let spawn = 0;
    if (this.#slots.length < this.size) {
      let idle = 0;
      for (const slot of this.#slots) if (slot.load === 0 && !slot.retiring) idle++;
      spawn = Math.max(
        0,
        Math.min(this.size - this.#slots.length, this.#pending.length - this.#pendingHead - idle),
      );
    }
    if (spawn > 0 && this.#slots.length > 0) {
      // Starting a worker blocks this thread for a while (about 15 ms for a Web
      // Worker here): hand the running workers their share first.
      this.#deal(
        Math.ceil((this.#pending.length - this.#pendingHead) / (this.#slots.length + spawn)),
      );
    }
    while (spawn-- > 0) {
      if (!this.#spawn()) return;
    }
    this.#deal(Infinity);
    for (const slot of this.#slots) if (slot.init !== undefined) this.#postInit(slot);
    if (this.#pendingHead > 0 && this.#pendingHead === this.#pending.length) {
      this.#pending = [];
      this.#pendingHead = 0;
    } else if (this.#pendingHead > 4096 && this.#pendingHead * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
  }

  /** Hands queued jobs to the workers, each up to `limit` unfinished jobs. */
  #deal(limit: number): void {
    const cap = Math.min(this.#cap(), limit);
    for (;;) {
      if (this.#pending.length === this.#pendingHead) break;
      // Least-loaded first; jobs are dealt round-robin so that long tasks hidden in a
      // burst of tiny ones spread over the workers instead of piling onto one.
      const targets: Slot[] = [];
      for (const slot of this.#slots) {
        if (slot.retiring || slot.dead || slot.load >= cap) continue;
        targets.push(slot);
      }
      if (targets.length === 0) break;
      targets.sort((a, b) => a.load - b.load);
      const room = targets.map((slot) =>
        Math.min(cap - slot.load, BATCH_MAX, this.#maxTasksPerWorker - slot.dispatched)
      );
      const batches: Job[][] = targets.map(() => []);
      let open = 0;
      for (const r of room) if (r > 0) open++;
      if (open === 0) break;
      const pending = this.#pending;
      let i = this.#pendingHead;
      let k = 0;
      while (open > 0 && i < pending.length) {
        const job = pending[i++];
        if (job.outcome !== O_PENDING) continue;
        while (room[k] === 0) k = (k + 1) % targets.length;
        batches[k].push(job);
        if (--room[k] === 0) open--;
        k = (k + 1) % targets.length;
      }
      this.#pendingHead = i;
      for (let t = 0; t < targets.length; t++) {
        if (batches[t].length > 0) this.#send(targets[t], batches[t]);
      }
    }
  }

  #send(slot: Slot, batch: Job[]): void {
    const q: unknown[] = [];
    let fns: [number, string, string][] | undefined;
    let transfer: Transferable[] | undefined;
    for (const job of batch) {
      q.push(job.id, job.kind, job.ref, job.args);
      if (typeof job.ref === "number" && !slot.known.has(job.ref)) {
        slot.known.add(job.ref);
        (fns ??= []).push(this.#fnDefs.get(job.ref)!);
      }
      if (job.transfer !== undefined) (transfer ??= []).push(...job.transfer);
    }
    if (batch.length === 0) return;
    try {
      slot.ch.post(runMessage(q, fns, batch, slot.init), transfer ?? EMPTY_TRANSFER);
    } catch (error) {
      if (fns) { for (const f of fns) slot.known.delete(f[0]); }
      if (batch.length === 1 || !isCloneError(error)) {
        for (const job of batch) this.#finish(job, O_REJECTED, cloneError(job, error));
      } else {
        // Find the task that cannot be sent: send them one at a time.
        for (const job of batch) this.#sendOne(slot, job);
      }
      return;
    }
    slot.init = undefined;
    this.#assign(slot, batch);
  }

  #sendOne(slot: Slot, job: Job): void {
    let fns: [number, string, string][] | undefined;
    if (typeof job.ref === "number" && !slot.known.has(job.ref)) {
      fns = [this.#fnDefs.get(job.ref)!];
    }
    const q = [job.id, job.kind, job.ref, job.args];
    try {
      slot.ch.post(runMessage(q, fns, [job], slot.init), job.transfer ?? EMPTY_TRANSFER);
    } catch (error) {
      this.#finish(job, O_REJECTED, cloneError(job, error));
      return;
    }
    slot.init = undefined;
    if (fns) slot.known.add(fns[0][0]);
    this.#assign(slot, [job]);
  }

  #assign(slot: Slot, batch: Job[]): void {
    if (slot.idleTimer !== undefined) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    if (slot.load === 0) slot.lastAt = performance.now();
    slot.dispatched += batch.length;
    if (slot.dispatched >= this.#maxTasksPerWorker) slot.retiring = true;
    for (const job of batch) {
      job.slot = slot;
      slot.inflight.push(job);
    }
    this.#timeHead(slot);
  }

  /**
   * Starts the timeout of a worker's oldest unreported task: the one it runs, as a
   * worker reports every outcome before it starts a task that has a timeout.
   */
  #timeHead(slot: Slot): void {
    if (!slot.ready) return;
    const job = slot.inflight[slot.head];
    if (
      job !== undefined && job.timeout !== Infinity && job.outcome === O_PENDING &&
      job.timer === undefined
    ) {
      this.#startTimer(job);
    }
  }

  /** Starts a job's timeout (once its worker is ready, so start-up time does not count). */
  #startTimer(job: Job): void {
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.cancel(
        job,
        new DOMException(
          `Task ${job.id} ('${job.label}') timed out after ${job.timeout} ms`,
          "TimeoutError",
        ),
        O_REJECTED,
      );
    }, job.timeout);
  }

  #onMessage(slot: Slot, message: { t: number; [key: string]: unknown }): void {
    if (slot.dead) {
      // A killed process's last outcomes still count, and tell what it ran.
      if (slot.draining && message.t === MSG_RESULTS) this.#onResults(slot, message.r as unknown[]);
      return;
    }
    switch (message.t) {
      case MSG_RESULTS:
        this.#onResults(slot, message.r as unknown[]);
        break;
      case MSG_PROGRESS: {
        const id = message.id as number;
        for (let i = slot.head; i < slot.inflight.length; i++) {
          if (slot.inflight[i].id === id) {
            slot.inflight[i].progress(message.v);
            break;
          }
        }
        break;
      }
      case MSG_READY:
        slot.ready = true;
        this.#timeHead(slot);
        break;
      case MSG_INIT_FAILED: {
        const cause = message.e ? deserializeError(message.e as SerializedError) : message.v;
        const what = this.#initializer === undefined
          ? `module '${this.#module}' failed to load`
          : `module '${this.#module}' or its initializer '${this.#initializer}' failed`;
        this.#break(
          new BrokenPoolError(
            `Cannot run tasks as ${what}: ${
              cause instanceof Error ? cause.message : String(cause)
            }`,
            { cause },
          ),
        );
        break;
      }
      case MSG_CLOSING:
        this.#onExit(
          slot,
          String(message.reason),
          message.e ? deserializeError(message.e as SerializedError) : undefined,
        );
        break;
    }
  }

  #onResults(slot: Slot, r: unknown[]): void {
    const inflight = slot.inflight;
    if (r.length > 0 && !slot.dead) {
      const now = performance.now();
      const perTask = (now - slot.lastAt) / (r.length / 3);
      slot.lastAt = now;
      this.#avgTaskMs = this.#avgTaskMs === 0 ? perTask : this.#avgTaskMs * 0.7 + perTask * 0.3;
    }
    for (let i = 0; i < r.length; i += 3) {
      const id = r[i] as number;
      let job: Job | undefined = inflight[slot.head];
      if (job !== undefined && job.id === id) {
        inflight[slot.head++] = undefined as unknown as Job;
      } else {
        job = undefined;
        for (let k = slot.head; k < inflight.length; k++) {
          if (inflight[k].id === id) {
            job = inflight[k];
            inflight.splice(k, 1);
            break;
          }
        }
        if (job === undefined) continue;
      }
      if (job.outcome !== O_PENDING) {
        if (job.timer !== undefined) {
          clearTimeout(job.timer);
          job.timer = undefined;
        }
        continue;
      }
      const code = r[i + 1];
      let value = r[i + 2];
      if (code === OUT_OK) {
        if (typeof value === "object" && value !== null) value = reviveShared(value);
        this.#finish(job, O_FULFILLED, value);
      } else if (code === OUT_ERROR) {
        this.#finish(job, O_REJECTED, deserializeError(value as SerializedError));
      } else if (code === OUT_SKIPPED) {
        this.#finish(job, O_CANCELLED, new DOMException(`Task ${id} was cancelled`, "AbortError"));
      } else {
        this.#finish(job, O_REJECTED, value);
      }
    }
    if (slot.dead) return;
    if (slot.head === inflight.length) {
      slot.inflight = [];
      slot.head = 0;
      if (slot.retiring) {
        this.#kill(slot, undefined);
        return;
      }
    } else if (slot.head > 1024 && slot.head * 2 > inflight.length) {
      slot.inflight = inflight.slice(slot.head);
      slot.head = 0;
    }
    this.#timeHead(slot);
    if (this.#pending.length > this.#pendingHead) {
      // Refill a process once half its queue is done, not after every outcome: it
      // reports each outcome before its next task, and a message per task each way
      // would cost more than tiny tasks.
      if (slot.ch.ctl !== undefined || slot.load * 2 <= this.#cap()) this.#dispatch();
    } else if (slot.load === 0) {
      if (this.#closed) {
        if (this.#outstanding === 0) this.#kill(slot, undefined);
      } else if (this.#idleTimeout === 0) {
        this.#kill(slot, undefined);
      } else if (this.#idleTimeout !== Infinity && slot.idleTimer === undefined) {
        slot.idleTimer = setTimeout(() => {
          slot.idleTimer = undefined;
          if (slot.load === 0) this.#kill(slot, undefined);
        }, this.#idleTimeout);
      }
    }
  }

  #onExit(slot: Slot, reason: string, cause?: Error): void {
    if (slot.dead) return;
    if (!slot.ready) {
      const what = this.#module === undefined ? "" : ` with module '${this.#module}'`;
      this.#break(
        new BrokenPoolError(
          `Cannot run tasks as a ${slot.ch.kind}${what} failed to start: ${reason}`,
        ),
      );
      return;
    }
    const running = slot.running();
    this.#kill(slot, running);
    if (running !== undefined && running.outcome === O_PENDING) {
      this.#finish(
        running,
        O_REJECTED,
        new Error(
          `Cannot complete task ${running.id} ('${running.label}') as its ${slot.ch.kind} '${slot.name}' died: ${reason}`,
          cause ? { cause } : undefined,
        ),
      );
    }
  }

  /** Ends a worker; its unfinished tasks other than `except` go back to the queue. */
  #kill(slot: Slot, except: Job | undefined): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#terminated++;
    if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    // A thread that outlives `terminate()` (stuck in a task) must not go on with the
    // tasks queued behind, which run again elsewhere.
    if (slot.ch.ctl !== undefined) Atomics.store(slot.ch.ctl, CTL_STOP, 1);
    let closed: Promise<void> | void = undefined;
    try {
      closed = slot.ch.kill();
    } catch { /* already gone */ }
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    if (closed !== undefined) {
      const tracked = closed.catch(() => {}).finally(() => this.#closing.delete(tracked));
      this.#closing.add(tracked);
      if (slot.ch.ctl === undefined && slot.load > 0) {
        // A process may have finished tasks whose outcomes are still in the pipe, and
        // started one more: read all it wrote before deciding what runs again, so
        // that no task runs twice.
        slot.draining = true;
        slot.killedAt = slot.inflight[slot.head];
        for (let i = slot.head; i < slot.inflight.length; i++) {
          const job = slot.inflight[i];
          if (job.timer !== undefined) {
            clearTimeout(job.timer);
            job.timer = undefined;
          }
        }
        // `closed` settles once the process ended and its pipes were read out (the
        // channel bounds that, should a grandchild hold the pipes open).
        const drained = tracked.then(() => {
          slot.draining = false;
          this.#requeue(slot, except);
        }).finally(() => this.#closing.delete(drained));
        this.#closing.add(drained);
        return;
      }
    }
    this.#requeue(slot, except);
  }

  /** Puts a dead worker's unfinished tasks other than `except` back in the queue. */
  #requeue(slot: Slot, except: Job | undefined): void {
    const requeue: Job[] = [];
    // A killed process that reported the task it was thought to run had moved on, and
    // may have started the next one.
    const killedAt = slot.killedAt;
    slot.killedAt = undefined;
    let maybeStarted = killedAt !== undefined && slot.inflight.indexOf(killedAt, slot.head) < 0;
    for (let i = slot.head; i < slot.inflight.length; i++) {
      const job = slot.inflight[i];
      if (job.timer !== undefined) {
        clearTimeout(job.timer);
        job.timer = undefined;
      }
      if (job === except || job.outcome !== O_PENDING) continue;
      if (this.#broken || this.#stopping) {
        // The pool broke or finished shutting down while this process was read out.
        this.#finish(job, this.#stopping?.[0] ?? O_REJECTED, this.#stopping?.[1] ?? this.#broken);
        continue;
      }
      if (maybeStarted) {
        // Running it again could repeat its side effects: it fails instead.
        maybeStarted = false;
        this.#finish(
          job,
          O_REJECTED,
          new Error(
            `Cannot complete task ${job.id} ('${job.label}') as its process '${slot.name}' was killed just as it may have started it (the task before it finished as it was cancelled or timed out)`,
          ),
        );
        continue;
      }
      job.slot = undefined;
      requeue.push(job);
    }
    slot.inflight = [];
    slot.head = 0;
    if (requeue.length > 0) {
      this.#pending = requeue.concat(this.#pending.slice(this.#pendingHead));
      this.#pendingHead = 0;
    }
    if (this.#pending.length > this.#pendingHead && !this.#broken) {
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        queueMicrotask(this.#flush);
      }
    }
  }

  #break(error: Error): void {
    if (this.#broken) return;
    this.#broken = error;
    for (let i = this.#pendingHead; i < this.#pending.length; i++) {
      this.#finish(this.#pending[i], O_REJECTED, error);
    }
    this.#pending = [];
    this.#pendingHead = 0;
    for (const slot of [...this.#slots]) {
      for (let i = slot.head; i < slot.inflight.length; i++) {
        this.#finish(slot.inflight[i], O_REJECTED, error);
      }
      this.#kill(slot, undefined);
    }
  }

  /** Shuts the pool down. */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const wait = options.wait ?? true;
    const timeout = checkDelay(
      options.timeout,
      "timeout",
      "Cannot shut down",
      this.#shutdownTimeout,
    );
    this.#closed = true;
    if (options.cancelPending || !wait) {
      for (let i = this.#pendingHead; i < this.#pending.length; i++) {
        this.#finish(
          this.#pending[i],
          O_CANCELLED,
          new DOMException(`Task ${this.#pending[i].id} was cancelled by shutdown`, "AbortError"),
        );
      }
      this.#pending = [];
      this.#pendingHead = 0;
    }
    if (wait && this.#outstanding > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          if (timeout !== Infinity) timer = setTimeout(resolve, timeout);
        }),
      ]);
      clearTimeout(timer);
    }
    const reason = wait
      ? new DOMException(
        `Task was stopped as the pool shut down after ${timeout} ms`,
        "TimeoutError",
      )
      : new DOMException("Task was cancelled by shutdown", "AbortError");
    this.#stopping = [wait ? O_REJECTED : O_CANCELLED, reason];
    for (let i = this.#pendingHead; i < this.#pending.length; i++) {
      this.#finish(this.#pending[i], wait ? O_REJECTED : O_CANCELLED, reason);
    }
    this.#pending = [];
    this.#pendingHead = 0;
    for (const slot of [...this.#slots]) {
      for (let i = slot.head; i < slot.inflight.length; i++) {
        this.#finish(slot.inflight[i], wait ? O_REJECTED : O_CANCELLED, reason);
      }
      this.#kill(slot, undefined);
    }
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of waiters) w();
    while (this.#closing.size > 0) await Promise.all(this.#closing);
  }

  /** Runs `map` over this core. */
  map(
    fnOrName: string | TaskFunction,
    inputs: Iterable<unknown> | AsyncIterable<unknown>,
    options: MapOptions = {},
  ): AsyncIterableIterator<unknown> {
    const chunkSize = options.chunkSize ?? 1;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(
        `Cannot map as 'chunkSize' must be a positive integer: received ${chunkSize}`,
      );
    }
    if (this.#closed) throw new TypeError("Cannot map as the pool is shut down");
    return mapResults(
      (chunk: unknown[]) => this.submitJob(fnOrName, [chunk], undefined, KIND_MAP),
      inputs,
      chunkSize,
      options.ordered ?? true,
      // Enough chunks in flight to keep every worker fed, within `maxQueue`.
      Math.max(
        1,
        Math.min(Math.max(this.size * 64, 128), this.#maxQueue + this.size - this.#outstanding),
      ),
      options.signal,
    );
  }
}

const EMPTY_TRANSFER: Transferable[] = [];

/**
 * A run message; `e` asks the worker to report each outcome before the next task
 * starts, `i` is the worker's init message when this is its first batch.
 */
function runMessage(
  q: unknown[],
  fns: [number, string, string][] | undefined,
  batch: Job[],
  init: InitMessage | undefined,
) {
  const message: {
    t: number;
    q: unknown[];
    fns?: [number, string, string][];
    e?: 1;
    i?: InitMessage;
  } = { t: MSG_RUN, q };
  if (init) message.i = init;
  if (fns) message.fns = fns;
  for (const job of batch) {
    if (job.timeout !== Infinity) {
      message.e = 1;
      break;
    }
  }
  return message;
}

function isCloneError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "DataCloneError" ||
    error instanceof TypeError;
}

function cloneError(job: Job, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  for (let i = 0; i < job.args.length; i++) {
    try {
      structuredClone(job.args[i]);
    } catch (inner) {
      const what = job.kind === KIND_MAP ? "an input" : `argument ${i}`;
      return new DOMException(
        `Cannot send ${what} of task '${job.label}' to a worker: ${(inner as Error).message}`,
        "DataCloneError",
      );
    }
  }
  return new DOMException(
    `Cannot send task '${job.label}' to a worker: ${message}`,
    "DataCloneError",
  );
}
