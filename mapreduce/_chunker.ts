/**
 * Private: turns a byte source into chunks that end at whitespace boundaries.
 *
 * @module
 */

import { lastBoundary } from "./_whitespace.ts";
import { StreamIterator, untilAborted } from "./_stream_iterator.ts";
import type { TextSource } from "./text_chunks.ts";

/** A fixed chunk size, or one chosen from the number of bytes already yielded. */
export type ChunkSize = number | ((offset: number) => number);

/** Reads bytes into `into` and returns how many, or `null` at the end. */
export type ByteReader = (into: Uint8Array) => Promise<number | null> | number | null;

/**
 * Yields chunks of about `chunkBytes` bytes (at least 1) cut right after a whitespace
 * character, so no chunk starts or ends inside a word or a UTF-8 sequence. A word longer
 * than `chunkBytes` makes its chunk longer. Each chunk is a view at offset 0 of an
 * `ArrayBuffer` that nothing else uses, so the caller may transfer `chunk.buffer`.
 */
export async function* chunkAtWhitespace(
  read: ByteReader,
  chunkBytes: ChunkSize,
): AsyncGenerator<Uint8Array> {
  const size = typeof chunkBytes === "number" ? () => chunkBytes : chunkBytes;
  let offset = 0;
  let buf = new Uint8Array(size(0));
  let filled = 0;
  while (true) {
    const n = await read(buf.subarray(filled));
    if (n === null) break;
    filled += n;
    if (filled < buf.length) continue;
    const cut = lastBoundary(buf, filled);
    if (cut === 0) {
      // One word fills the buffer: grow it and read on.
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
      continue;
    }
    const tail = filled - cut;
    offset += cut;
    const next = new Uint8Array(Math.max(1, size(offset)) + tail);
    next.set(buf.subarray(cut, filled));
    yield buf.subarray(0, cut);
    buf = next;
    filled = tail;
  }
  if (filled > 0) yield buf.subarray(0, filled);
}

/**
 * Chunks of a {@linkcode TextSource} (see `textChunks`): a file is read piece by piece
 * straight into the chunk buffers; anything else is copied from its pieces.
 */
export async function* chunkSource(
  source: TextSource,
  chunkBytes: ChunkSize,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  const path = filePath(source);
  if (path !== undefined) {
    const { isFile } = await checkFile(path);
    // Read once, in order, never seeking: a FIFO or `/dev/stdin` works too. An abort
    // does not wait for its read, which may never return (a FIFO whose writer is idle).
    using file = await Deno.open(path, { read: true });
    const read = (into: Uint8Array): Promise<number | null> => {
      signal?.throwIfAborted();
      return isFile ? file.read(into) : untilAborted(file.read(into), signal);
    };
    yield* chunkAtWhitespace(read, chunkBytes);
    return;
  }
  const reader = pieceReader(toPieces(source), signal);
  try {
    yield* chunkAtWhitespace(reader.read, chunkBytes);
  } finally {
    await reader.close();
  }
}

/**
 * A {@linkcode ByteReader} over a sequence of byte pieces (copies them). An abort
 * rejects a pending read at once; `close()` cancels a stream even mid-read, and does
 * not wait behind a generator's pending `next()`.
 */
export function pieceReader(
  pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  signal?: AbortSignal,
): { read: ByteReader; close: () => Promise<void> } {
  const iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array> =
    pieces instanceof ReadableStream
      ? new StreamIterator(pieces)
      : Symbol.asyncIterator in pieces
      ? pieces[Symbol.asyncIterator]()
      : (pieces as Iterable<Uint8Array>)[Symbol.iterator]();
  let piece: Uint8Array | undefined;
  let offset = 0;
  let done = false;
  let pending = false;
  return {
    read: async (into) => {
      signal?.throwIfAborted();
      while (piece === undefined || offset >= piece.length) {
        if (done) return null;
        const nextPromise = Promise.resolve(iterator.next());
        pending = true;
        nextPromise.then(() => pending = false, () => pending = false);
        const next = await untilAborted(nextPromise, signal);
        if (next.done) {
          done = true;
          return null;
        }
        if (!(next.value instanceof Uint8Array)) {
          throw new TypeError(
            `Cannot read input as a chunk is not a Uint8Array: received ${describe(next.value)}`,
          );
        }
        piece = next.value;
        offset = 0;
      }
      const n = Math.min(into.length, piece.length - offset);
      into.set(piece.subarray(offset, offset + n));
      offset += n;
      return n;
    },
    close: async () => {
      if (!done) {
        done = true;
        const closing = Promise.resolve(iterator.return?.()).catch(() => {});
        if (!pending || iterator instanceof StreamIterator) await closing;
      }
    },
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value === "string" ? "string" : `${typeof value} '${String(value)}'`;
}

/**
 * Checks that `path` names a file (not a directory) and returns what `Deno.stat` says
 * of it: `isFile` is false for a FIFO, a device such as `/dev/stdin` or a socket, whose
 * bytes can only be read once, in order.
 *
 * @throws {TypeError} If `path` is neither a string nor a `file:` URL, or is a directory.
 * @throws {Deno.errors.NotFound} If the file does not exist.
 */
export async function checkFile(path: string | URL): Promise<Deno.FileInfo> {
  if (path instanceof URL ? path.protocol !== "file:" : typeof path !== "string") {
    throw new TypeError(
      `Cannot read text as the path must be a string or a file: URL: received ${
        path instanceof URL ? `'${path.href}'` : describe(path)
      }`,
    );
  }
  const info = await Deno.stat(path);
  if (info.isDirectory) {
    throw new TypeError(`Cannot read text as the path is a directory: '${String(path)}'`);
  }
  return info;
}

/** The file a source names, if it names one. */
export function filePath(source: TextSource): string | URL | undefined {
  if (source instanceof URL) return source;
  if (
    typeof source === "object" && source !== null && "path" in source &&
    !(Symbol.iterator in source) && !(Symbol.asyncIterator in source)
  ) {
    return source.path;
  }
  return undefined;
}

/**
 * Whether a string looks like a lone file path rather than text: no whitespace, and a
 * `/` or a backslash, or a file extension (`corpus.txt`, `./data`, `C:\a.md`). A text
 * of one such word is rare enough to ask for `[text]`.
 */
export function looksLikePath(text: string): boolean {
  return text.length > 0 && text.length <= 4096 && !/\s/.test(text) &&
    (/[/\\]/.test(text) || /\.[A-Za-z][A-Za-z0-9]{0,4}$/.test(text));
}

function toPieces(source: TextSource): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  const encoder = new TextEncoder();
  if (typeof source === "string") {
    if (looksLikePath(source)) {
      // A string is the text itself; counting a path's characters is never what was meant.
      throw new TypeError(
        `Cannot read text as a string is the text itself, not a path: pass { path } or a file: URL to read a file, or [string] to count a string like this one: received '${source}'`,
      );
    }
    return [encoder.encode(source)];
  }
  if (source instanceof Uint8Array) return [source];
  if (typeof source !== "object" || source === null) {
    throw new TypeError(
      `Cannot read text as the source is not a string, bytes, file or stream: received ${
        source === null ? "null" : typeof source
      }`,
    );
  }
  if (Symbol.asyncIterator in source) return source as AsyncIterable<Uint8Array>;
  if (Symbol.iterator in source) {
    return (function* () {
      let first = true;
      for (const item of source as Iterable<string | Uint8Array>) {
        if (typeof item === "string") {
          if (!first) yield encoder.encode("\n");
          yield encoder.encode(item);
        } else yield item;
        first = false;
      }
    })();
  }
  throw new TypeError(
    "Cannot read text as the source is not a string, bytes, file or stream: received object",
  );
}
