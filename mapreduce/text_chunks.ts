/**
 * Cut text of any size into chunks at whitespace boundaries, streaming.
 *
 * @module
 */

import { checkInteger } from "../sync/_checks.ts";
import { chunkSource } from "./_chunker.ts";

/**
 * Where text comes from: a `string` (the text itself, never a path: one that looks like
 * a lone path, such as `"corpus.txt"`, is refused), a `Uint8Array` of UTF-8 bytes,
 * an iterable of strings (texts joined by a newline, like a Python list of lines),
 * a file (`{ path }` or a `file:` `URL`), or a `ReadableStream` / (async) iterable of
 * byte pieces. Bytes are UTF-8; see {@linkcode wordFrequency} for invalid sequences.
 */
export type TextSource =
  | string
  | Uint8Array
  | Iterable<string>
  | URL
  | { path: string | URL }
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** Options of {@linkcode textChunks}. */
export interface TextChunksOptions {
  /**
   * Target chunk size in bytes (a chunk ends at the first whitespace boundary found
   * going back from this size; a longer word makes its chunk longer).
   *
   * @default {4194304}
   */
  chunkBytes?: number;
  /** Aborting stops reading (and closes the file or cancels the stream). */
  signal?: AbortSignal;
}

/** Default target chunk size: 4 MiB. */
export const DEFAULT_CHUNK_BYTES: number = 4 << 20;

/**
 * Streams `source` as UTF-8 byte chunks of about `chunkBytes` bytes, each ending right
 * after a whitespace character (Python's `str.isspace()`, including multi-byte ones
 * such as U+00A0 and U+3000), so that no chunk starts or ends inside a word or a UTF-8
 * sequence. A file is read piece by piece and never held whole. Each chunk owns its
 * `ArrayBuffer` (offset 0), so it can be transferred to a worker.
 *
 * @param source The text: see {@linkcode TextSource}.
 * @param options Chunk size and cancellation.
 * @returns An async generator of chunks, in order; their concatenation is the input.
 * @throws {RangeError} If `chunkBytes` is not a positive integer.
 * @throws {TypeError} If `source` is not a {@linkcode TextSource}, is a directory, or is
 * a string that looks like a lone path (pass `{ path }` for a file, `[string]` for text).
 * @throws {Deno.errors.NotFound} If the file does not exist.
 *
 * @example Cut text into small chunks
 * ```ts
 * import { textChunks } from "@tandem/tandem/mapreduce";
 * import { assertEquals } from "@std/assert";
 *
 * const decoder = new TextDecoder();
 * const chunks: string[] = [];
 * for await (const chunk of textChunks("the quick brown fox", { chunkBytes: 6 })) {
 *   chunks.push(decoder.decode(chunk));
 * }
 * assertEquals(chunks, ["the ", "quick ", "brown ", "fox"]);
 * ```
 */
export async function* textChunks(
  source: TextSource,
  options: TextChunksOptions = {},
): AsyncGenerator<Uint8Array> {
  const chunkBytes = checkInteger(
    options.chunkBytes,
    "chunkBytes",
    "Cannot cut text into chunks",
    DEFAULT_CHUNK_BYTES,
  );
  yield* chunkSource(source, chunkBytes, options.signal);
}
