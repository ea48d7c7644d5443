/**
 * Private: the task module that {@linkcode wordFrequency} runs in its workers.
 *
 * @module
 */

import { type ChunkCounts, WordTable } from "./_word_table.ts";
import { countRange, fileReader, PIECE_BYTES, type Scratch } from "./_file_range.ts";
import { getTaskContext } from "../pool/task_context.ts";

const scratch: Scratch = { buffer: new Uint8Array(0) };

/** Most tables of counts in progress a worker keeps (see {@linkcode tableOf}). */
const MAX_TABLES = 4;
/** This worker's table of each count in progress, by the count's id. */
const tables = new Map<string, WordTable>();

/**
 * This worker's table for the count `id`. A worker of a long-lived pool (`WordCountPool`)
 * serves many counts, and learns of no count's end: it keeps the few most recently used
 * tables (up to {@linkcode MAX_TABLES}, a few MB each for a big vocabulary).
 * Dropping one loses nothing, as each task returns everything it counted, and a new
 * table is a new source of results to the merging thread.
 */
function tableOf(id: string): WordTable {
  let table = tables.get(id);
  if (table === undefined) {
    if (tables.size >= MAX_TABLES) tables.delete(tables.keys().next().value!);
    table = new WordTable();
  } else {
    tables.delete(id); // re-inserted below: the map's first key is the least recently used
  }
  tables.set(id, table);
  return table;
}

/** A chunk of the count `id` for {@linkcode countChunk}. */
export interface Chunk {
  /** Names the count (one `wordFrequency` call). */
  id: string;
  /** Text that starts and ends at whitespace boundaries. */
  bytes: Uint8Array;
}

/**
 * Counts the words of one chunk into this worker's table for its count and returns what
 * changed, compactly: the words new to that table, and this chunk's counts by entry
 * number (see {@linkcode ChunkCounts}).
 */
export function countChunk(chunk: Chunk): ChunkCounts {
  const table = tableOf(chunk.id);
  table.countWords(chunk.bytes);
  release(chunk.bytes);
  return table.takeCounts();
}

/**
 * A file shared out among workers by {@linkcode countFileShare}: the byte ranges
 * `[ends[i - 1], ends[i])` (from 0; the last end is `Infinity`, up to the end of the
 * file), taken one at a time by whichever worker is free, and a shared state (see
 * {@linkcode SHARE_NEXT} and the indices after it).
 */
export interface FileShare {
  /** Names the count (a worker keeps one table per count between its two tasks). */
  id: string;
  /** A path, or a `file:` URL's `href` when `url` is true. */
  path: string;
  url: boolean;
  /** How many ranges the file is cut into. */
  ranges: number;
  /**
   * Where each range but the last ends (see above), or `undefined` when every range
   * but the last is `step` bytes long (a caller's `chunkBytes`: their list could be
   * huge).
   */
  ends?: number[];
  /** Length of each range but the last, when `ends` is not given. */
  step: number;
  /** A first task returns after taking the range with this number (or a later one). */
  until: number;
  /** `SHARE_BYTES` bytes of shared memory, zeroed. */
  state: SharedArrayBuffer;
  /** Whether this is a worker's last task of the count (it counts until none is left). */
  last: boolean;
}

/** `Int32Array` index of a share's state: the number of the next range to take. */
export const SHARE_NEXT = 0;
/** `Int32Array` index: non-zero once the workers must stop (the count was aborted). */
export const SHARE_STOP = 1;
/** `Int32Array` index: bumped (and notified) after each range is counted. */
export const SHARE_VERSION = 2;
/** `BigInt64Array` index: bytes counted so far, over all workers. */
export const SHARE_DONE_BYTES = 2;
/** `BigInt64Array` index: words counted so far, over all workers. */
export const SHARE_DONE_WORDS = 3;
/** Size of a share's state in bytes. */
export const SHARE_BYTES = 32;

/**
 * Counts ranges of a shared file (each word is counted by the range it starts in; see
 * `_file_range.ts`), taking them one at a time until range `share.until` is taken or,
 * in its last task, until none is left, all into one table of this worker for this count;
 * then returns what that table counted since this worker's previous task of the count,
 * like {@linkcode countChunk}. So the main thread merges two results per worker instead
 * of one per range: the first (most of the words) while the workers count the rest.
 * Progress goes through the shared state, not through messages.
 */
export async function countFileShare(share: FileShare): Promise<ChunkCounts> {
  const { last } = share;
  const state = new Int32Array(share.state, 0, SHARE_BYTES >> 2);
  const done = new BigInt64Array(share.state, 0, SHARE_BYTES >> 3);
  const signal = getTaskContext()?.signal;
  const own = tableOf(share.id);
  if (last) tables.delete(share.id);
  const { ends, ranges, step } = share;
  // The last range runs to the end of the file (which may have grown).
  const endOf = (i: number) =>
    i === ranges - 1 ? Infinity : ends === undefined ? (i + 1) * step : ends[i];
  let counted = 0;
  using file = Deno.openSync(share.url ? new URL(share.path) : share.path, { read: true });
  if (scratch.buffer.length === 0) scratch.buffer = new Uint8Array(PIECE_BYTES);
  const stopped = () => Atomics.load(state, SHARE_STOP) !== 0 || signal?.aborted === true;
  for (;;) {
    const i = Atomics.add(state, SHARE_NEXT, 1);
    if (i >= ranges || stopped()) break;
    const start = i === 0 ? 0 : endOf(i - 1);
    const read = fileReader(file, Math.max(0, start - 3));
    const words = own.total;
    const bytes = await countRange(
      own,
      (into) => {
        if (stopped()) throw new DOMException("The count was aborted", "AbortError");
        return read(into);
      },
      start,
      endOf(i),
      scratch,
    );
    counted++;
    Atomics.add(done, SHARE_DONE_BYTES, BigInt(bytes));
    Atomics.add(done, SHARE_DONE_WORDS, BigInt(own.total - words));
    Atomics.add(state, SHARE_VERSION, 1);
    Atomics.notify(state, SHARE_VERSION);
    if (!last && i >= share.until) break;
  }
  const part = own.takeCounts();
  part.ranges = counted;
  return part;
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
