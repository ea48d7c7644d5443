/**
 * Private: an async iterator over a `ReadableStream` whose `return()` cancels the stream
 * at once, even while a read is pending (the stream's own async iterator, like a
 * generator, makes `return()` wait behind a pending `next()`, forever for a stalled
 * source).
 *
 * @module
 */

/** Reads a stream with its own reader; `return()` cancels the reader. */
export class StreamIterator<T> implements AsyncIterator<T> {
  readonly #reader: ReadableStreamDefaultReader<T>;

  /** Locks `stream` to a new reader. */
  constructor(stream: ReadableStream<T>) {
    this.#reader = stream.getReader();
  }

  /** The next piece, or done (and the lock released) at the end of the stream. */
  async next(): Promise<IteratorResult<T>> {
    const { done, value } = await this.#reader.read();
    if (done) {
      this.#reader.releaseLock();
      return { done: true, value: undefined };
    }
    return { done: false, value };
  }

  /** Cancels the stream (a pending read ends as done) and releases the lock. */
  async return(): Promise<IteratorResult<T>> {
    await this.#reader.cancel();
    this.#reader.releaseLock();
    return { done: true, value: undefined };
  }
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts
 * (`promise` is then left to settle on its own).
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    }, (error: unknown) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}
