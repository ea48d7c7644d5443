/**
 * Private: one submitted task as the dispatcher tracks it (its outcome, where it
 * is, its timer and signal), and the queue of tasks not handed to a worker yet.
 *
 * @module
 */

import { O_CANCELLED, O_PENDING, Outcome } from "./_outcome.ts";
import type { Slot } from "./_slot.ts";
import type { TaskHandle, TaskState } from "./task.ts";

/** What a job asks of its dispatcher. */
export interface JobOwner {
  /** Cancels or times out a job; returns whether it was still unsettled. */
  cancel(job: Job, reason: unknown, outcome: number): boolean;
}

const EMPTY: unknown[] = [];

/** One task: the handle behind its `Task`. */
export class Job extends Outcome implements TaskHandle<unknown> {
  readonly id: number;
  readonly owner: JobOwner;
  /** `KIND_CALL` or `KIND_MAP`. */
  readonly kind: number;
  /** An export name, or the id of a registered function. */
  readonly ref: string | number;
  /** The name in messages: the export or function name. */
  readonly label: string;
  args: unknown[];
  transfer: Transferable[] | undefined = undefined;
  /** Its timeout in ms (`Infinity`: none). */
  readonly timeout: number;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  /** The worker it was handed to, while it is there. */
  slot: Slot | undefined = undefined;
  /** Its sequence number in that worker (see `CTL_CLAIM`). */
  seq = -1;
  /** The thread that holds a copy of it while it waits in `slot` (see `Slot.shadow`). */
  shadow: Slot | undefined = undefined;
  /** Its timeout or cancel-grace timer. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    owner: JobOwner,
    id: number,
    kind: number,
    ref: string | number,
    label: string,
    args: unknown[],
    timeout: number,
  ) {
    super();
    this.owner = owner;
    this.id = id;
    this.kind = kind;
    this.ref = ref;
    this.label = label;
    this.args = args;
    this.timeout = timeout;
  }

  get state(): TaskState {
    const settled = this.settledState();
    if (settled !== undefined) return settled;
    const slot = this.slot;
    if (slot === undefined) return "queued";
    return slot.running() === this ? "running" : "queued";
  }

  cancel(reason?: unknown): boolean {
    return this.owner.cancel(
      this,
      reason ?? new DOMException(`Task ${this.id} was cancelled`, "AbortError"),
      O_CANCELLED,
    );
  }

  /** Stops its timer, if any. */
  clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Settles once; returns false when already settled. */
  settle(outcome: number, value: unknown): boolean {
    if (!this.publish(outcome, value)) return false;
    this.args = EMPTY;
    this.transfer = undefined;
    this.clearTimer();
    if (this.onAbort !== undefined) {
      this.signal!.removeEventListener("abort", this.onAbort);
      this.onAbort = undefined;
      this.signal = undefined;
    }
    return true;
  }

  /** Whether it still waits for an outcome. */
  get pending(): boolean {
    return this.outcome === O_PENDING;
  }
}

/** Tasks not handed to a worker yet, in order (an array read from `head`). */
export class JobQueue {
  #jobs: Job[] = [];
  #head = 0;

  /** Tasks in it (settled ones that were cancelled in the queue included). */
  get length(): number {
    return this.#jobs.length - this.#head;
  }

  /** Adds a task at the end. */
  push(job: Job): void {
    this.#jobs.push(job);
  }

  /** Puts tasks back at the front, in their order (taken back from a worker). */
  unshift(jobs: Job[]): void {
    if (jobs.length === 0) return;
    this.#jobs = jobs.concat(this.#jobs.slice(this.#head));
    this.#head = 0;
  }

  /** The task at the front, or `undefined`. */
  shift(): Job | undefined {
    if (this.#head === this.#jobs.length) return undefined;
    const job = this.#jobs[this.#head];
    this.#jobs[this.#head++] = undefined as unknown as Job;
    return job;
  }

  /** Removes every task and returns them. */
  drain(): Job[] {
    const jobs = this.#jobs.slice(this.#head);
    this.#jobs = [];
    this.#head = 0;
    return jobs;
  }

  /** Frees the space of tasks already taken (after a dispatch). */
  compact(): void {
    if (this.#head > 0 && this.#head === this.#jobs.length) {
      this.#jobs = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#jobs.length) {
      this.#jobs = this.#jobs.slice(this.#head);
      this.#head = 0;
    }
  }
}
