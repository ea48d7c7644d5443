/**
 * Deterministic, integer-only generator of a Zipf-like text corpus for the word-count
 * tests and benchmarks. The same options always give the same bytes.
 *
 * Run it to write a corpus file (the Python seed reads that same file):
 *
 * ```sh
 * deno run --allow-write bench/wordcount_corpus.ts /tmp/corpus.txt 100000000
 * ```
 *
 * @module
 */

/** Options of {@linkcode generateCorpus}. */
export interface CorpusOptions {
  /** Approximate size in bytes; the corpus ends at the first line end at or past it. */
  bytes: number;
  /** PRNG seed (a non-zero 32-bit integer). @default 1 */
  seed?: number;
  /** Number of distinct words. @default 50000 */
  vocabulary?: number;
  /** Mix in tabs and multi-byte Unicode whitespace (U+00A0, U+3000, …). @default false */
  exoticWhitespace?: boolean;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzrstlne"; // 32 symbols: one 5-bit digit each
const UNICODE = ["é", "ß", "ж", "λ", "日", "本", "😀", "𝔸"]; // 2-, 3- and 4-byte letters
const EXOTIC = ["\t", "\u00a0", "\u3000", "\u2003", "\u2028", "\x1c", "\u0085", "\u205f", "\r\n"];

/** xorshift32 step. */
function next(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/** The `k`-th vocabulary word: 4 base-32 digits (distinct per k), an optional suffix. */
function word(k: number): string {
  const p = (Math.imul(k, 0x9e3b5) & 0xfffff) >>> 0; // bijection on 20 bits
  let w = "";
  for (let d = 0; d < 4; d++) w += LETTERS[(p >>> (5 * d)) & 31];
  w += LETTERS.slice(0, (p >>> 7) % 4);
  if (k % 10 === 7) w = w.slice(0, 2) + UNICODE[(k >>> 4) % UNICODE.length] + w.slice(2);
  return w;
}

/**
 * Yields the corpus as pieces of about 64 KiB. Word ranks follow Zipf's law (weight of
 * rank r is ⌊2³⁰ / r⌋), drawn with integer arithmetic only.
 */
export function* generateCorpus(options: CorpusOptions): Generator<Uint8Array> {
  const vocabulary = options.vocabulary ?? 50_000;
  const exotic = options.exoticWhitespace ?? false;
  const encoder = new TextEncoder();
  const words = Array.from({ length: vocabulary }, (_, k) => encoder.encode(word(k)));
  const separators = EXOTIC.map((s) => encoder.encode(s));
  const cumulative = new Float64Array(vocabulary);
  let total = 0;
  for (let k = 0; k < vocabulary; k++) {
    total += Math.floor(2 ** 30 / (k + 1));
    cumulative[k] = total;
  }
  let x = (options.seed ?? 1) >>> 0 || 1;
  const piece = new Uint8Array(1 << 16);
  let used = 0;
  let written = 0;
  let lineLeft = 0;
  const push = (bytes: Uint8Array): Uint8Array | undefined => {
    let out: Uint8Array | undefined;
    if (used + bytes.length > piece.length) {
      out = piece.slice(0, used);
      used = 0;
    }
    piece.set(bytes, used);
    used += bytes.length;
    written += bytes.length;
    return out;
  };
  const space = encoder.encode(" ");
  const newline = encoder.encode("\n");
  while (true) {
    x = next(x);
    const hi = x >>> 11;
    x = next(x);
    const r = (hi * 2 ** 32 + x) % total;
    let lo = 0;
    let hiIndex = vocabulary - 1;
    while (lo < hiIndex) {
      const mid = (lo + hiIndex) >>> 1;
      if (cumulative[mid] > r) hiIndex = mid;
      else lo = mid + 1;
    }
    let out = push(words[lo]);
    if (out) yield out;
    let separator = space;
    if (lineLeft === 0) {
      x = next(x);
      lineLeft = 1 + (x % 20);
      if (written >= options.bytes) {
        out = push(newline);
        if (out) yield out;
        break;
      }
    }
    lineLeft--;
    if (lineLeft === 0) separator = newline;
    else if (exotic) {
      x = next(x);
      if (x % 8 === 0) separator = separators[(x >>> 3) % separators.length];
    }
    out = push(separator);
    if (out) yield out;
  }
  if (used > 0) yield piece.slice(0, used);
}

/** Writes a corpus of `bytes` bytes to `path`. */
export async function writeCorpus(path: string, options: CorpusOptions): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (const piece of generateCorpus(options)) {
    let off = 0;
    while (off < piece.length) off += await file.write(piece.subarray(off));
  }
}

if (import.meta.main) {
  const [path, bytes = "100000000", seed = "1"] = Deno.args;
  if (!path) {
    console.error("Usage: wordcount_corpus.ts OUT_PATH [BYTES] [SEED]");
    Deno.exit(2);
  }
  await writeCorpus(path, { bytes: Number(bytes), seed: Number(seed) });
}
