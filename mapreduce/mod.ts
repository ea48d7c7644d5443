/**
 * Chunked parallel map-reduce and word frequency: Python's `collections.Counter` over
 * `str.split()`, counted per chunk on workers and merged, streaming and exact.
 *
 * - {@linkcode mapReduce}: map chunks on a `WorkerPool`, reduce results as they complete.
 * - {@linkcode wordFrequency}: word → count of a string, file or stream, on workers,
 *   with tokens exactly Python's `str.split()`.
 * - {@linkcode mostCommon}: the most frequent words, like `Counter.most_common(n)`.
 * - {@linkcode WordCountPool}: word-count workers kept across `wordFrequency` calls.
 * - {@linkcode textChunks}: stream text as byte chunks cut at whitespace boundaries.
 *
 * @example Count words
 * ```ts
 * import { wordFrequency } from "@tandem/tandem/mapreduce";
 * import { assertEquals } from "@std/assert";
 *
 * const counts = await wordFrequency("the dog barks at the fox");
 * assertEquals(counts.get("the"), 2);
 * ```
 *
 * @module
 */

export * from "./map_reduce.ts";
export * from "./most_common.ts";
export * from "./text_chunks.ts";
export * from "./word_count_pool.ts";
export * from "./word_frequency.ts";
