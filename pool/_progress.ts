/**
 * Private: a task's progress reports as an async iterator (`Task.progress()`),
 * over the handle's listener and its outcome.
 *
 * @module
 */

import type { TaskHandle } from "./task.ts";

/**
 * The progress values of `handle` from now on, buffered until read, ending once
 * the task settled and every value reported before was read; `signal` makes a
 * pending or later `next()` reject with its reason.
 */
export function progressIterator(
  handle: TaskHandle<unknown>,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<unknown> {
  return new ProgressIterator(handle, signal);
}

class ProgressIterator implements AsyncIterableIterator<unknown> {
  #values: unknown[] = [];
  #head = 0;
  #ended = false;
  #failure: { reason: unknown } | undefined;
  #waiter: ((result: IteratorResult<unknown>) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  #stop: (() => void) | undefined;
  #signal: AbortSignal | undefined;
  #onAbort = () => this.#abort();

  constructor(handle: TaskHandle<unknown>, signal: AbortSignal | undefined) {
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(
        `Cannot follow progress as 'signal' must be an AbortSignal: received ${typeof signal}`,
      );
    }
    if (signal?.aborted) {
      this.#failure = { reason: signal.reason };
      this.#ended = true;
      return;
    }
    // Subscribe at once: a value reported before the first `next()` waits in the buffer.
    this.#stop = handle.onProgress?.((value) => this.#push(value));
    const settled = handle.state === "fulfilled" || handle.state === "rejected" ||
      handle.state === "cancelled";
    if (settled) {
      this.#end();
      return;
    }
    // The outcome is the task's to report: the iterator only ends (a handler on both
    // branches, so a failure is never unhandled here).
    handle.promise().then(() => this.#end(), () => this.#end());
    if (signal !== undefined) {
      this.#signal = signal;
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  #push(value: unknown): void {
    if (this.#ended) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = this.#reject = undefined;
      waiter({ value, done: false });
    } else {
      this.#values.push(value);
    }
  }

  /** Stops listening; what was buffered is still read. */
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stop?.();
    this.#stop = undefined;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#signal = undefined;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = this.#reject = undefined;
      waiter({ value: undefined, done: true });
    }
  }

  #abort(): void {
    const reason = this.#signal?.reason;
    const reject = this.#reject;
    this.#waiter = this.#reject = undefined;
    this.#end();
    this.#values = [];
    this.#head = 0;
    if (reject !== undefined) reject(reason);
    else this.#failure = { reason };
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#head < this.#values.length) {
      const value = this.#values[this.#head];
      this.#values[this.#head++] = undefined;
      if (this.#head === this.#values.length) {
        this.#values = [];
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#failure !== undefined) {
      const { reason } = this.#failure;
      this.#failure = undefined;
      return Promise.reject(reason);
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter !== undefined) {
      // A second `next()` before the first settled: it waits behind it.
      const before = this.#waiting;
      return this.#waiting = before.then(() => this.next(), () => this.next());
    }
    return this.#waiting = new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#reject = reject;
    });
  }

  #waiting: Promise<IteratorResult<unknown>> = Promise.resolve({ value: undefined, done: true });

  return(): Promise<IteratorResult<unknown>> {
    // The consumer left (`break`): stop listening and drop the buffer.
    this.#end();
    this.#values = [];
    this.#head = 0;
    this.#failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }
}
