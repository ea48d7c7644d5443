/**
 * Private: counts the words of one byte range of a file, read by whoever counts it (a
 * worker reads its own ranges, so the main thread does no I/O and copies nothing).
 *
 * Ranges tile the file and each word is counted by exactly one of them: the range
 * `[start, end)` counts the bytes from `B(start)` to `B(end)`, where `B(x)` is the first
 * word boundary at or after `x` (a position right after a whitespace character, or the
 * start or end of the file). So a range that starts inside a word skips to the end of
 * that word, and one that ends inside a word reads past its end to finish it. Whether a
 * position is a boundary depends only on the (up to 3) bytes before it, which is why a
 * range is read from 3 bytes before its start.
 *
 * @module
 */

import { BYTE_CLASS, multiByteSpaceLength, SPACE } from "./_whitespace.ts";
import type { WordTable } from "./_word_table.ts";

/** Reads bytes into `into` (sequentially) and returns how many, or `null` at the end. */
export type RangeReader = (into: Uint8Array) => Promise<number | null> | number | null;

/** A reusable read buffer (grown, and replaced, when one word does not fit). */
export interface Scratch {
  buffer: Uint8Array;
}

/** Bytes read at a time when counting a range. */
export const PIECE_BYTES = 1 << 20;

/** Whether position `q` of `buf` (absolute position `at`) directly follows whitespace. */
export function isBoundary(buf: Uint8Array, q: number, at: number): boolean {
  if (at === 0) return true;
  const b = buf[q - 1];
  if (BYTE_CLASS[b] === SPACE) return true;
  if (b < 0x80 || b > 0xbf) return false; // multi-byte whitespace ends in a continuation byte
  return (q >= 2 && multiByteSpaceLength(buf, q - 2, q) === 2) ||
    (q >= 3 && multiByteSpaceLength(buf, q - 3, q) === 3);
}

/**
 * Counts into `table` the words of the range `[start, end)` (see the module doc), with
 * `read` positioned at `max(0, start - 3)`. `end` may be `Infinity` (to the end of the
 * file). Calls `onPiece` with the bytes counted after each piece.
 *
 * @returns The bytes counted, `B(end) - B(start)`.
 */
export async function countRange(
  table: WordTable,
  read: RangeReader,
  start: number,
  end: number,
  scratch: Scratch,
  onPiece?: (bytes: number) => void,
): Promise<number> {
  let buf = scratch.buffer;
  let base = Math.max(0, start - 3); // absolute position of buf[0]
  let filled = 0;
  let eof = false;
  let counted = 0;
  const more = async () => {
    if (filled === buf.length) {
      const bigger = new Uint8Array(Math.max(64, buf.length * 2));
      bigger.set(buf);
      buf = scratch.buffer = bigger;
    }
    // Up to the range's end, then enough to finish its last word: 256 bytes first (most
    // words are short), then as much again as was read past the end, up to a piece, so
    // a word that runs on past the end costs few reads and at most a piece read twice
    // (256 bytes at a time, 7.4 MB of whitespace-free JSON took over 60 s).
    const past = base + filled - end;
    const want = end === Infinity
      ? Infinity
      : past < 0
      ? 256 - past
      : Math.min(PIECE_BYTES, Math.max(256, past));
    const n = await read(buf.subarray(filled, Math.min(buf.length, filled + want)));
    if (n === null || n === 0) eof = true;
    else filled += n;
  };
  const count = (s: number, e: number) => {
    if (e > s) {
      table.countWords(buf, s, e);
      counted += e - s;
      onPiece?.(e - s);
    }
  };
  /** Drops `buf[0, keep)`. */
  const compact = (keep: number) => {
    if (keep > 0) {
      buf.copyWithin(0, keep, filled);
      base += keep;
      filled -= keep;
    }
  };

  // 1. s = B(start): the first boundary at or after start, unless it is at or past end.
  let s = start - base; // relative to buf; ≥ 3 unless base is 0, so the lookback is there
  for (;;) {
    if (base + s >= end) return 0; // no word starts in this range
    if (s <= filled) {
      if (isBoundary(buf, s, base + s)) break;
      if (s < filled) {
        s++;
        continue;
      }
    }
    if (eof) return 0; // the file ends inside the word
    const keep = Math.max(0, Math.min(s, filled) - 3);
    compact(keep);
    s -= keep;
    await more();
  }

  // 2. Count from s to B(end), piece by piece. No position in (s, clear) is a boundary:
  // each byte is scanned at most twice (forward past the end, back for a cut), however
  // long the word that holds it.
  let clear = s + 1;
  for (;;) {
    const limit = end - base;
    if (limit <= filled) {
      let q = s >= limit ? s : Math.max(limit, clear);
      while (q <= filled && !isBoundary(buf, q, base + q)) q++;
      if (q <= filled) {
        count(s, q);
        return counted;
      }
    }
    if (eof) {
      count(s, filled);
      return counted;
    }
    const cut = lastBoundaryAfter(buf, Math.max(s, clear - 1), filled, base);
    if (cut > s) {
      count(s, cut);
      s = cut;
    }
    clear = filled + 1;
    const keep = Math.max(0, s - 3);
    compact(keep);
    s -= keep;
    clear -= keep;
    await more();
  }
}

/**
 * The last boundary in `buf(from, to]` (`buf[0]` at absolute position `base`), or -1
 * when there is none. Scans back from `to`: in text, a boundary is a few bytes away.
 */
function lastBoundaryAfter(buf: Uint8Array, from: number, to: number, base: number): number {
  for (let q = to; q > from; q--) if (isBoundary(buf, q, base + q)) return q;
  return -1;
}

/** A sync {@linkcode RangeReader} over a file, positioned at `at`. */
export function fileReader(file: Deno.FsFile, at: number): RangeReader {
  file.seekSync(at, Deno.SeekMode.Start);
  return (into) => file.readSync(into);
}

/** An async {@linkcode RangeReader} over a file, positioned at `at`. */
export async function asyncFileReader(
  file: Deno.FsFile,
  at: number,
  signal?: AbortSignal,
): Promise<RangeReader> {
  await file.seek(at, Deno.SeekMode.Start);
  return async (into) => {
    signal?.throwIfAborted();
    return await file.read(into);
  };
}
