/**
 * Private: {@linkcode WasmCounter}, the WebAssembly word counter behind
 * `WordTable.countWords`.
 *
 * A fresh thread runs JavaScript in V8's interpreter until its optimizing compiler has
 * caught up: a new worker counted its first 8 MiB about 50–90 ms slower than a warm one,
 * on every call that starts workers. WebAssembly is compiled before it runs (in about a
 * millisecond for these 1.5 KB), and its loop needs no bounds checks: it also counts
 * faster once warm.
 *
 * @module
 */

import { BYTE_CLASS, MAYBE_SPACE, multiByteSpaceLength, SPACE } from "./_whitespace.ts";
import { COUNT_WORDS_WASM } from "./_count_words_wasm.ts";

/** The exports of `_count_words.wat`. */
interface Exports {
  memory: WebAssembly.Memory;
  init(slots: number, entries: number, arena: number, input: number): void;
  input(bytes: number): number;
  clear(): void;
  count(start: number, end: number): void;
}

/** Byte offsets of the header fields (see `_count_words.wat`). */
const META = 8;
const ARENA = 16;
const USED = 24;
const SIZE = 28;
const WORDS = 32;
const CLASSES = 256;

/** Bytes copied in at a time: a longer range is cut after a whitespace byte. */
const INPUT_BYTES = 2 << 20;
/** The longest piece (one word) the counter takes: a longer one is left to JavaScript. */
const MAX_PIECE_BYTES = 64 << 20;
/**
 * Words (and so any word's count) a counter holds before its owner must take them out:
 * its counts are Int32s, and one piece adds at most `INPUT_BYTES / 2` words.
 */
const MAX_WORDS = 0x3fffffff;

let compiled: WebAssembly.Module | null | undefined;

/** This thread's compiled module, or `null` where WebAssembly is unavailable. */
function countWordsModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(COUNT_WORDS_WASM as Uint8Array<ArrayBuffer>);
    } catch {
      compiled = null; // no WebAssembly (`--jitless`): `WordTable` counts in JavaScript
    }
  }
  return compiled;
}

/**
 * A {@linkcode WasmCounter}'s table as it is now, valid until its next call: entry `k`
 * is `int32s[meta + 4k .. meta + 4k + 3]` (offset in the arena, length, hash, count),
 * its bytes are at `bytes[arena + offset ..]`.
 */
export interface CounterTable {
  bytes: Uint8Array;
  int32s: Int32Array;
  /** Number of entries, in first-seen order. */
  size: number;
  /** Index in `int32s` of entry 0. */
  meta: number;
  /** Address in `bytes` of the arena. */
  arena: number;
  /** Bytes of the arena in use. */
  used: number;
}

/** One entry of a {@linkcode WasmCounter}: where its word is in `bytes`, and its count. */
export interface CountedWord {
  bytes: Uint8Array;
  start: number;
  end: number;
  hash: number;
  count: number;
}

/**
 * Counts words in a table of its own inside a WebAssembly memory; its owner takes the
 * counts out with {@linkcode WasmCounter.drain}. Hashes are those of `hashBytes`.
 */
export class WasmCounter {
  #exports: Exports;
  #header: Int32Array;

  private constructor(exports: Exports) {
    this.#exports = exports;
    this.#header = new Int32Array(exports.memory.buffer);
  }

  /**
   * A new counter, or `undefined` where WebAssembly is unavailable (or its memory could
   * not be had).
   */
  static create(): WasmCounter | undefined {
    const module = countWordsModule();
    if (module === null) return undefined;
    try {
      const exports = new WebAssembly.Instance(module).exports as unknown as Exports;
      exports.init(1 << 12, 1 << 11, 1 << 15, INPUT_BYTES);
      new Uint8Array(exports.memory.buffer).set(BYTE_CLASS, CLASSES);
      return new WasmCounter(exports);
    } catch {
      return undefined;
    }
  }

  /** Words counted since the last drain. */
  get words(): number {
    return this.#view()[WORDS >> 2];
  }

  /** Bytes of memory the counter holds (it never gives any back). */
  get memoryBytes(): number {
    return this.#exports.memory.buffer.byteLength;
  }

  /**
   * Counts the words of `bytes[start, end)`, which neither starts nor ends inside a word,
   * calling `full` whenever the words held reach {@linkcode MAX_WORDS}. Stops early,
   * at a word boundary, before a single word longer than 64 MiB, and returns where it
   * stopped: `end` when it counted everything.
   */
  count(bytes: Uint8Array, start: number, end: number, full: () => void): number {
    const wasm = this.#exports;
    let from = start;
    while (from < end) {
      const to = end - from > INPUT_BYTES ? cutAfter(bytes, from + INPUT_BYTES, from, end) : end;
      const length = to - from;
      if (length > MAX_PIECE_BYTES) return from;
      const at = wasm.input(length) >>> 0;
      new Uint8Array(wasm.memory.buffer, at, length).set(bytes.subarray(from, to));
      wasm.count(at, at + length);
      from = to;
      if (this.words >= MAX_WORDS) full();
    }
    return end;
  }

  /**
   * Calls `take` with each distinct word counted since the last drain, in first-seen
   * order, then empties the table. `word.bytes` is valid only during the call.
   */
  drain(take: (word: CountedWord) => void): void {
    const header = this.#view();
    const bytes = new Uint8Array(this.#exports.memory.buffer);
    const size = header[SIZE >> 2];
    const arena = header[ARENA >> 2] >>> 0;
    const word: CountedWord = { bytes, start: 0, end: 0, hash: 0, count: 0 };
    for (let k = 0, m = header[META >> 2] >>> 2; k < size; k++, m += 4) {
      word.start = arena + (header[m] >>> 0);
      word.end = word.start + header[m + 1];
      word.hash = header[m + 2];
      word.count = header[m + 3];
      take(word);
    }
    this.#exports.clear();
  }

  /**
   * The table as it is, to read and to zero counts in (see {@linkcode CounterTable}).
   * Unlike {@linkcode WasmCounter.drain}, it keeps its entries.
   */
  table(): CounterTable {
    const int32s = this.#view();
    return {
      bytes: new Uint8Array(this.#exports.memory.buffer),
      int32s,
      size: int32s[SIZE >> 2],
      meta: int32s[META >> 2] >>> 2,
      arena: int32s[ARENA >> 2] >>> 0,
      used: int32s[USED >> 2] >>> 0,
    };
  }

  /** Words counted since the last call (or drain), and restarts that count. */
  takeWords(): number {
    const int32s = this.#view();
    const words = int32s[WORDS >> 2];
    int32s[WORDS >> 2] = 0;
    return words;
  }

  /** The memory as Int32s, again after the memory grew. */
  #view(): Int32Array {
    const buffer = this.#exports.memory.buffer;
    if (this.#header.buffer !== buffer) this.#header = new Int32Array(buffer);
    return this.#header;
  }
}

/**
 * Where to end a piece of `bytes[from, end)` near `at`: right after the last ASCII
 * whitespace before it, or else right after the first whitespace after it (ASCII or
 * multi-byte), or else at `end`. Never inside a word or a UTF-8 sequence.
 */
function cutAfter(bytes: Uint8Array, at: number, from: number, end: number): number {
  for (let cut = at; cut > from; cut--) if (BYTE_CLASS[bytes[cut - 1]] === SPACE) return cut;
  for (let i = at; i < end; i++) {
    const type = BYTE_CLASS[bytes[i]];
    if (type === SPACE) return i + 1;
    if (type === MAYBE_SPACE) {
      const n = multiByteSpaceLength(bytes, i, end);
      if (n > 0) return i + n;
    }
  }
  return end;
}
