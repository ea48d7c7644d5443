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
    const at = CTL_CLAIM + (seq & CTL_CLAIM_MASK);
    const started = claimTag(seq, false);
    const revoked = claimTag(seq, true);
    for (;;) {
      const word = Atomics.load(ctl, at);
      if (word === started) return false;
      if (Atomics.compareExchange(ctl, at, word, revoked) === word) return true;
    }
  }
}
