/**
 * {@linkcode wordFrequency}: Python's `Counter(text.split())`, streaming and parallel.
 *
 * @module
 */

import { checkInteger } from "../sync/_checks.ts";
import { type ChunkCounts, WordTable } from "./_word_table.ts";
import { mapReduce } from "./map_reduce.ts";
import { onPool } from "./_count_pools.ts";
import { WordCountPool } from "./word_count_pool.ts";
import {
  type Chunk,
  type FileShare,
  release,
  SHARE_BYTES,
  SHARE_DONE_BYTES,
  SHARE_DONE_WORDS,
  SHARE_STOP,
  SHARE_VERSION,
} from "./_word_count_worker.ts";
import { DEFAULT_CHUNK_BYTES, type TextSource } from "./text_chunks.ts";
import { checkFile, chunkSource, filePath } from "./_chunker.ts";
import { asyncFileReader, countRange, PIECE_BYTES } from "./_file_range.ts";

/** The start of this module's errors. */
const ACTION = "Cannot count words";
/** Ranges a file is cut into by default: between these sizes (see `countFile`). */
const MIN_RANGE_BYTES = 1 << 20;
const MAX_RANGE_BYTES = 8 << 20;
/** The part of a file the workers' first tasks count (see `countFile`). */
const FIRST_SHARE = 0.8;

/**
 * Progress of {@linkcode wordFrequency}, reported after each merged chunk (for a file on
 * workers, as its byte ranges are counted).
 */
export interface WordFrequencyProgress {
  /** Bytes of input counted so far. */
  bytes: number;
  /** Words counted so far. */
  words: number;
}

/** Options of {@linkcode wordFrequency}. */
export interface WordFrequencyOptions {
  /**
   * Workers counting chunks in parallel; `0` counts on the calling thread. Input that
   * fits in one chunk is always counted on the calling thread (no worker start-up).
   *
   * @default {navigator.hardwareConcurrency}
   */
  workers?: number;
  /**
   * Count on these workers, kept across calls (see {@linkcode WordCountPool}), instead
   * of starting `workers` new ones for this call. Excludes `workers`; small inputs are
   * still counted on the calling thread.
   */
  pool?: WordCountPool;
  /**
   * Target chunk size in bytes (chunks end at whitespace boundaries). For a file, the size
   * of the byte ranges the workers read.
   *
   * @default {4 MiB; for a file, what is left / (2 × workers), between 1 and 8 MiB}
   */
  chunkBytes?: number;
  /** Aborting stops reading, cancels the chunks in flight and rejects with the reason. */
  signal?: AbortSignal;
  /**
   * Lower-case each word (`String.prototype.toLowerCase()`, after splitting).
   *
   * @default {false}
   */
  lowerCase?: boolean;
  /**
   * Count the matches of this pattern inside each whitespace-separated token instead of
   * the tokens themselves, e.g. `/\p{L}+/u` for words of letters only (the `g` flag is
   * added).
   */
  pattern?: RegExp;
  /** Called after each chunk is merged (for a file on workers: as ranges are counted). */
  onProgress?: (progress: WordFrequencyProgress) => void;
}

/**
 * Counts how often each word occurs, like Python's `collections.Counter(text.split())`:
 * streams `source` in chunks cut at whitespace boundaries, counts each chunk on a worker
 * with a byte-level tokenizer and hash table, and merges the compact per-chunk results
 * as they complete. A file is never read whole; on workers, each worker reads its own
 * byte ranges of it, taken from a shared counter, into one table of its own, so the
 * calling thread merges just two results per worker (a range starting inside a word
 * leaves that word to the range before, which reads past its end to finish it).
 *
 * Words are exactly Python's `str.split()` of the text (split on runs of Unicode
 * whitespace, case-sensitive). Bytes that are not valid UTF-8 give what Python's
 * `bytes.decode("utf-8", errors="replace").split()` gives: each invalid sequence
 * becomes U+FFFD inside its word (whitespace bytes stay separators). A byte-order mark
 * is kept as U+FEFF, as Python's `"utf-8"` codec does.
 *
 * A string is always the text itself, never a path (unlike `Deno.readTextFile`'s): a
 * file is `{ path }` or a `file:` URL. So that a path is never counted as one word by
 * mistake, a string that looks like a lone path (no whitespace, and a `/`, a backslash
 * or a file extension, such as `"corpus.txt"`) is refused with a `TypeError`; to count
 * it as text, pass `[string]`. A FIFO, `/dev/stdin` or a process substitution cannot
 * seek: it is read once, as a stream. For the most frequent words, like
 * `Counter.most_common(n)`, pass the result to {@linkcode mostCommon}.
 *
 * @param source The text: a string, bytes, strings, a file (`{ path }` or a `file:`
 * URL), or a stream of bytes (see {@linkcode TextSource}).
 * @param options Workers, chunk size, cancellation, lower-casing, word pattern, progress.
 * @returns Word → count, in first-seen order of the merged chunks.
 * @throws {RangeError} If `workers` is not a non-negative integer or `chunkBytes` not a
 * positive integer.
 * @throws {TypeError} If `source` is not a text source, is a directory or a string that
 * looks like a path, `pattern` is not a `RegExp`, `pool` is closed or given with
 * `workers`, or `workers` or `chunkBytes` is not a number.
 * @throws {Deno.errors.NotFound} If the file does not exist.
 *
 * @example A list of sentences, like `Counter(w for s in sentences for w in s.split())`
 * ```ts
 * import { wordFrequency } from "@tandem/tandem/mapreduce";
 * import { assertEquals } from "@std/assert";
 *
 * const counts = await wordFrequency([
 *   "the quick brown fox jumps over the lazy dog",
 *   "the dog barks at the fox",
 *   "a quick brown dog",
 *   "the lazy fox sleeps",
 * ]);
 * assertEquals(counts.get("the"), 5);
 * assertEquals(counts.get("dog"), 3);
 * assertEquals(counts.size, 12);
 * ```
 *
 * @example A file on two workers, lower-cased
 * ```ts
 * import { wordFrequency } from "@tandem/tandem/mapreduce";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "To be, or not to be\n".repeat(1000));
 * const counts = await wordFrequency({ path }, { workers: 2, chunkBytes: 4096, lowerCase: true });
 * await Deno.remove(path);
 * assertEquals(counts.get("to"), 2000);
 * assertEquals(counts.get("be,"), 1000);
 * ```
 */
export async function wordFrequency(
  source: TextSource,
  options: WordFrequencyOptions = {},
): Promise<Map<string, number>> {
  const { pool } = options;
  if (pool !== undefined) {
    if (!(pool instanceof WordCountPool)) {
      throw new TypeError(
        `Cannot count words as 'pool' must be a WordCountPool: received ${typeof pool}`,
      );
    }
    if (options.workers !== undefined) {
      throw new TypeError(
        "Cannot count words as 'workers' and 'pool' exclude each other: the pool's workers count",
      );
    }
    if (pool.closed) {
      throw new TypeError("Cannot count words as the WordCountPool is closed: create a new one");
    }
  }
  const workers = pool?.workers ??
    checkInteger(options.workers, "workers", ACTION, navigator.hardwareConcurrency, { min: 0 });
  const { signal, onProgress } = options;
  const chunkBytes = options.chunkBytes === undefined
    ? undefined
    : checkInteger(options.chunkBytes, "chunkBytes", ACTION, 0);
  const { pattern } = options;
  if (pattern !== undefined && !(pattern instanceof RegExp)) {
    throw new TypeError(
      `Cannot count words as 'pattern' must be a RegExp: received ${
        typeof pattern === "string" ? `'${pattern}'` : typeof pattern
      }`,
    );
  }
  const table = new WordTable();
  const path = filePath(source);
  if (path !== undefined) {
    signal?.throwIfAborted();
    const info = await checkFile(path);
    // A FIFO or a device cannot seek (nor be shared out by range): it goes as a stream.
    if (info.isFile) {
      await countFile(table, path, info.size, workers, chunkBytes, options);
      return transform(finished(table).toMap(), options);
    }
  }
  const chunks = chunkSource(source, chunkBytes ?? DEFAULT_CHUNK_BYTES, signal);
  let bytes = 0;
  try {
    const first = await chunks.next();
    const second = first.done ? first : await chunks.next();
    if (workers === 0 || second.done) {
      // One chunk (or no workers): count here, no per-chunk results.
      const count = (chunk: Uint8Array) => {
        signal?.throwIfAborted();
        table.countWords(chunk);
        bytes += chunk.length;
        release(chunk);
        onProgress?.({ bytes, words: table.total });
      };
      if (!first.done) count(first.value);
      if (!second.done) {
        count(second.value);
        for await (const chunk of chunks) count(chunk);
      }
    } else {
      await onPool(options.pool, workers, async (pool) => {
        await mapReduce({
          pool,
          input: (async function* () {
            // The id keeps this count's tables apart from other counts' in a worker.
            const id = crypto.randomUUID();
            yield { id, bytes: first.value };
            yield { id, bytes: second.value };
            for await (const bytes of chunks) yield { id, bytes };
          })(),
          map: "countChunk",
          transfer: (chunk: Chunk) => [chunk.bytes.buffer as ArrayBuffer],
          reduce: mergeCounts(onProgress),
          initial: table,
          signal,
        });
      });
    }
  } finally {
    await chunks.return(undefined);
  }
  return transform(finished(table).toMap(), options);
}

/**
 * Counts a file: on this thread when it fits in one chunk (or `workers` is 0), reading it
 * piece by piece into one reused buffer; otherwise each worker reads its own byte ranges
 * of the file, taking the next one from a counter in shared memory, into one table of
 * its own. A worker's first task returns that table after about `FIRST_SHARE` of the
 * file, and its second task (already queued on it) counts on while this thread merges
 * and decodes the first results, so after the last range only two small results are
 * left to merge. Progress is read from the shared memory, not from messages.
 */
async function countFile(
  table: WordTable,
  path: string | URL,
  size: number,
  workers: number,
  chunkBytes: number | undefined,
  options: WordFrequencyOptions,
): Promise<void> {
  const { signal, onProgress } = options;
  if (workers === 0 || size <= (chunkBytes ?? DEFAULT_CHUNK_BYTES)) {
    let bytes = 0;
    using file = await Deno.open(path, { read: true });
    const scratch = { buffer: new Uint8Array(Math.min(PIECE_BYTES, size + 4)) };
    await countRange(table, await asyncFileReader(file, 0, signal), 0, Infinity, scratch, (n) => {
      bytes += n;
      onProgress?.({ bytes, words: table.total });
    });
    return;
  }
  // Guided self-scheduling: big ranges early (fewer reads past a range), small ones late
  // (the workers finish together). A caller's chunkBytes cuts equal ranges, computed by
  // the workers rather than listed (a 1-byte step on a big file would be a huge list).
  const ends: number[] | undefined = chunkBytes === undefined ? [] : undefined;
  let ranges = chunkBytes === undefined ? 0 : Math.ceil(size / chunkBytes);
  if (ends !== undefined) {
    for (let end = 0; end < size;) {
      end += Math.min(
        MAX_RANGE_BYTES,
        Math.max(MIN_RANGE_BYTES, Math.ceil((size - end) / (2 * workers))),
      );
      ends.push(end);
    }
    ranges = ends.length;
  }
  // The workers' first tasks end after about FIRST_SHARE of the bytes.
  const firstBytes = size * FIRST_SHARE;
  let until = 0;
  if (ends === undefined) until = Math.min(ranges - 1, Math.floor(firstBytes / chunkBytes!));
  else while (until < ranges - 1 && ends[until] < firstBytes) until++;
  const state = new SharedArrayBuffer(SHARE_BYTES);
  const share: FileShare = {
    id: crypto.randomUUID(),
    path: path instanceof URL ? path.href : path,
    url: path instanceof URL,
    ranges,
    ends,
    step: chunkBytes ?? 0,
    until,
    state,
    last: false,
  };
  const flags = new Int32Array(state);
  const done = new BigInt64Array(state);
  const stop = () => Atomics.store(flags, SHARE_STOP, 1);
  signal?.addEventListener("abort", stop, { once: true });
  let finished = false;
  // Progress comes from the shared state, which the workers bump after each range.
  const report = () => {
    if (!signal?.aborted) {
      onProgress!({
        bytes: Number(Atomics.load(done, SHARE_DONE_BYTES)),
        words: Number(Atomics.load(done, SHARE_DONE_WORDS)),
      });
    }
  };
  // An onProgress that throws stops the count, and its error is what the call rejects with.
  let progressFailed = false;
  let progressError: unknown;
  const watching = onProgress === undefined ? undefined : (async () => {
    let seen = 0;
    try {
      while (!finished) {
        const wait = Atomics.waitAsync(flags, SHARE_VERSION, seen);
        if (wait.async) await wait.value;
        if (finished) return;
        seen = Atomics.load(flags, SHARE_VERSION);
        report();
      }
    } catch (error) {
      progressFailed = true;
      progressError = error;
      stop();
    }
  })();
  let counted = 0;
  try {
    await onPool(options.pool, Math.min(workers, ranges), async (pool) => {
      // Each worker usually gets two tasks at once (the pool gives each task to its least
      // loaded worker): a first one that counts most of the file, and a last one that
      // counts on into the same table as soon as the first returns, while the first's
      // result is merged and decoded here. Any other spread counts the same.
      const tasks = [false, true].flatMap((last) =>
        Array.from(
          { length: pool.size },
          () => pool.submit("countFileShare", [last ? { ...share, last } : share], { signal }),
        )
      );
      // The first result to arrive holds most of the words: decode them now, while the
      // workers count on, rather than after the last result. (A worker that started
      // late may have found no range left: its empty result does not count.)
      let decoded = false;
      await Promise.all(tasks.map((task) =>
        task.then((part) => {
          counted += part.ranges ?? 0;
          table.merge(part);
          if (!decoded && table.size > 0) {
            decoded = true;
            table.toMap();
          }
        })
      ));
    });
  } catch (error) {
    if (!progressFailed) throw error;
  } finally {
    // Also on failure: the other tasks of this count stop at their next read.
    stop();
    finished = true;
    Atomics.notify(flags, SHARE_VERSION);
    await watching;
    signal?.removeEventListener("abort", stop);
  }
  if (progressFailed) throw progressError;
  if (counted !== ranges) {
    // A worker ended after it took ranges but before its result came back (say, killed
    // by another count's cancellation on a shared WordCountPool): never undercount.
    throw new Error(
      `Cannot count words as ${
        ranges - counted
      } of the file's ${ranges} ranges were lost with a worker that ended: count again`,
    );
  }
  if (onProgress !== undefined) report();
}

/** The reducer of the counting workers: merges each chunk's counts and reports progress. */
function mergeCounts(
  onProgress: ((progress: WordFrequencyProgress) => void) | undefined,
): (acc: WordTable, part: ChunkCounts) => WordTable {
  let bytes = 0;
  return (acc, part) => {
    acc.merge(part);
    bytes += part.bytes;
    onProgress?.({ bytes, words: acc.total });
    return acc;
  };
}

/** `table`, checked to hold every result it was given. */
function finished(table: WordTable): WordTable {
  if (table.waiting > 0) {
    // A result whose predecessors never came: never drop counts silently.
    throw new Error(
      `Cannot count words as ${table.waiting} worker results arrived without the ones before them: this is a bug in Tandem, please report it`,
    );
  }
  return table;
}

function transform(
  counts: Map<string, number>,
  options: WordFrequencyOptions,
): Map<string, number> {
  const { lowerCase = false, pattern } = options;
  if (!lowerCase && pattern === undefined) return counts;
  const global = pattern === undefined
    ? undefined
    : new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g");
  const out = new Map<string, number>();
  const add = (word: string, n: number) => {
    const key = lowerCase ? word.toLowerCase() : word;
    out.set(key, (out.get(key) ?? 0) + n);
  };
  for (const [token, n] of counts) {
    if (global === undefined) add(token, n);
    else for (const match of token.matchAll(global)) if (match[0] !== "") add(match[0], n);
  }
  return out;
}
