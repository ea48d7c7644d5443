/**
 * Private: the task module that {@linkcode wordFrequency} runs in its workers.
 *
 * @module
 */

import { type ChunkCounts, WordTable } from "./_word_table.ts";
import { countRange, fileReader, PIECE_BYTES, type Scratch } from "./_file_range.ts";

const table = new WordTable();
const scratch: Scratch = { buffer: new Uint8Array(0) };

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

/** A byte range of a file for {@linkcode countFileRange}. */
export interface FileRange {
  /** A path, or a `file:` URL's `href` when `url` is true. */
  path: string;
  url: boolean;
  start: number;
  /** `Infinity` for the last range: up to the end of the file. */
  end: number;
}

/**
 * Reads and counts the words of a byte range of a file (each word is counted by the
 * range it starts in; see `_file_range.ts`) into this worker's long-lived table, and
 * returns what changed like {@linkcode countChunk}.
 */
export async function countFileRange(range: FileRange): Promise<ChunkCounts> {
  using file = Deno.openSync(range.url ? new URL(range.path) : range.path, { read: true });
  if (scratch.buffer.length === 0) scratch.buffer = new Uint8Array(PIECE_BYTES);
  const reader = fileReader(file, Math.max(0, range.start - 3));
  await countRange(table, reader, range.start, range.end, scratch);
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
