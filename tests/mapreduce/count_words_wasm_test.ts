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
    assertEquals(merged.total, expected.reduce((sum, [, n]) => sum + n, 0));
  });
  await t.step("counts taken out twice before a merge into the same table", () => {
    const wasm = new WordTable();
    const other = new WordTable();
    const early = bytes.indexOf(0x0a, 5000) + 1;
    withEngine(WASM, () => wasm.countWords(bytes, 0, early));
    assert(wasm.size > 0); // takes the counts out once
    wasm.countWords(bytes, early, cut);
    assert(wasm.size > 0); // and again: both batches of words still need their slots
    other.countWords(bytes, cut);
    wasm.merge(other.takeCounts());
    assertEquals(sorted(wasm.toMap()), expected);
  });
  await t.step("JavaScript first (a small input), then WebAssembly", () => {
    const mixed = new WordTable();
    const small = bytes.indexOf(0x0a, 500) + 1;
    mixed.countWords(bytes, 0, small); // under 64 KiB: JavaScript
    mixed.countWords(bytes, small, cut); // from here on, WebAssembly
    mixed.countWords(bytes, cut);
    assertEquals(sorted(mixed.toMap()), expected);
    assertEquals([...mixed.toMap().keys()], [...referenceCount(bytes).keys()]);
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

Deno.test("a word longer than the counter takes (64 MiB) goes on in JavaScript, with the counts so far", () => {
  const head = corpus(300_000, 4);
  const giant = new Uint8Array(65 << 20).fill(0x7a);
  const bytes = concat([head, encoder.encode(" "), giant, encoder.encode(" z\n"), head]);
  const table = new WordTable();
  withEngine(WASM, () => table.countWords(bytes));
  const expected = referenceCount(concat([head, encoder.encode(" z\n"), head]));
  expected.set("z".repeat(65 << 20), 1);
  const counts = table.toMap();
  assertEquals(counts.size, expected.size);
  for (const [word, n] of expected) assertEquals(counts.get(word), n, word.slice(0, 20));
  const before = table.total;
  table.countWords(head); // and counts on, in JavaScript
  const headWords = [...referenceCount(head).values()].reduce((sum, n) => sum + n, 0);
  assertEquals(table.total - before, headWords);
  assertEquals(table.toMap().get("z"), 1);
});

Deno.test("WebAssembly never reads past a range: ranges that end in half a whitespace character", () => {
  // The bytes after a range's end are stale input of an earlier call: 0xA0 after 0xC2
  // would make U+00A0, and 0x80 after 0xE2 0x80 would make U+2000.
  const inputs = [[0x61, 0xc2, 0xa0, 0x62], [0x61, 0xc2], [0x61, 0xe2, 0x80, 0x80, 0x62], [
    0x61,
    0xe2,
    0x80,
  ]];
  const counts = (engine: number) => {
    const table = new WordTable();
    withEngine(engine, () => {
      for (const input of inputs) table.countWords(new Uint8Array(input));
    });
    return [...table.toMap()];
  };
  assertEquals(counts(WASM), counts(JS));
  assertEquals(counts(WASM), [["a", 2], ["b", 2], ["a\ufffd", 2]]);
});

Deno.test("WebAssembly and JavaScript tables agree under random operations", () => {
  // Tokens dense in (broken) multi-byte whitespace; random slices counted into three
  // tables, with results taken out and merged across them, clear(), toMap() and totals.
  const tokens = [
    [0x20],
    [0x0a],
    [0x1f],
    [0xc2, 0x85],
    [0xc2, 0xa0],
    [0xc2],
    [0xe1, 0x9a, 0x80],
    [
      0xe1,
      0x9a,
    ],
    [0xe2, 0x80, 0x8a],
    [0xe2, 0x80, 0x8b],
    [0xe2, 0x80, 0xa8],
    [0xe2, 0x81, 0x9f],
    [0xe2, 0x81],
    [
      0xe3,
      0x80,
      0x80,
    ],
    [0xe3, 0x80],
    [0x61],
    [0x62],
    [0x63],
    [0xff],
    [0x80],
    [0xef, 0xbb, 0xbf],
    [0x00],
  ];
  type Step =
    | { op: "count"; table: number; bytes: Uint8Array; start: number; end: number }
    | { op: "take"; table: number; into?: number }
    | { op: "clear" | "map"; table: number };
  const play = (engine: number, steps: Step[]) =>
    withEngine(engine, () => {
      const tables = [new WordTable(), new WordTable(), new WordTable()];
      const log: unknown[] = [];
      for (const step of steps) {
        const table = tables[step.table];
        if (step.op === "count") table.countWords(step.bytes, step.start, step.end);
        else if (step.op === "take") {
          const part = table.takeCounts();
          if (step.into !== undefined) tables[step.into].merge(part);
        } else if (step.op === "clear") table.clear();
        else log.push([...table.toMap()], table.total, table.size);
      }
      for (const table of tables) log.push([...table.toMap()], table.total, table.size);
      return log;
    });
  for (let seed = 1; seed <= 150; seed++) {
    const random = seededRandom(seed);
    const steps: Step[] = [];
    for (let n = 3 + Math.floor(random() * 12); n > 0; n--) {
      const x = random();
      const table = Math.floor(random() * 3);
      if (x < 0.5) {
        const bytes: number[] = [];
        const length = 1 + random() * 3000;
        while (bytes.length < length) bytes.push(...tokens[Math.floor(random() * tokens.length)]);
        const input = new Uint8Array(bytes);
        for (let start = 0, i = 1; i <= input.length; i++) {
          const boundary = i === input.length || input[i - 1] === 0x20 || input[i - 1] === 0x0a;
          if (boundary && (i === input.length || random() < 0.05)) {
            steps.push({ op: "count", table, bytes: input, start, end: i });
            start = i;
          }
        }
      } else if (x < 0.75) {
        steps.push({ op: "take", table, into: random() < 0.8 ? (table + 1) % 3 : undefined });
      } else if (x < 0.85) steps.push({ op: "clear", table });
      else steps.push({ op: "map", table });
    }
    const expected = play(JS, steps);
    assertEquals(play(WASM, steps), expected, `seed ${seed}`);
    assertEquals(play(500, steps), expected, `seed ${seed}, switching at 500 bytes`);
  }
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
