/**
 * Private: the task module that {@linkcode wordFrequency} runs in its workers.
 *
 * @module
 */

import { type ChunkCounts, WordTable } from "./_word_table.ts";

const table = new WordTable();

/**
 * Counts the words of one chunk (which starts and ends at whitespace boundaries) into
 * this worker's long-lived table and returns what changed, compactly: the words new to
 * this worker, and this chunk's counts by entry number (see {@linkcode ChunkCounts}).
 */
export function countChunk(bytes: Uint8Array): ChunkCounts {
  table.countWords(bytes);
  release(bytes);
  return table.takeCounts();
}

/**
 * Frees a chunk's memory now rather than at the next garbage collection, which may come
 * only after many chunks (V8 collects by heap pressure; buffers live outside the heap).
 * Detaching the buffer drops the last reference to its backing store.
 */
export function release(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (buffer instanceof ArrayBuffer && !buffer.detached) buffer.transfer(0);
}
