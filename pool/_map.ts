/**
 * Private: the lazy, bounded `map` iterator shared by the executors.
 *
 * @module
 */

/** A submitted chunk: a native promise of its results, and a way to cancel it. */
export interface ChunkTask {
  promise(): Promise<unknown>;
  cancel(reason?: unknown): boolean;
}

/**
 * Maps `inputs` through `submitChunk`, `chunkSize` inputs per task and at most
 * `window` tasks in flight, consuming `inputs` lazily.
 */
export function mapResults(
  submitChunk: (chunk: unknown[]) => ChunkTask,
  inputs: Iterable<unknown> | AsyncIterable<unknown>,
  chunkSize: number,
  ordered: boolean,
  window: number,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<unknown> {
  return new MapIterator(submitChunk, inputs, chunkSize, ordered, window, signal);
}

const DONE: IteratorResult<unknown> = { value: undefined, done: true };

class MapIterator implements AsyncIterableIterator<unknown> {
  #submit: (chunk: unknown[]) => ChunkTask;
  #inputs: Iterable<unknown> | AsyncIterable<unknown>;
  #sync: Iterator<unknown> | undefined;
  #async: AsyncIterator<unknown> | undefined;
  #sourceDone = false;
  #sourceError: { reason: unknown } | undefined;
  #pumping = false;
  #pulling = false;
  #chunkSize: number;
  #ordered: boolean;
  #window: number;
  #signal: AbortSignal | undefined;
  #inflight: ChunkTask[] = [];
  #inflightHead = 0;
  #running = 0;
  #live = new Set<ChunkTask>();
  #completed: unknown[][] = [];
  #error: { reason: unknown } | undefined;
  #wake: (() => void) | undefined;
  #buffer: unknown[] = [];
  #index = 0;
  #finished = false;
  #abort: Promise<never> | undefined;
  #onAbort: (() => void) | undefined;

  constructor(
    submit: (chunk: unknown[]) => ChunkTask,
    inputs: Iterable<unknown> | AsyncIterable<unknown>,
    chunkSize: number,
    ordered: boolean,
    window: number,
    signal: AbortSignal | undefined,
  ) {
    this.#submit = submit;
    this.#inputs = inputs;
    this.#chunkSize = chunkSize;
    this.#ordered = ordered;
    this.#window = window;
    this.#signal = signal;
    if (inputs === null || typeof inputs !== "object" && typeof inputs !== "string") {
      throw new TypeError(`Cannot map as 'inputs' must be iterable: received ${inputs}`);
    }
    if (
      typeof (inputs as Iterable<unknown>)[Symbol.iterator] !== "function" &&
      typeof (inputs as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function"
    ) {
      throw new TypeError("Cannot map as 'inputs' must be an iterable or an async iterable");
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#index < this.#buffer.length) {
      const value = this.#buffer[this.#index];
      this.#buffer[this.#index++] = undefined;
      return Promise.resolve({ value, done: false });
    }
    return this.#slow();
  }

  async return(): Promise<IteratorResult<unknown>> {
    await this.#cleanup();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<unknown>> {
    await this.#cleanup();
    throw error;
  }

  async #slow(): Promise<IteratorResult<unknown>> {
    if (this.#finished) return DONE;
    try {
      if (this.#signal !== undefined && this.#abort === undefined) this.#listen(this.#signal);
      this.#open();
      for (;;) {
        this.#signal?.throwIfAborted();
        this.#fill();
        if (this.#sourceError) throw this.#sourceError.reason;
        let chunk: unknown[] | undefined;
        if (this.#ordered) {
          if (this.#inflightHead === this.#inflight.length) {
            if (this.#sourceDone) break;
            // An async source is slow to yield: wait for its next chunk.
            await this.#sleep();
            continue;
          }
          const task = this.#inflight[this.#inflightHead];
          this.#inflight[this.#inflightHead++] = undefined as unknown as ChunkTask;
          if (this.#inflightHead > 256 && this.#inflightHead * 2 > this.#inflight.length) {
            this.#inflight = this.#inflight.slice(this.#inflightHead);
            this.#inflightHead = 0;
          }
          const promise = task.promise();
          chunk =
            (this.#abort ? await Promise.race([promise, this.#abort]) : await promise) as unknown[];
          this.#fill();
        } else {
          if (this.#error) throw this.#error.reason;
          if (this.#completed.length === 0) {
            if (this.#running === 0 && this.#sourceDone) break;
            await this.#sleep();
            continue;
          }
          chunk = this.#completed.shift()!;
        }
        if (chunk.length > 0) {
          this.#buffer = chunk;
          this.#index = 1;
          const value = chunk[0];
          chunk[0] = undefined;
          return { value, done: false };
        }
      }
    } catch (error) {
      await this.#cleanup();
      throw error;
    }
    await this.#cleanup();
    return DONE;
  }

  #listen(signal: AbortSignal): void {
    this.#abort = new Promise<never>((_, reject) => {
      this.#onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    });
    this.#abort.catch(() => {});
  }

  #open(): void {
    if (this.#sync === undefined && this.#async === undefined) {
      const inputs = this.#inputs as Iterable<unknown> & AsyncIterable<unknown>;
      if (typeof inputs[Symbol.iterator] === "function") this.#sync = inputs[Symbol.iterator]();
      else this.#async = inputs[Symbol.asyncIterator]();
    }
  }

  /** Submits chunks from a sync source until the window is full. */
  #fillSync(): void {
    const size = this.#chunkSize;
    const it = this.#sync!;
    while (!this.#sourceDone && this.#inflightCount() < this.#window) {
      const chunk: unknown[] = [];
      while (chunk.length < size) {
        const r = it.next();
        if (r.done) {
          this.#sourceDone = true;
          break;
        }
        chunk.push(r.value);
      }
      if (chunk.length === 0) break;
      this.#track(this.#submit(chunk));
    }
  }

  /** Submits chunks until the window is full: at once from a sync source, in the background from an async one. */
  #fill(): void {
    if (this.#sync !== undefined) this.#fillSync();
    else if (!this.#pumping && !this.#sourceDone) this.#pump();
  }

  /**
   * Pulls an async source in the background, so that results already computed
   * are yielded while the source is slow to produce more.
   */
  async #pump(): Promise<void> {
    this.#pumping = true;
    const size = this.#chunkSize;
    const it = this.#async!;
    try {
      while (!this.#sourceDone && this.#inflightCount() < this.#window) {
        const chunk: unknown[] = [];
        while (chunk.length < size) {
          this.#pulling = true;
          const r = await it.next();
          this.#pulling = false;
          if (this.#finished) return;
          if (r.done) {
            this.#sourceDone = true;
            break;
          }
          chunk.push(r.value);
        }
        if (chunk.length > 0) this.#track(this.#submit(chunk));
        this.#wake?.();
      }
    } catch (reason) {
      this.#sourceDone = true;
      this.#sourceError ??= { reason };
    } finally {
      this.#pulling = false;
      this.#pumping = false;
      this.#wake?.();
    }
  }

  /** Waits for a chunk, a submit or the end of the source (or the signal). */
  async #sleep(): Promise<void> {
    const woken = new Promise<void>((resolve) => this.#wake = resolve);
    await (this.#abort ? Promise.race([woken, this.#abort]) : woken);
  }

  #track(task: ChunkTask): void {
    if (this.#ordered) {
      this.#inflight.push(task);
      return;
    }
    this.#running++;
    this.#live.add(task);
    task.promise().then((value) => {
      this.#live.delete(task);
      this.#running--;
      this.#completed.push(value as unknown[]);
      this.#wake?.();
    }, (reason) => {
      this.#live.delete(task);
      this.#running--;
      this.#error ??= { reason };
      this.#wake?.();
    });
  }

  #inflightCount(): number {
    return this.#ordered ? this.#inflight.length - this.#inflightHead : this.#running;
  }

  async #cleanup(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#buffer = [];
    this.#index = 0;
    for (let i = this.#inflightHead; i < this.#inflight.length; i++) {
      this.#inflight[i]?.cancel();
    }
    this.#inflight = [];
    this.#inflightHead = 0;
    for (const task of this.#live) task.cancel();
    this.#live.clear();
    if (this.#onAbort) this.#signal!.removeEventListener("abort", this.#onAbort);
    if (!this.#sourceDone) {
      this.#sourceDone = true;
      try {
        this.#sync?.return?.();
        const source = this.#async;
        if (source?.return && this.#pulling) {
          // An async generator only returns once its pending `next()` settles, which
          // may be never: close it without waiting then.
          (async () => await source.return!())().catch(() => {});
        } else {
          await source?.return?.();
        }
      } catch { /* the source's own cleanup failed: nothing to add */ }
    }
  }
}
