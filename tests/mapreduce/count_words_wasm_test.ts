/**
 * The WebAssembly word counter against the JavaScript tokenizer it stands in for: the
 * same words, counts and first-seen order on every kind of input, through table growth,
 * both ways of taking its counts out, and without WebAssembly (`--jitless`).
 */

import { assert, assertEquals } from "@std/assert";
import { countEngine, WordTable } from "../../mapreduce/_word_table.ts";
import { COUNT_WORDS_WASM } from "../../mapreduce/_count_words_wasm.ts";
import { assemble } from "./_count_words_asm.ts";
import { concat, corpus, referenceCount, sorted } from "./_reference.ts";
import { seededRandom } from "../_util.ts";

const JS = Infinity;
const WASM = 0;

/**
 * Runs `count` with tables counting in JavaScript (`JS`) or WebAssembly (`WASM`): a table
 * switches to WebAssembly at its first input of at least `wasmFromBytes` bytes.
 */
function withEngine<T>(wasmFromBytes: number, count: () => T): T {
  const before = countEngine.wasmFromBytes;
  countEngine.wasmFromBytes = wasmFromBytes;
  try {
    return count();
  } finally {
    countEngine.wasmFromBytes = before;
  }
}

/** Counts `bytes` in slices of random sizes cut after whitespace, like a stream. */
function countInSlices(into: WordTable, bytes: Uint8Array, seed: number): void {
  const random = seededRandom(seed);
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + 1 + Math.floor(random() * 300_000));
    while (end < bytes.length && bytes[end - 1] !== 0x20 && bytes[end - 1] !== 0x0a) end++;
    into.countWords(bytes, start, end);
    start = end;
  }
}

/** Both engines count `bytes` alike: words, counts and first-seen order. */
function assertSameCounts(bytes: Uint8Array, seed = 1): void {
  const js = new WordTable();
  const wasm = new WordTable();
  withEngine(JS, () => countInSlices(js, bytes, seed));
  withEngine(WASM, () => countInSlices(wasm, bytes, seed));
  assertEquals(wasm.total, js.total);
  assertEquals(wasm.size, js.size);
  assertEquals([...wasm.toMap()], [...js.toMap()]);
}

const encoder = new TextEncoder();

Deno.test("count_words.wasm is the assembly of _count_words.wat (run `deno task build:wasm`)", async () => {
  assertEquals(await assemble(), COUNT_WORDS_WASM);
});

Deno.test("WebAssembly counts like JavaScript: every code point between two words", () => {
  const parts: string[] = [];
  for (let cp = 0; cp <= 0xffff; cp++) {
    if (cp < 0xd800 || cp > 0xdfff) parts.push(`a${String.fromCodePoint(cp)}b`);
  }
  const bytes = encoder.encode(parts.join("\n"));
  assertSameCounts(bytes);
});

Deno.test("WebAssembly counts like JavaScript: a corpus with invalid UTF-8, BOMs and NULs", () => {
  const bytes = corpus(3_000_000, 5);
  const junk = [0xff, 0xe2, 0x80, 0xc2, 0x20, 0xef, 0xbb, 0xbf, 0x00, 0xed, 0xa0, 0xe3, 0x80];
  for (let i = 1000; i < bytes.length; i += 4099) bytes[i] = junk[i % junk.length];
  assertSameCounts(bytes, 2);
  const wasm = new WordTable();
  withEngine(WASM, () => wasm.countWords(bytes));
  assertEquals(sorted(wasm.toMap()), sorted(referenceCount(bytes)));
});

Deno.test("WebAssembly counts like JavaScript: long words, no ASCII space, a big vocabulary", () => {
  // A 3 MiB word (more than the counter's input region), then words separated only by
  // U+3000 (nowhere to cut a long slice), then 300,000 distinct words (the table grows).
  const long = new Uint8Array(3 << 20).fill(0x61);
  const ideographic = encoder.encode(
    Array.from({ length: 400_000 }, (_, i) => `語${i % 7}`).join("\u3000"),
  );
  const distinct = encoder.encode(Array.from({ length: 300_000 }, (_, i) => `w${i}`).join(" "));
  const bytes = concat([long, encoder.encode(" "), ideographic, encoder.encode("\n"), distinct]);
  const js = new WordTable();
  const wasm = new WordTable();
  withEngine(JS, () => js.countWords(bytes));
  withEngine(WASM, () => wasm.countWords(bytes));
  assertEquals(wasm.total, 1 + 400_000 + 300_000);
  assertEquals(wasm.size, js.size);
  assertEquals([...wasm.toMap()], [...js.toMap()]);
});

Deno.test("WebAssembly counts join the table's: results taken twice, merges, clear()", async (t) => {
  const bytes = corpus(600_000, 9);
  const cut = bytes.indexOf(0x0a, bytes.length >> 1) + 1;
  const expected = sorted(referenceCount(bytes));
  await t.step("a worker's two results, merged", () => {
    const wasm = new WordTable();
    const merged = new WordTable();
    withEngine(WASM, () => wasm.countWords(bytes, 0, cut));
    merged.merge(wasm.takeCounts());
    wasm.countWords(bytes, cut); // the counter stays
    merged.merge(wasm.takeCounts());
    assertEquals(sorted(merged.toMap()), expected);
    assertEquals(merged.total, wasm.total);
  });
  await t.step("counting after a merge, and after clear()", () => {
    const wasm = new WordTable();
    const other = new WordTable();
    other.countWords(bytes, 0, cut);
    withEngine(WASM, () => wasm.countWords(bytes, 0, 1000));
    wasm.merge(other.takeCounts()); // words of another table come in between
    wasm.countWords(bytes, cut);
    const twice = referenceCount(bytes.subarray(0, 1000));
    for (const [word, n] of referenceCount(bytes)) twice.set(word, n + (twice.get(word) ?? 0));
    assertEquals(sorted(wasm.toMap()), sorted(twice));
    wasm.clear();
    wasm.countWords(bytes);
    assertEquals(sorted(wasm.toMap()), expected);
  });
});

Deno.test("without WebAssembly (--jitless) the JavaScript tokenizer counts", async () => {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  try {
    const bytes = corpus(400_000, 3);
    await Deno.writeFile(path, bytes);
    const script = `
      import { wordFrequency } from ${
      JSON.stringify(new URL("../../mapreduce/word_frequency.ts", import.meta.url).href)
    };
      const counts = await wordFrequency({ path: ${JSON.stringify(path)} }, { workers: 0 });
      console.log(JSON.stringify([typeof WebAssembly, [...counts]]));
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--v8-flags=--jitless", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const [wasm, counts] = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(wasm, "undefined");
    assertEquals(sorted(new Map(counts)), sorted(referenceCount(bytes)));
  } finally {
    await Deno.remove(path);
  }
});
