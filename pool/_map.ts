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
      for (;;) {
        this.#signal?.throwIfAborted();
        if (this.#sync === undefined) await this.#fill();
        else this.#fillSync();
        let chunk: unknown[] | undefined;
        if (this.#ordered) {
          if (this.#inflightHead === this.#inflight.length) break;
          const task = this.#inflight[this.#inflightHead];
          this.#inflight[this.#inflightHead++] = undefined as unknown as ChunkTask;
          if (this.#inflightHead > 256 && this.#inflightHead * 2 > this.#inflight.length) {
            this.#inflight = this.#inflight.slice(this.#inflightHead);
            this.#inflightHead = 0;
          }
          const promise = task.promise();
          chunk =
            (this.#abort ? await Promise.race([promise, this.#abort]) : await promise) as unknown[];
          if (this.#async !== undefined) await this.#fill();
          else this.#fillSync();
        } else {
          if (this.#error) throw this.#error.reason;
          if (this.#completed.length === 0) {
            if (this.#running === 0) break;
            const woken = new Promise<void>((resolve) => this.#wake = resolve);
            await (this.#abort ? Promise.race([woken, this.#abort]) : woken);
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

  /** Submits chunks until the window is full (any source). */
  async #fill(): Promise<void> {
    if (this.#sourceDone) return;
    this.#open();
    if (this.#sync !== undefined) return this.#fillSync();
    const size = this.#chunkSize;
    const it = this.#async!;
    while (!this.#sourceDone && this.#inflightCount() < this.#window) {
      const chunk: unknown[] = [];
      while (chunk.length < size) {
        const r = await it.next();
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
        await this.#async?.return?.();
      } catch { /* the source's own cleanup failed: nothing to add */ }
    }
  }
}
