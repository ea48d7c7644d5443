/**
 * {@linkcode asCompleted}: Python's `concurrent.futures.as_completed` as an
 * async iterator, fastest first.
 *
 * @module
 */

import { checkDelay } from "../sync/_checks.ts";

/**
 * One outcome yielded by `asCompleted(…, { settled: true })`.
 *
 * @example Handle each outcome
 * ```ts
 * import { asCompleted, type SettledResult } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const seen: SettledResult<number>[] = await Array.fromAsync(
 *   asCompleted([Promise.resolve(1)], { settled: true }),
 * );
 * assertEquals(seen, [{ index: 0, status: "fulfilled", value: 1 }]);
 * ```
 */
export type SettledResult<T> =
  | { index: number; status: "fulfilled"; value: T }
  | { index: number; status: "rejected"; reason: unknown };

/**
 * Options of {@linkcode asCompleted}.
 */
export interface AsCompletedOptions {
  /** Aborting throws the signal's reason from the iterator. */
  signal?: AbortSignal;
  /**
   * Milliseconds from the start; then a `TimeoutError` `DOMException` is thrown for
   * what is still pending.
   *
   * @default {Infinity}
   */
  timeout?: number;
  /**
   * Yield `{ index, status, value | reason }` records and never throw for a failure.
   *
   * @default {false}
   */
  settled?: boolean;
}

/**
 * Options of {@linkcode asCompleted} with `settled: true`.
 */
export interface AsCompletedSettledOptions extends AsCompletedOptions {
  /** Yield settled records. */
  settled: true;
}

/**
 * What `asCompleted` accepts: an iterable or async iterable of promises, tasks or values.
 *
 * @example Any iterable of promises
 * ```ts
 * import { asCompleted, type AsCompletedSource } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const source: AsCompletedSource<number> = new Set([Promise.resolve(5)]);
 * assertEquals(await Array.fromAsync(asCompleted(source)), [5]);
 * ```
 */
export type AsCompletedSource<T> = Iterable<T | PromiseLike<T>> | AsyncIterable<T | PromiseLike<T>>;

/**
 * Yields the values of promises or tasks as they settle, fastest first. A
 * rejection is thrown at its turn. An early `break` leaves no unhandled
 * rejection behind (the remaining tasks keep running; cancel them if needed).
 *
 * @param promises An iterable or async iterable of promises, tasks or values.
 * @param options `signal`, `timeout`, `settled`.
 * @returns An async iterator of values (or settled records).
 * @throws {DOMException} `TimeoutError` when `timeout` passes, or the signal's reason.
 * @throws {RangeError} When `timeout` is not 0 to 2³¹−1 ms or `Infinity`.
 *
 * @example Fastest first
 * ```ts
 * import { asCompleted } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const later = (value: string, ms: number) =>
 *   new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));
 * const order: string[] = [];
 * for await (const value of asCompleted([later("slow", 60), later("fast", 5)])) {
 *   order.push(value);
 * }
 * assertEquals(order, ["fast", "slow"]);
 * ```
 *
 * @example Settled records never throw
 * ```ts
 * import { asCompleted } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const results = await Array.fromAsync(
 *   asCompleted([Promise.reject(new Error("no")), Promise.resolve(1)], { settled: true }),
 * );
 * assertEquals(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
 * ```
 */
export function asCompleted<T>(
  promises: AsCompletedSource<T>,
  options: AsCompletedSettledOptions,
): AsyncIterableIterator<SettledResult<T>>;
/**
 * Yields the values of promises or tasks as they settle, fastest first.
 *
 * @param promises An iterable or async iterable of promises, tasks or values.
 * @param options `signal`, `timeout`.
 * @returns An async iterator of values.
 * @throws {DOMException} `TimeoutError` when `timeout` passes, or the signal's reason.
 */
export function asCompleted<T>(
  promises: AsCompletedSource<T>,
  options?: AsCompletedOptions,
): AsyncIterableIterator<T>;
export function asCompleted<T>(
  promises: AsCompletedSource<T>,
  options: AsCompletedOptions = {},
): AsyncIterableIterator<T | SettledResult<T>> {
  const timeout = checkDelay(options.timeout, "timeout", "Cannot iterate", Infinity);
  if (
    promises === null || typeof promises !== "object" ||
    typeof (promises as Iterable<T>)[Symbol.iterator] !== "function" &&
      typeof (promises as AsyncIterable<T>)[Symbol.asyncIterator] !== "function"
  ) {
    throw new TypeError("Cannot iterate as 'promises' must be an iterable or an async iterable");
  }
  return run(promises, timeout, options.signal, options.settled ?? false);
}

async function* run<T>(
  promises: AsCompletedSource<T>,
  timeout: number,
  signal: AbortSignal | undefined,
  settled: boolean,
): AsyncGenerator<T | SettledResult<T>> {
  const done: SettledResult<T>[] = [];
  let total = 0;
  let sourceDone = false;
  let sourceError: { reason: unknown } | undefined;
  let wake: (() => void) | undefined;
  let stopped: { reason: unknown } | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const track = (item: T | PromiseLike<T>) => {
    const index = total++;
    Promise.resolve(item).then(
      (value) => {
        done.push({ index, status: "fulfilled", value });
        notify();
      },
      (reason) => {
        done.push({ index, status: "rejected", reason });
        notify();
      },
    );
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    stopped ??= { reason: signal!.reason };
    notify();
  };
  let yielded = 0;
  let asyncSource: AsyncIterator<T | PromiseLike<T>> | undefined;
  let pulling = false;
  try {
    signal?.throwIfAborted();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeout !== Infinity) {
      timer = setTimeout(() => {
        stopped ??= {
          reason: new DOMException(
            `Timed out after ${timeout} ms with ${total - yielded} of ${total} still pending`,
            "TimeoutError",
          ),
        };
        notify();
      }, timeout);
    }
    if (typeof (promises as Iterable<T>)[Symbol.iterator] === "function") {
      for (const item of promises as Iterable<T | PromiseLike<T>>) track(item);
      sourceDone = true;
    } else {
      asyncSource = (promises as AsyncIterable<T | PromiseLike<T>>)[Symbol.asyncIterator]();
      const source = asyncSource;
      (async () => {
        try {
          for (;;) {
            pulling = true;
            const r = await source.next();
            pulling = false;
            if (r.done) break;
            if (stopped) {
              // Arrived after the consumer left: nobody awaits it.
              Promise.resolve(r.value).catch(() => {});
              break;
            }
            track(r.value);
            notify();
          }
        } catch (reason) {
          sourceError = { reason };
        }
        pulling = false;
        sourceDone = true;
        notify();
      })();
    }
    for (;;) {
      if (stopped) throw stopped.reason;
      if (done.length > 0) {
        const record = done.shift()!;
        yielded++;
        if (settled) yield record;
        else if (record.status === "fulfilled") yield record.value;
        else throw record.reason;
        continue;
      }
      if (sourceError) throw sourceError.reason;
      if (sourceDone && yielded === total) return;
      await new Promise<void>((resolve) => wake = resolve);
    }
  } finally {
    stopped ??= { reason: undefined };
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    if (!sourceDone && asyncSource?.return) {
      // While a `next()` is pending, an async generator only returns once it settles,
      // which may be never: close the source without waiting for it then.
      if (pulling) {
        const source = asyncSource;
        (async () => await source.return!())().catch(() => {});
      } else await asyncSource.return();
    }
  }
}
