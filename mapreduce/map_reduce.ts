/**
 * {@linkcode mapReduce}: map chunks on a worker pool, reduce results as they complete.
 *
 * @module
 */

import { checkInteger } from "../sync/_checks.ts";
import { WorkerPool } from "../pool/worker_pool.ts";
import { StreamIterator } from "./_stream_iterator.ts";

/** The start of this module's option errors. */
const ACTION = "Cannot run map-reduce";

/** A task that {@linkcode MapReducePool.submit} returns: awaitable and cancellable. */
export interface MapReduceTask<T> extends PromiseLike<T> {
  /**
   * Cancels the task.
   *
   * @param reason Why (the task rejects with it).
   * @returns Whether the task was still pending.
   */
  cancel(reason?: unknown): boolean;
}

/**
 * What {@linkcode mapReduce} needs of a pool: a `WorkerPool` (or another executor of
 * `pool/` with the same `submit`).
 */
export interface MapReducePool {
  /** Number of workers. */
  readonly size: number;
  /**
   * Runs a named export of the pool's module, or a self-contained function, on a worker.
   *
   * @param nameOrFn Export name or function.
   * @param args Its arguments.
   * @param options Objects to transfer.
   * @returns The task.
   */
  submit(
    // deno-lint-ignore no-explicit-any
    nameOrFn: any,
    // deno-lint-ignore no-explicit-any
    args: any,
    options?: { transfer?: Transferable[] },
  ): MapReduceTask<unknown>;
}

/** Options of {@linkcode mapReduce}. */
export interface MapReduceOptions<I, P, A> {
  /**
   * The pool that runs `map` (a `WorkerPool`). Without it, `mapReduce` starts a `WorkerPool` of
   * `workers` workers for a function `map` and shuts it down at the end.
   */
  pool?: MapReducePool;
  /**
   * Workers of the pool `mapReduce` starts when no `pool` is given.
   *
   * @default {navigator.hardwareConcurrency}
   */
  workers?: number;
  /** The chunks: an iterable, an async iterable or a `ReadableStream`, read lazily. */
  input: Iterable<I> | AsyncIterable<I> | ReadableStream<I>;
  /**
   * Runs on a worker for each chunk: the name of an export of the pool's task module,
   * or a self-contained function (sent as source, so it must not use outer variables).
   */
  map: string | ((chunk: I) => P | Promise<P>);
  /**
   * Runs on the calling thread for each result, in completion order (fastest first):
   * returns the new accumulator. `index` is the chunk's position in `input`.
   */
  reduce: (accumulator: A, partial: P, index: number) => A;
  /** The starting accumulator; without it, the first result to complete is used. */
  initial?: A;
  /**
   * Most chunks handed to the pool and not yet reduced; bounds memory to that many
   * chunks plus the accumulator.
   *
   * @default {2 × the pool's size}
   */
  concurrency?: number;
  /** Objects of a chunk to transfer to the worker instead of copying (e.g. `chunk.buffer`). */
  transfer?: (chunk: I) => Transferable[];
  /** Aborting stops reading `input`, cancels the chunks in flight and rejects. */
  signal?: AbortSignal;
}

/**
 * Chunked parallel map-reduce (Python's "count each chunk in a `Pool`, then merge the
 * `Counter`s"): reads `input` lazily, runs `map` on the pool for each chunk, keeps at
 * most `concurrency` chunks in flight, and folds each result into the accumulator with
 * `reduce` as soon as it completes (`asCompleted` order), so memory holds only the
 * chunks in flight and the accumulator.
 *
 * On a failure (in `map`, `reduce` or reading `input`) or an abort, the chunks in flight
 * are cancelled, `input` is closed, and the promise rejects with that error (the abort
 * `reason` for an abort).
 *
 * @typeParam I The chunk type.
 * @typeParam P The result of `map` for one chunk.
 * @typeParam A The accumulator type.
 * @param options The input, `map`, `reduce`, pool and limits.
 * @returns The final accumulator (`initial` when `input` is empty).
 * @throws {TypeError} If `map` is an export name and no `pool` is given, or `input` is
 * empty and there is no `initial`.
 * @throws {RangeError} If `concurrency`, or `workers` without a `pool`, is not a positive
 * integer.
 * @throws {TypeError} If `concurrency` or `workers` is given and is not a number.
 *
 * @example A word count with a self-contained function
 * ```ts
 * import { mapReduce } from "@tandem/tandem/mapreduce";
 * import { assertEquals } from "@std/assert";
 *
 * const text = ["the quick brown fox", "the lazy dog", "the fox"];
 * const counts = await mapReduce({
 *   workers: 2,
 *   input: text,
 *   map: (chunk: string) => {
 *     const frequency: Record<string, number> = {};
 *     for (const word of chunk.split(/\s+/).filter(Boolean)) {
 *       frequency[word] = (frequency[word] ?? 0) + 1;
 *     }
 *     return frequency;
 *   },
 *   reduce: (total: Map<string, number>, part: Record<string, number>) => {
 *     for (const [word, n] of Object.entries(part)) total.set(word, (total.get(word) ?? 0) + n);
 *     return total;
 *   },
 *   initial: new Map<string, number>(),
 * });
 * assertEquals(counts.get("the"), 3);
 * assertEquals(counts.get("fox"), 2);
 * ```
 */
export async function mapReduce<I, P, A = P>(options: MapReduceOptions<I, P, A>): Promise<A> {
  const { input, map, reduce, signal } = options;
  if (typeof map !== "string" && typeof map !== "function") {
    throw new TypeError(
      `Cannot run map-reduce as 'map' must be an export name or a function: received ${typeof map}`,
    );
  }
  if (typeof reduce !== "function") {
    throw new TypeError(
      `Cannot run map-reduce as 'reduce' must be a function: received ${typeof reduce}`,
    );
  }
  if (typeof map === "string" && options.pool === undefined) {
    throw new TypeError(
      `Cannot run map-reduce as 'map' names an export but no 'pool' was given: received '${map}'`,
    );
  }
  checkInteger(options.concurrency, "concurrency", ACTION, 1);
  if (options.pool === undefined) checkInteger(options.workers, "workers", ACTION, 1);
  signal?.throwIfAborted();
  const iterator = toAsyncIterator(input);
  const ownPool = options.pool === undefined
    ? new WorkerPool({ size: options.workers })
    : undefined;
  const pool: MapReducePool = options.pool ?? ownPool!;
  const limit = options.concurrency ?? 2 * pool.size;

  const inFlight = new Set<MapReduceTask<P>>();
  const done: { index: number; value: P }[] = [];
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onAbort = () => {
    failure ??= { error: signal!.reason };
    notify();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let hasAccumulator = options.initial !== undefined;
  let accumulator = options.initial as A;
  let exhausted = false;
  let pending: Promise<IteratorResult<I>> | undefined;
  try {
    let index = 0;
    while (true) {
      while (done.length > 0 && failure === undefined) {
        const { index: i, value } = done.shift()!;
        if (hasAccumulator) accumulator = reduce(accumulator, value, i);
        else {
          accumulator = value as unknown as A;
          hasAccumulator = true;
        }
      }
      if (failure !== undefined) throw failure.error;
      if (exhausted && inFlight.size === 0) break;
      if (!exhausted && inFlight.size < limit) {
        // A completed task wakes this wait: its result is reduced at once, and the same
        // pending read is awaited again (a slow input does not hold results back).
        if (pending === undefined) {
          pending = Promise.resolve(iterator.next());
          pending.catch(() => {}); // a rejection is seen (and thrown) by the race below
        }
        const next = await Promise.race([
          pending,
          new Promise<undefined>((resolve) => wake = () => resolve(undefined)),
        ]);
        if (next === undefined) continue; // woken: a result, a failure or an abort
        pending = undefined;
        if (next.done) {
          exhausted = true;
          continue;
        }
        const chunk = next.value;
        const i = index++;
        const transfer = options.transfer?.(chunk);
        const task = pool.submit(map, [chunk], { transfer }) as MapReduceTask<P>;
        inFlight.add(task);
        task.then((value) => {
          inFlight.delete(task);
          done.push({ index: i, value });
          notify();
        }, (error: unknown) => {
          inFlight.delete(task);
          failure ??= { error };
          notify();
        });
        continue;
      }
      if (done.length === 0) await new Promise<void>((resolve) => wake = resolve);
    }
  } catch (error) {
    for (const task of inFlight) task.cancel(error);
    if (!exhausted) await closeIterator(iterator, pending !== undefined);
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await ownPool?.shutdown({ wait: false });
  }
  if (!hasAccumulator) {
    throw new TypeError("Cannot reduce an empty input without an 'initial' accumulator");
  }
  return accumulator;
}

/**
 * Closes the input after a failure. While a `next()` is still pending, a generator's
 * `return()` waits behind it (possibly forever, for a stalled source), so it is then
 * requested without waiting; a stream's reader is cancelled at once either way.
 */
async function closeIterator<I>(iterator: AsyncIterator<I>, pending: boolean): Promise<void> {
  let closing: Promise<unknown> | undefined;
  try {
    closing = Promise.resolve(iterator.return?.()).catch(() => {});
  } catch {
    return;
  }
  if (!pending || iterator instanceof StreamIterator) await closing;
}

function toAsyncIterator<I>(
  input: Iterable<I> | AsyncIterable<I> | ReadableStream<I>,
): AsyncIterator<I> {
  if (input instanceof ReadableStream) return new StreamIterator(input);
  if (input !== null && typeof input === "object") {
    if (Symbol.asyncIterator in input) return (input as AsyncIterable<I>)[Symbol.asyncIterator]();
    if (Symbol.iterator in input) {
      const it = (input as Iterable<I>)[Symbol.iterator]();
      return {
        next: () => Promise.resolve(it.next()),
        return: (value?: unknown) => Promise.resolve(it.return?.(value) ?? { done: true, value }),
      } as AsyncIterator<I>;
    }
  }
  throw new TypeError(
    `Cannot run map-reduce as 'input' is not iterable: received ${
      input === null ? "null" : typeof input
    }`,
  );
}
