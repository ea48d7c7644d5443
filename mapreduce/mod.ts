/**
 * Chunked parallel map-reduce and word frequency: the seed's MapReduce example
 * (count each word per chunk, then merge the dictionaries), streaming and exact.
 *
 * - {@linkcode mapReduce}: map chunks on a `WorkerPool`, reduce results as they complete.
 * - {@linkcode wordFrequency}: word → count of a string, file or stream, on workers,
 *   with tokens exactly Python's `str.split()`.
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
export * from "./text_chunks.ts";
export * from "./word_count_pool.ts";
export * from "./word_frequency.ts";
