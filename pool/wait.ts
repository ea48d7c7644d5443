/**
 * {@linkcode wait}: Python's `concurrent.futures.wait`.
 *
 * @module
 */

import { delayError } from "../sync/_checks.ts";

/**
 * When {@linkcode wait} returns.
 *
 * @example Pick a condition
 * ```ts
 * import { type ReturnWhen, wait } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const returnWhen: ReturnWhen = "FIRST_EXCEPTION";
 * const { done } = await wait([Promise.reject(new Error("x"))], { returnWhen });
 * assertEquals(done.size, 1);
 * ```
 */
export type ReturnWhen = "FIRST_COMPLETED" | "FIRST_EXCEPTION" | "ALL_COMPLETED";

/**
 * Options of {@linkcode wait}.
 */
export interface WaitOptions {
  /**
   * `"FIRST_COMPLETED"`: as soon as one settles; `"FIRST_EXCEPTION"`: as soon as one
   * rejects, or when all settled; `"ALL_COMPLETED"`: when all settled.
   *
   * @default {"ALL_COMPLETED"}
   */
  returnWhen?: ReturnWhen;
  /**
   * Most milliseconds to wait; then it returns what is done so far (it does not throw).
   *
   * @default {Infinity}
   */
  timeout?: number;
  /** Aborting returns what is done so far. */
  signal?: AbortSignal;
}

/**
 * The result of {@linkcode wait}: the given promises or tasks, split.
 */
export interface WaitResult<P> {
  /** Those that settled. */
  done: Set<P>;
  /** Those still pending. */
  pending: Set<P>;
}

/**
 * Waits for promises or tasks and splits them into `done` and `pending`, like
 * Python's `concurrent.futures.wait`. It never throws for a task's failure (await
 * a done task to see its outcome) and leaves no unhandled rejection behind.
 *
 * @param tasks The promises or tasks.
 * @param options `returnWhen`, `timeout`, `signal`.
 * @returns The sets of done and pending items.
 * @throws {RangeError} When `timeout` is not 0 to 2³¹−1 ms or `Infinity`, or `returnWhen` is unknown.
 *
 * @example Wait for the first to finish
 * ```ts
 * import { wait } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * let timer: ReturnType<typeof setTimeout> | undefined;
 * const slow = new Promise((resolve) => timer = setTimeout(resolve, 1000));
 * const fast = Promise.resolve("fast");
 * const { done, pending } = await wait([slow, fast], { returnWhen: "FIRST_COMPLETED" });
 * assertEquals([...done], [fast]);
 * assertEquals([...pending], [slow]);
 * clearTimeout(timer);
 * ```
 */
export function wait<P extends PromiseLike<unknown>>(
  tasks: Iterable<P>,
  options: WaitOptions = {},
): Promise<WaitResult<P>> {
  const returnWhen = options.returnWhen ?? "ALL_COMPLETED";
  if (!["FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"].includes(returnWhen)) {
    return Promise.reject(
      new RangeError(
        `Cannot wait as 'returnWhen' must be "FIRST_COMPLETED", "FIRST_EXCEPTION" or "ALL_COMPLETED": received '${returnWhen}'`,
      ),
    );
  }
  const timeout = options.timeout ?? Infinity;
  const timeoutError = delayError(timeout, "timeout", "Cannot wait");
  if (timeoutError) return Promise.reject(timeoutError);
  const items = [...tasks];
  const done = new Set<P>();
  const pending = new Set<P>(items);
  return new Promise<WaitResult<P>>((resolve) => {
    let finished = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const signal = options.signal;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", finish);
      resolve({ done: new Set(done), pending: new Set(pending) });
    };
    if (pending.size === 0 || signal?.aborted) return finish();
    signal?.addEventListener("abort", finish, { once: true });
    if (timeout !== Infinity) timer = setTimeout(finish, timeout);
    for (const item of items) {
      Promise.resolve(item).then(
        () => {
          if (finished) return;
          pending.delete(item);
          done.add(item);
          if (returnWhen === "FIRST_COMPLETED" || pending.size === 0) finish();
        },
        () => {
          if (finished) return;
          pending.delete(item);
          done.add(item);
          if (returnWhen !== "ALL_COMPLETED" || pending.size === 0) finish();
        },
      );
    }
  });
}
