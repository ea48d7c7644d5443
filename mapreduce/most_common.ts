/**
 * {@linkcode mostCommon}: the `n` most frequent entries of a count, like Python's
 * `Counter.most_common(n)`.
 *
 * @module
 */

import { checkInteger } from "../sync/_checks.ts";

/**
 * The `n` entries with the highest counts, highest first, like Python's
 * `Counter.most_common(n)`: entries with equal counts keep their order in `counts`
 * (for {@linkcode wordFrequency}'s result, the order words were first seen). Without
 * `n`, every entry. Picking a few out of many keeps only those few in order (a heap of
 * `n`), rather than sorting everything.
 *
 * @typeParam K The key type (a word).
 * @param counts Key → count, such as the `Map` that `wordFrequency` returns, or any
 * iterable of `[key, count]` pairs.
 * @param n How many entries to return.
 * @returns `[key, count]` pairs, highest count first.
 * @throws {RangeError} If `n` is not a non-negative integer.
 * @throws {TypeError} If `n` is given and is not a number.
 *
 * @example The three most frequent words
 * ```ts
 * import { mostCommon, wordFrequency } from "@tandem/tandem/mapreduce";
 * import { assertEquals } from "@std/assert";
 *
 * const counts = await wordFrequency("the dog barks at the fox and the fox runs");
 * assertEquals(mostCommon(counts, 3), [["the", 3], ["fox", 2], ["dog", 1]]);
 * ```
 */
export function mostCommon<K>(
  counts: Map<K, number> | Iterable<readonly [K, number]>,
  n?: number,
): [K, number][] {
  const limit = checkInteger(n, "n", "Cannot pick the most common", Infinity, { min: 0 });
  const entries = counts instanceof Map ? counts.entries() : counts;
  if (limit === Infinity) {
    // Array.prototype.sort is stable: equal counts stay in their order.
    return Array.from(entries, ([key, count]): [K, number] => [key, count])
      .sort((a, b) => b[1] - a[1]);
  }
  if (limit === 0) return [];
  // A min-heap of the best `limit` so far; its root is the worst of them: the lowest
  // count, and of equal counts the one seen last.
  const heap: { key: K; count: number; at: number }[] = [];
  const worse = (i: number, j: number) =>
    heap[i].count < heap[j].count || (heap[i].count === heap[j].count && heap[i].at > heap[j].at);
  const swap = (i: number, j: number) => {
    const t = heap[i];
    heap[i] = heap[j];
    heap[j] = t;
  };
  let at = 0;
  for (const [key, count] of entries) {
    if (heap.length < limit) {
      heap.push({ key, count, at });
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!worse(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (count > heap[0].count) {
      heap[0] = { key, count, at };
      for (let i = 0;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let least = i;
        if (l < heap.length && worse(l, least)) least = l;
        if (r < heap.length && worse(r, least)) least = r;
        if (least === i) break;
        swap(i, least);
        i = least;
      }
    }
    at++;
  }
  return heap
    .sort((a, b) => b.count - a.count || a.at - b.at)
    .map(({ key, count }): [K, number] => [key, count]);
}
