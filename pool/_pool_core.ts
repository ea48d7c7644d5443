/**
 * Private: the dispatcher shared by `WorkerPool` and `ProcessPool`. It ties the
 * queue of jobs (`_job.ts`), the worker slots (`_slot.ts`) and the placement rules
 * (`_placement.ts`) to the channels (`_channel.ts`), and owns timeouts,
 * cancellation, worker replacement and shutdown.
 *
 * How a task travels (each arrow names the step that moves it):
 *
 * ```text
 *  main thread                                                  | worker (thread or process)
 *                                                               |
 *  submit() ─► Job ─► JobQueue ─#dispatch()─► planDeal()        |
 *   (Task)            (pending)   │              │              |
 *                                 │           #send() ─ RunMessage ─► Runner queue
 *                                 │                             |      │ claim word (CAS)
 *                      idle slot? #steal() ─ planSteal()        |      │  revoked? skip it
 *                                 ├─ Slot.revoke() (CAS) ◄──────┼──────┤ (a thread)
 *                                 └─ MSG_REVOKE ─► inbox thread (CAS) ─┘ (a process)
 *                                                               |      ▼
 *  Task.onProgress ◄─ #onProgress() ◄────── ProgressMessage ◄───┼── task runs
 *                                                               |      │
 *  Task settles ◄─ #finish() ◄─ #onResults() ◄ ResultsMessage ◄─┼──────┘ outcomes, batched
 *                                                               |
 *  worker died ─► #onExit() ─► #kill() ─► #requeue(): unstarted jobs go back to the queue
 * ```
 *
 * - **Queue.** `submit()` checks the call, makes a `Job` (the `Task`'s handle) and
 *   queues it; one microtask later `#dispatch()` runs for everything queued since.
 * - **Dispatch.** `#dispatch()` starts workers up to `size` while tasks wait, then
 *   `#deal()` asks `planDeal()` which worker gets each task and `#send()` posts one
 *   `RunMessage` per worker. A worker holds at most `workerCap()` tasks: about 4 ms
 *   of measured work, so that tiny tasks travel in batches.
 * - **Work conservation.** A thread claims each task with a compare-and-swap on a
 *   shared word before it starts it; when a thread is idle and the queue is empty,
 *   `#steal()` revokes unstarted tasks of the busiest one the same way and deals them
 *   again, so no task waits behind another while a thread is idle. With the queue
 *   empty, a thread that holds at most the task it runs also gets a copy of the
 *   busiest one's next unstarted task and takes it itself once idle (`#share()`):
 *   no wait for this thread to hear of it and hand it over. A process shares
 *   no memory: it gets one task at a time until tasks are measured short, and an
 *   idle process takes back unstarted tasks of a busy one through the busy one's
 *   inbox thread (`MSG_REVOKE`, answered at once even while a task runs there, see
 *   `_process_inbox.ts`; `#revokeRemote()`, `#onRevoked()`).
 * - **Results.** `#onResults()` settles jobs from the flat outcome batches, measures
 *   the time per task, refills the worker or lets it idle (and retire).
 * - **Faults.** `#onExit()` fails the task a dead worker ran; `#kill()` ends a worker
 *   (cancel grace passed, timeout, retirement, shutdown) and `#requeue()` puts its
 *   unstarted tasks back at the front of the queue; a killed process is read out
 *   first, so that no task runs twice.
 * - **Liveness.** A worker keeps the process alive only while it holds tasks, so a
 *   script that never calls `shutdown()` still exits once its pool is idle.
 *
 * @module
 */

import { reviveShared } from "../sync/revive.ts";
import { checkDelay, checkInteger } from "../sync/_checks.ts";
import type { ChannelFactory } from "./_channel.ts";
import { Job, type JobOwner, JobQueue } from "./_job.ts";
import { mapResults } from "./_map.ts";
import { O_CANCELLED, O_FULFILLED, O_PENDING, O_REJECTED } from "./_outcome.ts";
import { HOLD_MS, planDeal, planSteal, workerCap } from "./_placement.ts";
import {
  type ClosingMessage,
  CTL_POLLED,
  CTL_REASON,
  CTL_RING,
  CTL_RING_MASK,
  CTL_STOP,
  deserializeError,
  type FunctionDef,
  type InitFailedMessage,
  KIND_CALL,
  KIND_MAP,
  MSG_CANCEL,
  MSG_CLOSING,
  MSG_HANDOVER,
  MSG_INBOX_READING,
  MSG_INBOX_UP,
  MSG_INIT,
  MSG_INIT_FAILED,
  MSG_PROGRESS,
  MSG_READY,
  MSG_RESULTS,
  MSG_REVOKE,
  MSG_REVOKED,
  MSG_RUN,
  OUT_ERROR,
  OUT_OK,
  OUT_SKIPPED,
  RESULT_STRIDE,
  type RunMessage,
  type WorkerMessage,
} from "./_protocol.ts";
import { MSG_SHADOW, type ShadowMessage, Slot } from "./_slot.ts";
import { BrokenPoolError } from "./broken_pool_error.ts";
import { Task } from "./task.ts";
import type {
  MapOptions,
  PoolOptions,
  PoolStats,
  ShutdownOptions,
  SubmitOptions,
  TaskFunction,
} from "./types.ts";

export type { Channel, ChannelEvents, ChannelFactory } from "./_channel.ts";

const CREATE = "Cannot create pool";
const EMPTY_TRANSFER: Transferable[] = [];

/** The dispatcher behind a pool. */
export class PoolCore implements JobOwner {
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

  // The queue and the workers.
  #pending = new JobQueue();
  #slots: Slot[] = [];
  #nextSlot = 1;
  #flushScheduled = false;
  #flush = () => this.#dispatch();
  /** Jobs copied to a second thread (`Job.shadow`), by id. */
  #copies = new Map<number, Job>();
  /** Average time per task in ms, measured from outcomes (0 until measured). */
  #avgTaskMs = 0;

  // Tasks and the functions they call.
  #nextId = 1;
  #nextFn = 1;
  #fnIds = new WeakMap<TaskFunction, number>();
  #fnDefs = new Map<number, FunctionDef>();
  /** Submitted and not settled. */
  #outstanding = 0;

  // Counters for `stats`.
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #started = 0;
  #terminated = 0;

  // Life of the pool.
  #closed = false;
  #broken: Error | undefined;
  #idleWaiters: (() => void)[] = [];
  #readyWaiters: (() => void)[] = [];
  #closing = new Set<Promise<void>>();
  /** Once `shutdown()` ends the workers: how tasks of a process still being read out end. */
  #stopping: [number, unknown] | undefined;

  constructor(factory: ChannelFactory, module: string | undefined, options: PoolOptions = {}) {
    this.#factory = factory;
    this.#module = module;
    this.size = checkInteger(
      options.size,
      "size",
      CREATE,
      navigator.hardwareConcurrency ?? 1,
    );
    this.name = options.name ?? "tandem";
    if (typeof this.name !== "string") {
      throw new TypeError(`${CREATE} as 'name' must be a string: received ${typeof this.name}`);
    }
    this.#maxQueue = checkInteger(options.maxQueue, "maxQueue", CREATE, Infinity, {
      infinite: true,
    });
    this.#maxTasksPerWorker = checkInteger(
      options.maxTasksPerWorker,
      "maxTasksPerWorker",
      CREATE,
      Infinity,
      { infinite: true },
    );
    this.#idleTimeout = checkDelay(options.idleTimeout, "idleTimeout", CREATE, Infinity);
    this.#taskTimeout = checkDelay(options.taskTimeout, "taskTimeout", CREATE, Infinity);
    this.#shutdownTimeout = checkDelay(options.shutdownTimeout, "shutdownTimeout", CREATE, 30_000);
    this.#cancelGrace = checkDelay(options.cancelGrace, "cancelGrace", CREATE, 100, false);
    if (options.initializer !== undefined && module === undefined) {
      throw new TypeError(
        `${CREATE} with initializer '${options.initializer}' as it has no task module`,
      );
    }
    this.#initializer = options.initializer;
    this.#initArgs = options.initArgs ?? [];
    if (!Array.isArray(this.#initArgs)) {
      throw new TypeError(
        `${CREATE} as 'initArgs' must be an array: received ${typeof this.#initArgs}`,
      );
    }
    try {
      structuredClone(this.#initArgs);
    } catch (error) {
      throw new DOMException(
        `${CREATE} as 'initArgs' cannot be sent to a worker: ${(error as Error).message}`,
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

  // ---------------------------------------------------------------- submit

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
    if (this.#closed || this.#broken) {
      // Refused, not run: it counts in no statistic.
      job.settle(
        O_REJECTED,
        this.#broken ?? new TypeError(`Cannot submit task '${label}' as the pool is shut down`),
      );
      return job;
    }
    this.#outstanding++;
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
    this.#schedule();
    return job;
  }

  /** Resolves when the queue has room (always at once without `maxQueue`). */
  whenReady(): Promise<void> {
    if (this.#maxQueue === Infinity || this.#outstanding - this.size < this.#maxQueue) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Gives a function an id; its source goes to each worker with its first task. */
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

  /** Runs `#dispatch()` in a microtask, once for everything queued until then. */
  #schedule(): void {
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  // ---------------------------------------------------------------- settle

  /** Settles a job and counts it; wakes `whenReady()` and `shutdown()` waiters. */
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
      const copy = job.shadow?.ch.ctl;
      if (copy !== undefined) {
        Atomics.store(copy, CTL_REASON, outcome === O_REJECTED ? 2 : 1);
        Atomics.store(copy, CTL_RING + (job.id & CTL_RING_MASK), job.id);
      }
    } else {
      try {
        slot.ch.post({ t: MSG_CANCEL, r: [job.id] }, []);
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
        if (!slot.dead && slot.inflight.indexOf(job, slot.head) >= 0) {
          this.#warnDeaf(job, slot);
          this.#kill(slot, undefined);
        }
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

  /**
   * Says, once per task, that a timed-out task ignores its signal (it never read it):
   * its worker is ended, but a thread busy in synchronous code may run on (3 s in the
   * report that asked for this word) and keep the process alive.
   */
  #warnDeaf(job: Job, slot: Slot): void {
    if (slot.running() !== job || !isTimeout(job.value)) return;
    // A task that polls its signal is on its way out, only late (a loaded machine): no word.
    if (slot.ch.ctl !== undefined && Atomics.load(slot.ch.ctl, CTL_POLLED) === job.id) return;
    console.warn(
      `Warning: task ${job.id} ('${job.label}') timed out and did not return within 'cancelGrace' (${this.#cancelGrace} ms): its ${slot.ch.kind} '${slot.name}' was ended, but a task busy in synchronous code may run on, and keep this process alive, until it returns (poll getTaskContext()?.signal.aborted, or use a ProcessPool)`,
    );
  }

  // ---------------------------------------------------------------- dispatch

  /** Tasks one worker may hold now. */
  #cap(slot: Slot): number {
    // A process whose main thread still reads its stdin could give nothing back; once
    // its inbox thread reads, it can, as a thread can: it holds the next task before
    // it is idle (one task at a time cost a round trip each, about 2 ms on a loaded
    // 2-core machine: 200 x 2 ms + 200 ms took 1.52x the greedy makespan).
    if (slot.ch.revokes && !slot.inboxReading) return 1;
    return workerCap(
      this.#avgTaskMs,
      slot.ch.ctl !== undefined || slot.inboxReading,
      this.#pending.length / this.size,
    );
  }

  /** Starts workers as needed, hands them queued tasks, and lets idle ones steal. */
  #dispatch(): void {
    this.#flushScheduled = false;
    if (this.#closed && this.#pending.length === 0) return;
    if (this.#pending.length === 1 && this.#dispatchAlone()) return;
    let spawn = 0;
    if (this.#slots.length < this.size) {
      let idle = 0;
      for (const slot of this.#slots) if (slot.load === 0 && !slot.retiring) idle++;
      spawn = Math.max(
        0,
        Math.min(this.size - this.#slots.length, this.#pending.length - idle),
      );
    }
    if (spawn > 0 && this.#slots.length > 0) {
      // Starting a worker blocks this thread for a while (about 15 ms for a Web
      // Worker here): hand the running workers their share first.
      this.#deal(Math.ceil(this.#pending.length / (this.#slots.length + spawn)));
    }
    while (spawn-- > 0) {
      if (!this.#spawn()) return;
    }
    this.#deal(Infinity);
    for (const slot of this.#slots) if (slot.init !== undefined) this.#postInit(slot);
    this.#steal();
    this.#share();
    this.#pending.compact();
  }

  /**
   * One task on an idle pool (a caller awaiting each task in turn): straight to the
   * first ready worker, as `#deal()` would, without planning for many (no worker
   * holds a task, so nothing is to be stolen or shared either).
   */
  #dispatchAlone(): boolean {
    let target: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.load > 0 || slot.shadows > 0) return false;
      target ??= slot.ready && !slot.retiring && !slot.dead && !slot.skipOwed &&
          slot.dispatched < this.#maxTasksPerWorker
        ? slot
        : undefined;
    }
    if (target === undefined) return false;
    const job = this.#pending.shift()!;
    this.#pending.compact();
    if (job.outcome === O_PENDING) this.#send(target, [job]);
    return true;
  }

  /** Hands queued jobs to the workers, each up to `limit` unfinished jobs. */
  #deal(limit: number): void {
    const now = performance.now();
    while (this.#pending.length > 0) {
      const slots = this.#slots.filter((slot) => !slot.retiring && !slot.dead && !slot.skipOwed);
      const plan = planDeal(
        slots.map((slot) => ({
          load: slot.load,
          room: Math.max(
            0,
            Math.min(
              Math.min(this.#cap(slot), limit) - slot.load,
              this.#maxTasksPerWorker - slot.dispatched,
            ),
          ),
          stalled: slot.load > 0 && now - slot.lastAt > HOLD_MS,
        })),
        this.#pending.length,
      );
      if (plan.length === 0) break;
      const batches: Job[][] = slots.map(() => []);
      for (const target of plan) {
        let job = this.#pending.shift();
        while (job !== undefined && job.outcome !== O_PENDING) job = this.#pending.shift();
        if (job === undefined) break;
        batches[target].push(job);
      }
      for (let i = 0; i < slots.length; i++) {
        if (batches[i].length > 0) this.#send(slots[i], batches[i]);
      }
    }
  }

  /**
   * Work conservation: while a ready thread is idle and the queue is empty, it takes
   * half of the unstarted tasks of the thread that holds the most, oldest first.
   */
  #steal(): void {
    if (this.#pending.length > 0 || this.#closed || this.#broken) return;
    for (let round = 0; round < this.#slots.length; round++) {
      const slots = this.#slots;
      const steal = planSteal(slots.map((slot) => ({
        idle: slot.ready && slot.load === 0 && !slot.retiring && !slot.dead && !slot.skipOwed &&
          slot.dispatched < this.#maxTasksPerWorker,
        unstarted: this.#unstarted(slot),
      })));
      if (steal === undefined) return;
      const victim = slots[steal.victim];
      const thief = slots[steal.thief];
      if (victim.ch.ctl === undefined) {
        // A process answers through its inbox thread: the tasks move once it has.
        this.#revokeRemote(victim, steal.count);
        return;
      }
      // The oldest unstarted ones, which list scheduling would start next; the one
      // that may run now stays. A task the victim claimed first stays too.
      const inflight = victim.inflight;
      const kept: Job[] = [inflight[victim.head]];
      const back: Job[] = [];
      let taken = 0;
      for (let i = victim.head + 1; i < inflight.length; i++) {
        const job = inflight[i];
        // A task whose buffers were transferred lives in the victim now: it stays. So
        // does one the thief holds a copy of: it takes that one itself (see #share).
        if (
          taken < steal.count && job.transfer === undefined && job.shadow !== thief &&
          victim.revoke(i)
        ) {
          taken++;
          job.clearTimer();
          this.#dropCopy(job);
          job.slot = undefined;
          job.seq = -1;
          if (job.outcome === O_PENDING) back.push(job);
        } else {
          kept.push(job);
        }
      }
      if (taken === 0) return;
      victim.inflight = kept;
      victim.head = 0;
      // The victim skips these when it gets to them: it gets no more until it did.
      victim.skipOwed = true;
      this.#pending.unshift(back);
      this.#deal(Infinity);
    }
  }

  /**
   * Asks a process to give back up to `count` of its oldest unstarted tasks (all of
   * them once the task it runs has run longer than `HOLD_MS`: it may run long); its
   * inbox thread answers at once, even while a task runs (`#onRevoked`).
   */
  #revokeRemote(victim: Slot, count: number): void {
    if (performance.now() - victim.lastAt > HOLD_MS) count = Infinity;
    const seqs: number[] = [];
    const inflight = victim.inflight;
    for (let i = victim.head + 1; i < inflight.length && seqs.length < count; i++) {
      const job = inflight[i];
      if (job.outcome === O_PENDING && job.seq >= 0) seqs.push(job.seq);
    }
    if (seqs.length === 0) return;
    try {
      victim.ch.post({ t: MSG_REVOKE, r: seqs }, EMPTY_TRANSFER);
    } catch {
      return; // the process is gone: its exit moves its tasks
    }
    victim.revoking = true;
  }

  /**
   * A process gave back the tasks of sequence numbers `seqs` (it had not started
   * them, and never will): they go back to the front of the queue, in order.
   */
  #onRevoked(slot: Slot, seqs: unknown[]): void {
    slot.revoking = false;
    const wanted = new Set(seqs as number[]);
    const back: Job[] = [];
    const inflight = slot.inflight;
    for (let i = slot.head; i < inflight.length && wanted.size > 0; i++) {
      const job = inflight[i];
      if (!wanted.delete(job.seq)) continue;
      inflight.splice(i--, 1);
      job.clearTimer();
      job.slot = undefined;
      job.seq = -1;
      if (job.outcome === O_PENDING) back.push(job);
    }
    if (back.length === 0) return;
    if (this.#broken || this.#stopping) {
      for (const job of back) {
        this.#finish(job, this.#stopping?.[0] ?? O_REJECTED, this.#stopping?.[1] ?? this.#broken);
      }
      return;
    }
    this.#pending.unshift(back);
    if (!slot.dead) {
      // It skips them when it gets to them: it gets no more until it did. It may
      // have reported all the rest meanwhile: then it is idle now.
      slot.skipOwed = true;
      this.#afterResults(slot);
    }
    if (this.#pending.length > 0) this.#dispatch();
  }

  /**
   * Work conservation without a round trip: while the queue is empty, a thread that
   * holds at most the task it runs gets a copy of the oldest unstarted task of the
   * thread that holds the most, and takes it (one compare-and-swap, see
   * `Slot.shadow`) as soon as it is idle, unless that thread started it first. A
   * steal through this thread wakes two threads in turn: 0.1 ms unloaded, 10–40 ms
   * on a loaded 2-core machine, longer than many a task (the README tour's fib(32)
   * finished 14–18 ms after fib(25) there and fib(20) came last, 2 runs in 25).
   */
  #share(): void {
    if (this.#pending.length > 0 || this.#closed || this.#broken) return;
    for (const thief of this.#slots) {
      if (
        thief.ch.ctl === undefined || thief.load > 1 || thief.shadows > 0 || thief.retiring ||
        thief.dead || thief.skipOwed || thief.dispatched >= this.#maxTasksPerWorker
      ) continue;
      let victim: Slot | undefined;
      let most = 0;
      for (const slot of this.#slots) {
        const unstarted = slot === thief ? 0 : this.#unstarted(slot);
        if (unstarted > most) {
          most = unstarted;
          victim = slot;
        }
      }
      if (victim === undefined) return;
      const inflight = victim.inflight;
      for (let i = victim.head + 1; i < inflight.length; i++) {
        const job = inflight[i];
        // A task with a timeout or a signal is timed and cancelled where it was
        // handed; one whose buffers were transferred lives in its worker.
        if (
          job.shadow !== undefined || job.outcome !== O_PENDING || job.timeout !== Infinity ||
          job.signal !== undefined || job.transfer !== undefined || job.seq < 0
        ) continue;
        if (!victim.shadow(i)) continue;
        if (this.#sendCopy(thief, victim, job)) break;
        victim.unshadow(i);
      }
    }
  }

  /** Posts a copy of `victim`'s unstarted `job` to `thief`. */
  #sendCopy(thief: Slot, victim: Slot, job: Job): boolean {
    this.#postInit(thief);
    let fns: FunctionDef[] | undefined;
    if (typeof job.ref === "number" && !thief.known.has(job.ref)) {
      fns = [this.#fnDefs.get(job.ref)!];
    }
    const message: ShadowMessage = {
      t: MSG_SHADOW,
      ctl: victim.ch.ctl!.buffer as SharedArrayBuffer,
      q: [job.id, job.kind, job.ref, job.args, job.seq],
    };
    if (fns) message.fns = fns;
    try {
      thief.ch.post(message as unknown as RunMessage, EMPTY_TRANSFER);
    } catch {
      return false;
    }
    if (fns) thief.known.add(fns[0][0]);
    job.shadow = thief;
    thief.shadows++;
    this.#copies.set(job.id, job);
    return true;
  }

  /** Forgets that `job` has a copy (its worker ran it, or it goes elsewhere). */
  #dropCopy(job: Job): void {
    const thief = job.shadow;
    if (thief === undefined) return;
    job.shadow = undefined;
    thief.shadows--;
    this.#copies.delete(job.id);
  }

  /**
   * The thread that held a copy of `job` took it: it leaves the worker it was handed
   * to (`from`, at `index`) for that thread, which runs it.
   */
  #moveCopy(job: Job, from: Slot, index: number): void {
    const thief = job.shadow!;
    this.#dropCopy(job);
    from.inflight.splice(index, 1);
    if (thief.dead) {
      // It died with the task: the task fails as it would have in its own worker.
      job.slot = undefined;
      this.#finish(
        job,
        O_REJECTED,
        new Error(
          `Cannot complete task ${job.id} ('${job.label}') as its ${thief.ch.kind} '${thief.name}' died`,
        ),
      );
      return;
    }
    job.slot = thief;
    job.seq = -1;
    thief.inflight.push(job);
    this.#setRef(thief, true);
  }

  /** A worker reports that the thread holding a copy of task `id` took it. */
  #onStolen(slot: Slot, id: number): void {
    const job = this.#copies.get(id);
    if (job === undefined || job.slot !== slot) return;
    const index = slot.inflight.indexOf(job, slot.head);
    if (index >= 0) this.#moveCopy(job, slot, index);
  }

  /** A thread reports task `id`, which it took from another as a copy. */
  #takeCopy(thief: Slot, id: number): Job | undefined {
    const job = this.#copies.get(id);
    if (job === undefined || job.shadow !== thief || job.slot === undefined) return undefined;
    const from = job.slot;
    const index = from.inflight.indexOf(job, from.head);
    if (index < 0) return undefined;
    this.#dropCopy(job);
    from.inflight.splice(index, 1);
    return job;
  }

  /**
   * Tasks a worker holds and may not have started (0 for a process already asked to
   * give some back).
   */
  #unstarted(slot: Slot): number {
    if (slot.dead || slot.load < 2 && slot.ready) return 0;
    if (slot.ch.ctl === undefined && (!slot.inboxReading || slot.revoking)) return 0;
    // The oldest unreported task may be running: it stays.
    return slot.load - 1;
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
      this.#break(startError(error));
      return false;
    }
    this.#started++;
    this.#slots.push(slot);
    // Idle until it gets tasks: it must not keep the process alive.
    this.#setRef(slot, false);
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

  /** Posts a batch to a worker; a task that cannot be cloned fails alone. */
  #send(slot: Slot, batch: Job[]): void {
    const q: unknown[] = [];
    let fns: FunctionDef[] | undefined;
    let transfer: Transferable[] | undefined;
    for (const job of batch) {
      q.push(job.id, job.kind, job.ref, job.args);
      if (typeof job.ref === "number" && !slot.known.has(job.ref)) {
        slot.known.add(job.ref);
        (fns ??= []).push(this.#fnDefs.get(job.ref)!);
      }
      if (job.transfer !== undefined) (transfer ??= []).push(...job.transfer);
    }
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
    let fns: FunctionDef[] | undefined;
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

  /** Records that a worker holds the jobs of a batch it was sent. */
  #assign(slot: Slot, batch: Job[]): void {
    if (slot.idleTimer !== undefined) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    if (slot.load === 0) slot.lastAt = performance.now();
    this.#setRef(slot, true);
    slot.dispatched += batch.length;
    if (slot.dispatched >= this.#maxTasksPerWorker) slot.retiring = true;
    for (const job of batch) {
      job.slot = slot;
      job.seq = slot.nextSeq++;
      slot.inflight.push(job);
    }
    this.#timeHead(slot);
  }

  /** Lets a worker keep the process alive only while it holds tasks. */
  #setRef(slot: Slot, keepAlive: boolean): void {
    if (slot.refed === keepAlive || slot.dead) return;
    slot.refed = keepAlive;
    slot.ch.ref?.(keepAlive);
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

  // ---------------------------------------------------------------- messages

  #onMessage(slot: Slot, message: WorkerMessage): void {
    if (slot.dead) {
      // A killed process's last outcomes still count, and tell what it ran.
      if (slot.draining && message.t === MSG_RESULTS) this.#onResults(slot, message.r);
      // Tasks it gave back were not started: they run elsewhere, not fail with it.
      if (slot.draining && message.t === MSG_REVOKED) this.#onRevoked(slot, message.r);
      return;
    }
    switch (message.t) {
      case MSG_RESULTS:
        this.#onResults(slot, message.r);
        break;
      case MSG_PROGRESS:
        this.#onProgress(slot, message.id, message.v);
        break;
      case MSG_REVOKED:
        this.#onRevoked(slot, message.r);
        break;
      case MSG_INBOX_UP:
        // Its main thread stops reading stdin at this frame; its inbox thread goes on.
        try {
          slot.ch.post({ t: MSG_HANDOVER, r: [] }, EMPTY_TRANSFER);
        } catch { /* the process is gone */ }
        break;
      case MSG_INBOX_READING:
        slot.inboxReading = true;
        if (this.#pending.length > 0) this.#schedule(); // it may hold more now
        break;
      case MSG_READY:
        slot.ready = true;
        // Start-up time is no task's time.
        slot.lastAt = performance.now();
        this.#timeHead(slot);
        if (slot.load === 0) this.#schedule(); // it may take tasks from a busy worker
        break;
      case MSG_INIT_FAILED:
        this.#onInitFailed(message);
        break;
      case MSG_CLOSING:
        this.#onClosing(slot, message);
        break;
    }
  }

  #onProgress(slot: Slot, id: number, value: unknown): void {
    for (let i = slot.head; i < slot.inflight.length; i++) {
      if (slot.inflight[i].id === id) {
        slot.inflight[i].progress(value);
        return;
      }
    }
  }

  #onInitFailed(message: InitFailedMessage): void {
    const cause = message.e ? deserializeError(message.e) : message.v;
    const what = this.#initializer === undefined
      ? `module '${this.#module}' failed to load`
      : `module '${this.#module}' or its initializer '${this.#initializer}' failed`;
    this.#break(
      brief(
        new BrokenPoolError(
          `Cannot run tasks as ${what}: ${cause instanceof Error ? cause.message : String(cause)}`,
          { cause },
        ),
      ),
    );
  }

  #onClosing(slot: Slot, message: ClosingMessage): void {
    this.#onExit(slot, message.reason, message.e ? deserializeError(message.e) : undefined);
  }

  /** Settles the jobs of an outcome batch, then refills the worker or lets it idle. */
  #onResults(slot: Slot, r: unknown[]): void {
    const inflight = slot.inflight;
    if (r.length > 0 && !slot.dead) {
      const now = performance.now();
      const perTask = (now - slot.lastAt) / (r.length / RESULT_STRIDE);
      slot.lastAt = now;
      this.#avgTaskMs = this.#avgTaskMs === 0 ? perTask : this.#avgTaskMs * 0.7 + perTask * 0.3;
    }
    for (let i = 0; i < r.length; i += RESULT_STRIDE) {
      const id = r[i] as number;
      if (id < 0) {
        // It skipped a task that the thread holding its copy took.
        this.#onStolen(slot, -id);
        continue;
      }
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
        job ??= this.#takeCopy(slot, id);
        if (job === undefined) continue;
      }
      if (job.shadow !== undefined) this.#dropCopy(job);
      job.slot = undefined;
      if (job.outcome !== O_PENDING) {
        job.clearTimer();
        continue;
      }
      this.#settleOutcome(job, r[i + 1], r[i + 2]);
    }
    if (slot.dead) return;
    this.#afterResults(slot);
  }

  /** Settles one job from its outcome code and value. */
  #settleOutcome(job: Job, code: unknown, value: unknown): void {
    if (code === OUT_OK) {
      if (typeof value === "object" && value !== null) value = reviveShared(value);
      this.#finish(job, O_FULFILLED, value);
    } else if (code === OUT_ERROR) {
      this.#finish(
        job,
        O_REJECTED,
        deserializeError(value as Parameters<typeof deserializeError>[0]),
      );
    } else if (code === OUT_SKIPPED) {
      this.#finish(
        job,
        O_CANCELLED,
        new DOMException(`Task ${job.id} was cancelled`, "AbortError"),
      );
    } else {
      this.#finish(job, O_REJECTED, value);
    }
  }

  /** After outcomes: retire, refill or idle the worker. */
  #afterResults(slot: Slot): void {
    const inflight = slot.inflight;
    if (slot.head === inflight.length) {
      slot.inflight = [];
      slot.head = 0;
      slot.skipOwed = false;
      if (slot.retiring) {
        this.#kill(slot, undefined);
        return;
      }
    } else if (slot.head > 1024 && slot.head * 2 > inflight.length) {
      slot.inflight = inflight.slice(slot.head);
      slot.head = 0;
    }
    this.#timeHead(slot);
    if (this.#pending.length > 0) {
      // Refill a process once half its queue is done, not after every outcome: it
      // reports each outcome before its next task, and a message per task each way
      // would cost more than tiny tasks.
      if (slot.ch.ctl !== undefined || slot.load * 2 <= this.#cap(slot)) this.#dispatch();
    } else if (slot.load === 0) {
      this.#setRef(slot, false);
      if (this.#closed) {
        if (this.#outstanding === 0) this.#kill(slot, undefined);
      } else if (this.#idleTimeout === 0) {
        this.#kill(slot, undefined);
      } else {
        this.#steal();
        if (slot.load === 0 && slot.shadows === 0) this.#startIdleTimer(slot);
      }
    }
    if (this.#pending.length === 0) {
      this.#share();
      // A process that gave back nothing (it had started them) may hold more now.
      if (slot.ch.revokes) this.#steal();
    }
  }

  #startIdleTimer(slot: Slot): void {
    if (this.#idleTimeout === Infinity || slot.idleTimer !== undefined) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.load === 0 && slot.shadows === 0) this.#kill(slot, undefined);
    }, this.#idleTimeout);
    // An idle pool does not keep the process alive.
    Deno.unrefTimer(slot.idleTimer);
  }

  // ---------------------------------------------------------------- faults

  #onExit(slot: Slot, reason: string, cause?: Error): void {
    if (slot.dead) return;
    if (!slot.ready) {
      const what = this.#module === undefined ? "" : ` with module '${this.#module}'`;
      this.#break(
        brief(
          new BrokenPoolError(
            `Cannot run tasks as a ${slot.ch.kind}${what} failed to start: ${reason}`,
            cause ? { cause } : undefined,
          ),
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
    // Whoever awaits its end (shutdown) must keep the process alive until then.
    this.#setRef(slot, true);
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
    if (slot.shadows > 0) this.#dropCopies(slot);
    if (closed !== undefined) {
      const tracked = closed.catch(() => {}).finally(() => this.#closing.delete(tracked));
      this.#closing.add(tracked);
      if (slot.ch.ctl === undefined && slot.load > 0) {
        // A process may have finished tasks whose outcomes are still in the pipe, and
        // started one more: read all it wrote before deciding what runs again, so
        // that no task runs twice.
        slot.draining = true;
        slot.killedAt = slot.inflight[slot.head];
        for (let i = slot.head; i < slot.inflight.length; i++) slot.inflight[i].clearTimer();
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

  /**
   * A thread holding copies died: each copy it took fails with it; the others stay
   * with the workers they were handed to.
   */
  #dropCopies(thief: Slot): void {
    for (const job of [...this.#copies.values()]) {
      if (job.shadow !== thief) continue;
      const from = job.slot!;
      const index = from.inflight.indexOf(job, from.head);
      if (index >= 0 && !from.dead && from.unshadow(index)) this.#moveCopy(job, from, index);
      else this.#dropCopy(job);
    }
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
      if (job.shadow !== undefined) {
        if (slot.unshadow(i) && !job.shadow.dead) {
          // The thread holding its copy took it: it runs there.
          this.#moveCopy(job, slot, i--);
          continue;
        }
        this.#dropCopy(job);
      }
      job.clearTimer();
      job.slot = undefined;
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
      requeue.push(job);
    }
    slot.inflight = [];
    slot.head = 0;
    this.#pending.unshift(requeue);
    if (this.#pending.length > 0 && !this.#broken) this.#schedule();
  }

  /** Fails every task and ends every worker: the pool cannot run tasks. */
  #break(error: Error): void {
    if (this.#broken) return;
    this.#broken = error;
    for (const job of this.#pending.drain()) this.#finish(job, O_REJECTED, error);
    for (const slot of [...this.#slots]) {
      for (let i = slot.head; i < slot.inflight.length; i++) {
        this.#finish(slot.inflight[i], O_REJECTED, error);
      }
      this.#kill(slot, undefined);
    }
  }

  // ---------------------------------------------------------------- shutdown, map

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
      for (const job of this.#pending.drain()) {
        this.#finish(
          job,
          O_CANCELLED,
          new DOMException(`Task ${job.id} was cancelled by shutdown`, "AbortError"),
        );
      }
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
    for (const job of this.#pending.drain()) {
      this.#finish(job, wait ? O_REJECTED : O_CANCELLED, reason);
    }
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
    const chunkSize = checkInteger(options.chunkSize, "chunkSize", "Cannot map", 1);
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

/**
 * A run message; `e` asks the worker to report each outcome before the next task
 * starts, `i` is the worker's init message when this is its first batch.
 */
function runMessage(
  q: unknown[],
  fns: FunctionDef[] | undefined,
  batch: Job[],
  init: RunMessage["i"],
): RunMessage {
  const message: RunMessage = { t: MSG_RUN, q };
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

function isTimeout(value: unknown): boolean {
  return value instanceof DOMException && value.name === "TimeoutError";
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

/** Why a worker could not start, as the error that breaks the pool. */
function startError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return brief(new BrokenPoolError(`Cannot start a worker: ${message}`, { cause: error }));
}

/**
 * A missing permission is the user's to fix, not a bug to trace: an error whose
 * message names the flag to add (Deno's does) prints as that one line, without the
 * 10 frames of pool internals and the cause that repeats it.
 */
function brief(error: BrokenPoolError): BrokenPoolError {
  if (!/--allow-[a-z-]+/.test(error.message)) return error;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new BrokenPoolError(error.message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
