/**
 * Private: one worker of a pool seen from the dispatcher: its channel, the tasks
 * handed to it in order (`inflight` from `head`), and what the dispatcher knows of
 * its state (starting, ready, retiring, dead, being read out).
 *
 * @module
 */

import type { Channel } from "./_channel.ts";
import type { Job } from "./_job.ts";
import { claimTag, CTL_CLAIM, CTL_CLAIM_MASK, CTL_CURRENT, type InitMessage } from "./_protocol.ts";

/**
 * Main → thread: a copy of another thread's unstarted task (see `Slot.shadow`), as
 * `[id, kind, ref, args, seq]` with that thread's control buffer. Not in
 * `_protocol.ts`: only a thread's runner reads it.
 */
export const MSG_SHADOW = 100;

/** A shadow message (see {@linkcode MSG_SHADOW}). */
export interface ShadowMessage {
  t: typeof MSG_SHADOW;
  ctl: SharedArrayBuffer;
  q: unknown[];
  fns?: [number, string, string][];
}

/**
 * The claim word of task `seq` while a copy of it waits in another thread: its
 * owner may still claim it and the pool revoke it, as a free word.
 */
export function shadowTag(seq: number): number {
  return -claimTag(seq, true);
}

/** The claim word of task `seq` once another thread took its copy and runs it. */
export function stolenTag(seq: number): number {
  return -claimTag(seq, false);
}

/**
 * Takes task `seq` of another thread for the thread that holds its copy: one
 * compare-and-swap from {@linkcode shadowTag}, against its owner's claim and the
 * pool's revoke.
 */
export function steal(ctl: Int32Array, seq: number): boolean {
  const at = CTL_CLAIM + (seq & CTL_CLAIM_MASK);
  return Atomics.compareExchange(ctl, at, shadowTag(seq), stolenTag(seq)) === shadowTag(seq);
}

/**
 * Takes back task `seq` if it has not started: one compare-and-swap on its claim
 * word, against the worker's own when it starts it (see `Slot.revoke`).
 */
export function revokeClaim(ctl: Int32Array, seq: number): boolean {
  const at = CTL_CLAIM + (seq & CTL_CLAIM_MASK);
  const started = claimTag(seq, false);
  const revoked = claimTag(seq, true);
  for (;;) {
    const word = Atomics.load(ctl, at);
    if (word === started || word === stolenTag(seq)) return false;
    if (Atomics.compareExchange(ctl, at, word, revoked) === word) return true;
  }
}

/** One worker, seen from the main side. */
export class Slot {
  readonly id: number;
  readonly name: string;
  ch!: Channel;
  /** Tasks handed to the worker and not reported yet, oldest first from `head`. */
  inflight: Job[] = [];
  head = 0;
  /** Ids of the functions this worker has compiled. */
  known: Set<number> = new Set<number>();
  /** Tasks handed to it in its life (for `maxTasksPerWorker`). */
  dispatched = 0;
  /** The sequence number the next task handed to it gets (see `CTL_CLAIM`). */
  nextSeq = 0;
  /** When it last reported, or got work while idle (ms, `performance.now()`). */
  lastAt = 0;
  retiring = false;
  dead = false;
  ready = false;
  /** Copies it holds of other threads' unstarted tasks (see `shadow`). */
  shadows = 0;
  /** A process's inbox thread reads its stdin: it answers revokes while a task runs. */
  inboxReading = false;
  /** A process was asked to give back unstarted tasks and has not answered yet. */
  revoking = false;
  /** Tasks were taken back from it and it has not gone past them yet: hand it none. */
  skipOwed = false;
  /** Whether it keeps the process alive now (it holds tasks). */
  refed = true;
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

  /** Tasks handed to it and not reported. */
  get load(): number {
    return this.inflight.length - this.head;
  }

  /** The task it runs now, as far as the main side can tell. */
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

  /**
   * Takes back the task at `inflight[index]` if the worker has not started it: one
   * compare-and-swap on its claim word, against the worker's own when it starts it.
   * Always false for a process (it shares no memory with the pool).
   */
  revoke(index: number): boolean {
    const ctl = this.ch.ctl;
    if (ctl === undefined) return false;
    const seq = this.inflight[index].seq;
    // A task another thread took (see `shadow`) is no longer this one's.
    if (seq < 0) return false;
    return revokeClaim(ctl, seq);
  }

  /**
   * Marks the unstarted task at `inflight[index]` as copied to another thread, which
   * may take it once idle without a round trip through the pool's thread (10–40 ms
   * on a loaded 2-core machine, against 0.1 ms unloaded); false when it has started.
   */
  shadow(index: number): boolean {
    const ctl = this.ch.ctl;
    const seq = this.inflight[index].seq;
    if (ctl === undefined || seq < 0) return false;
    const at = CTL_CLAIM + (seq & CTL_CLAIM_MASK);
    for (;;) {
      const word = Atomics.load(ctl, at);
      if (
        word === claimTag(seq, false) || word === claimTag(seq, true) ||
        word === shadowTag(seq) || word === stolenTag(seq)
      ) return false;
      if (Atomics.compareExchange(ctl, at, word, shadowTag(seq)) === word) return true;
    }
  }

  /**
   * Takes back the copy of the task at `inflight[index]` (its thief died or it goes
   * elsewhere): true when the thief had already taken it.
   */
  unshadow(index: number): boolean {
    const ctl = this.ch.ctl!;
    const seq = this.inflight[index].seq;
    const at = CTL_CLAIM + (seq & CTL_CLAIM_MASK);
    Atomics.compareExchange(ctl, at, shadowTag(seq), 0);
    return Atomics.load(ctl, at) === stolenTag(seq);
  }
}
