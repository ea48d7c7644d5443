/**
 * Private: the settle-once outcome behind a `Task`, with a promise created only
 * when someone awaits it (so an unawaited failure is never an unhandled rejection),
 * and the task's progress listeners.
 *
 * @module
 */

import type { TaskState } from "./task.ts";

/** Not settled yet. */
export const O_PENDING = 0;
/** Fulfilled. */
export const O_FULFILLED = 1;
/** Rejected. */
export const O_REJECTED = 2;
/** Cancelled (rejected with the cancellation reason). */
export const O_CANCELLED = 3;

/** A settle-once outcome with a lazily created promise. */
export class Outcome {
  /** One of the `O_*` codes. */
  outcome = O_PENDING;
  /** The result or the rejection reason. */
  value: unknown = undefined;
  #promise: Promise<unknown> | undefined;
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  #listeners: ((value: unknown) => void)[] | undefined;

  /** The state once settled, or `undefined` while pending. */
  settledState(): TaskState | undefined {
    switch (this.outcome) {
      case O_FULFILLED:
        return "fulfilled";
      case O_REJECTED:
        return "rejected";
      case O_CANCELLED:
        return "cancelled";
    }
    return undefined;
  }

  /** A promise of the outcome (created on first use). */
  promise(): Promise<unknown> {
    if (this.#promise === undefined) {
      if (this.outcome === O_FULFILLED) this.#promise = Promise.resolve(this.value);
      else if (this.outcome !== O_PENDING) this.#promise = Promise.reject(this.value);
      else {
        this.#promise = new Promise((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
      }
    }
    return this.#promise;
  }

  /** Adds a progress listener (none once settled); returns its remover. */
  onProgress(listener: (value: unknown) => void): () => void {
    if (typeof listener !== "function") {
      throw new TypeError(
        `Cannot listen to progress as 'listener' must be a function: received ${typeof listener}`,
      );
    }
    if (this.outcome !== O_PENDING) return () => {};
    (this.#listeners ??= []).push(listener);
    return () => {
      const at = this.#listeners?.indexOf(listener) ?? -1;
      if (at >= 0) this.#listeners!.splice(at, 1);
    };
  }

  /** Calls the progress listeners; a listener that throws is reported, not rethrown. */
  progress(value: unknown): void {
    const listeners = this.#listeners;
    if (listeners === undefined || this.outcome !== O_PENDING) return;
    for (const listener of [...listeners]) {
      try {
        listener(value);
      } catch (error) {
        reportError(error);
      }
    }
  }

  /** Records the outcome once; returns false when it was already settled. */
  publish(outcome: number, value: unknown): boolean {
    if (this.outcome !== O_PENDING) return false;
    this.outcome = outcome;
    this.value = value;
    this.#listeners = undefined;
    if (outcome === O_FULFILLED) this.#resolve?.(value);
    else this.#reject?.(value);
    return true;
  }
}
