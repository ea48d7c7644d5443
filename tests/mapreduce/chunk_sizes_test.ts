/**
 * Counts at every chunk size equal a single-thread reference count: both ways of cutting
 * input (the stream chunker and the file ranges that workers read themselves) are swept
 * directly, without workers, over every size from 1 byte on an extract dense in multi-byte
 * UTF-8, and over large sizes on a 3 MB corpus; a sample of sizes then runs on workers.
 */

import { assert, assertEquals } from "@std/assert";
import { chunkAtWhitespace } from "../../mapreduce/_chunker.ts";
import { countRange, type RangeReader } from "../../mapreduce/_file_range.ts";
import { WordTable } from "../../mapreduce/_word_table.ts";
import { wordFrequency } from "../../mapreduce/word_frequency.ts";
import { concat, corpus, referenceCount, sorted } from "./_reference.ts";

const encoder = new TextEncoder();
/** 2-, 3- and 4-byte letters next to every kind of multi-byte whitespace. */
const DENSE = "ab\u00a0日本語 😀x\u3000é\u2028\u2029z\u0085q\x1cr\u205fs\u2003t\u1680u v\r\n" +
  "𝔸𝔸\u00a0ß\u3000ж λλ😀😀 \u200a日\tжжж\u202fλ\u2000é😀é\n";
/** Invalid UTF-8 around whitespace: a lead byte before U+3000 or U+00A0, a lone continuation, cut sequences. */
const INVALID = new Uint8Array([
  0xe3,
  0xe3,
  0x80,
  0x80,
  0x61,
  0x20,
  0xc2,
  0xc2,
  0xa0,
  0x62,
  0x80,
  0x0a,
  0xf0,
  0x9f,
  0x98,
  0x20,
  0xe2,
  0x80,
  0x0a,
  0xe2,
  0x80,
  0xe2,
  0x80,
  0x83,
  0x63,
  0x0a,
]);

/** About 4 kB: corpus lines, the dense text, invalid bytes, a long word, more corpus. */
function extract(): Uint8Array {
  const text = corpus(40_000, 11);
  const lines = (from: number, bytes: number) =>
    text.subarray(from, text.indexOf(10, from + bytes) + 1);
  return concat([
    lines(0, 2000),
    encoder.encode(DENSE.repeat(6)),
    INVALID,
    encoder.encode("é".repeat(150) + " 😀".repeat(40) + "\n"), // a 300-byte word
    lines(20_000, 600),
    encoder.encode("no newline at the end: 日本"),
  ]);
}

/** A reader of `bytes` from `at` that returns at most `most` bytes per read. */
function memoryReader(bytes: Uint8Array, at: number, most: number): RangeReader {
  let pos = at;
  return (into) => {
    if (pos >= bytes.length) return null;
    const n = Math.min(into.length, bytes.length - pos, most);
    into.set(bytes.subarray(pos, pos + n));
    pos += n;
    return n;
  };
}

/** Counts `bytes` with the stream chunker at `size`, one table, no workers. */
async function countByChunks(bytes: Uint8Array, size: number): Promise<Map<string, number>> {
  const table = new WordTable();
  let pos = 0;
  const read = (into: Uint8Array) => {
    if (pos >= bytes.length) return null;
    const n = Math.min(into.length, bytes.length - pos);
    into.set(bytes.subarray(pos, pos + n));
    pos += n;
    return n;
  };
  let total = 0;
  for await (const chunk of chunkAtWhitespace(read, size)) {
    table.countWords(chunk);
    total += chunk.length;
  }
  assertEquals(total, bytes.length, `chunks of ${size} cover the input`);
  return table.toMap();
}

/** Counts `bytes` as ranges of `size` (each read on its own, like a worker does). */
async function countByRanges(
  bytes: Uint8Array,
  size: number,
  most = Infinity,
  scratchBytes = 1 << 16,
): Promise<Map<string, number>> {
  const table = new WordTable();
  const scratch = { buffer: new Uint8Array(scratchBytes) };
  let total = 0;
  for (let start = 0; start < bytes.length; start += size) {
    const end = start + size >= bytes.length ? Infinity : start + size;
    const reader = memoryReader(bytes, Math.max(0, start - 3), most);
    total += await countRange(table, reader, start, end, scratch);
  }
  assertEquals(total, bytes.length, `ranges of ${size} tile the input`);
  return table.toMap();
}

Deno.test("chunk sizes: every size from 1 to 256 bytes on multi-byte UTF-8 equals the reference", async () => {
  const bytes = extract();
  const expected = sorted(referenceCount(bytes));
  assert(bytes.length > 3500, `extract of ${bytes.length} bytes`);
  assert(expected.filter(([w]) => /[^\p{ASCII}]/u.test(w)).length >= 10);
  assert(expected.some(([w]) => w.includes("\ufffd")));
  for (let size = 1; size <= 256; size++) {
    assertEquals(sorted(await countByChunks(bytes, size)), expected, `stream chunks of ${size}`);
    assertEquals(sorted(await countByRanges(bytes, size)), expected, `file ranges of ${size}`);
  }
  // Short reads and a tiny buffer (grown for the long word, compacted between pieces).
  for (const [size, most, scratch] of [[1, 1, 4], [7, 3, 8], [64, 5, 16], [4096, 7, 4]]) {
    assertEquals(
      sorted(await countByRanges(bytes, size, most, scratch)),
      expected,
      `ranges of ${size}, reads of ${most}, ${scratch}-byte buffer`,
    );
  }
});

Deno.test("chunk sizes: primes and powers of two ± 1 on a 3 MB corpus equal the reference", async () => {
  const bytes = corpus(3_000_000);
  const expected = sorted(referenceCount(bytes));
  assert(expected.some(([w]) => /[^\p{ASCII}]/u.test(w)));
  const sizes = [4093, 65_521, 999_983];
  for (const power of [12, 16, 20]) sizes.push(2 ** power - 1, 2 ** power, 2 ** power + 1);
  for (const size of sizes) {
    assertEquals(sorted(await countByChunks(bytes, size)), expected, `stream chunks of ${size}`);
    assertEquals(sorted(await countByRanges(bytes, size)), expected, `file ranges of ${size}`);
  }
});

Deno.test("chunk sizes: a sample on 2 workers, from bytes and from a file", async () => {
  const bytes = extract();
  const expected = sorted(referenceCount(bytes));
  const path = await Deno.makeTempFile({ prefix: "mapreduce_sizes_" });
  try {
    await Deno.writeFile(path, bytes);
    for (const chunkBytes of [1, 2, 3, 5, 64, 255, 1021]) {
      const fromBytes = await wordFrequency(bytes, { workers: 2, chunkBytes });
      assertEquals(sorted(fromBytes), expected, `bytes, chunkBytes ${chunkBytes}`);
      const fromFile = await wordFrequency({ path }, { workers: 2, chunkBytes });
      assertEquals(sorted(fromFile), expected, `file, chunkBytes ${chunkBytes}`);
    }
    const big = corpus(3_000_000, 5);
    await Deno.writeFile(path, big);
    const counts = await wordFrequency({ path }, { workers: 2, chunkBytes: 65_537 });
    assertEquals(sorted(counts), sorted(referenceCount(big)), "3 MB file, ranges of 65,537");
  } finally {
    await Deno.remove(path);
  }
});
