import { assert, assertEquals, assertThrows } from "@std/assert";
import { WordTable } from "../../mapreduce/_word_table.ts";
import { corpus, referenceCount, sorted } from "./_reference.ts";

const PYTHON_WHITESPACE = [
  0x09,
  0x0a,
  0x0b,
  0x0c,
  0x0d,
  0x1c,
  0x1d,
  0x1e,
  0x1f,
  0x20,
  0x85,
  0xa0,
  0x1680,
  ...Array.from({ length: 11 }, (_, i) => 0x2000 + i),
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000,
];

function count(bytes: Uint8Array): Map<string, number> {
  const table = new WordTable();
  table.countWords(bytes);
  return table.toMap();
}

Deno.test("WordTable.countWords() splits on exactly Python's whitespace", () => {
  const encoder = new TextEncoder();
  for (let cp = 0; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const text = `a${String.fromCodePoint(cp)}b`;
    const words = [...count(encoder.encode(text)).keys()];
    if (PYTHON_WHITESPACE.includes(cp)) assertEquals(words, ["a", "b"], `U+${cp.toString(16)}`);
    else assertEquals(words, [text], `U+${cp.toString(16)}`);
  }
  // Near misses of multi-byte whitespace stay inside words: U+200B, U+180E, U+FEFF.
  assertEquals([...count(encoder.encode("x\u200by\u180ez\ufeffw")).keys()].length, 1);
});

Deno.test("WordTable.toMap() decodes invalid bytes per word, even when they join up", () => {
  // Python: b"\xe2 \x80\x80 ok".decode("utf-8", "replace").split() == ["\ufffd", "\ufffd\ufffd", "ok"]
  // (the words' bytes back to back, E2 80 80, would be a valid U+2000).
  const words = count(new Uint8Array([0xe2, 0x20, 0x80, 0x80, 0x20, 0x6f, 0x6b]));
  assertEquals([...words], [["\ufffd", 1], ["\ufffd\ufffd", 1], ["ok", 1]]);
});

Deno.test("WordTable.toMap() called again updates the same map with later counts", async (t) => {
  await t.step("valid UTF-8: counts set again, new words appended", () => {
    const bytes = corpus(200_000);
    const cut = bytes.indexOf(0x0a, bytes.length >> 1) + 1;
    const table = new WordTable();
    table.countWords(bytes, 0, cut);
    const first = table.toMap();
    const early = sorted(referenceCount(bytes.subarray(0, cut)));
    assertEquals(sorted(first), early);
    table.countWords(bytes, cut);
    const map = table.toMap();
    assert(map === first, "the same map, updated");
    assertEquals(sorted(map), sorted(referenceCount(bytes)));
    assert(map.size > early.length, "words new in the second half were added");
  });
  await t.step("invalid UTF-8 decoding to an earlier word: counts added up", () => {
    // "a\xff" decodes to "a\ufffd", which is also the valid "a" + U+FFFD (EF BF BD).
    const table = new WordTable();
    table.countWords(new Uint8Array([0x61, 0xff, 0x20, 0x62, 0x20]));
    assertEquals([...table.toMap()], [["a\ufffd", 1], ["b", 1]]);
    table.countWords(new Uint8Array([0x61, 0xef, 0xbf, 0xbd, 0x20, 0x61, 0xff, 0x20, 0x62]));
    assertEquals([...table.toMap()], [["a\ufffd", 3], ["b", 2]]);
    // And the other way round: the valid word first, then the same string from invalid bytes.
    const other = new WordTable();
    other.countWords(new Uint8Array([0x61, 0xef, 0xbf, 0xbd, 0x20]));
    assertEquals([...other.toMap()], [["a\ufffd", 1]]);
    other.countWords(new Uint8Array([0x61, 0xff, 0x20, 0x61, 0xef, 0xbf, 0xbd]));
    assertEquals([...other.toMap()], [["a\ufffd", 3]]);
    other.countWords(new Uint8Array([0x20, 0x61, 0xff, 0x20, 0x63]));
    assertEquals([...other.toMap()], [["a\ufffd", 4], ["c", 1]]);
    // A later batch whose bytes join up into valid UTF-8 (E2 | 80 80) is decoded per word.
    const joined = new WordTable();
    joined.countWords(new Uint8Array([0x6f, 0x6b, 0x20]));
    assertEquals([...joined.toMap()], [["ok", 1]]);
    joined.countWords(new Uint8Array([0xe2, 0x20, 0x80, 0x80, 0x20, 0x6f, 0x6b]));
    assertEquals([...joined.toMap()], [["ok", 2], ["\ufffd", 1], ["\ufffd\ufffd", 1]]);
  });
});

Deno.test("WordTable.merge() of chunk results equals counting everything at once", async (t) => {
  const bytes = corpus(300_000);
  const whole = new WordTable();
  whole.countWords(bytes);
  const expected = sorted(referenceCount(bytes));
  const lines: [number, number][] = [];
  for (let start = 0, i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push([start, i + 1]);
      start = i + 1;
    }
  }
  const check = (merged: WordTable) => {
    assertEquals(merged.total, whole.total);
    assertEquals(merged.size, whole.size);
    assertEquals(sorted(merged.toMap()), expected);
  };
  await t.step("a fresh table per chunk", () => {
    const merged = new WordTable();
    for (const [start, end] of lines) {
      const part = new WordTable();
      part.countWords(bytes, start, end);
      merged.merge(part.takeCounts());
    }
    check(merged);
  });
  await t.step("three long-lived tables, results merged out of order", () => {
    const merged = new WordTable();
    const sources = [new WordTable(), new WordTable(), new WordTable()];
    const results = lines.map(([start, end], i) => {
      const source = sources[i % 3];
      source.countWords(bytes, start, end);
      return source.takeCounts();
    });
    // Shuffle deterministically: later results of a source may arrive first.
    for (let i = results.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [results[i], results[j]] = [results[j], results[i]];
    }
    for (const part of results) merged.merge(part);
    check(merged);
    assertEquals(merged.waiting, 0);
    assertThrows(() => merged.merge(results[0]), RangeError, "merged twice");
  });
  await t.step("a result without the ones before it waits, and is counted as waiting", () => {
    const merged = new WordTable();
    const source = new WordTable();
    source.countWords(bytes, 0, lines[0][1]);
    const first = source.takeCounts();
    source.countWords(bytes, lines[1][0], lines[1][1]);
    merged.merge(source.takeCounts());
    assertEquals(merged.waiting, 1);
    merged.merge(first);
    assertEquals(merged.waiting, 0);
  });
  assert(whole.size > 4000, "the table grew through several rehashes");
});

Deno.test("WordTable.countWords() agrees with Python's str.split() on odd bytes", async (t) => {
  let python: string | undefined;
  try {
    const probe = await new Deno.Command("python3", { args: ["-c", "print(1)"] }).output();
    if (probe.success) python = "python3";
  } catch {
    python = undefined;
  }
  if (python === undefined) {
    console.warn("python3 not found: skipping the comparison with Python");
    return;
  }
  // Corpus with exotic whitespace, plus invalid UTF-8, BOMs and control bytes.
  const base = corpus(200_000, 11);
  const junk = new Uint8Array([0xff, 0xe2, 0x80, 0xc2, 0x20, 0xef, 0xbb, 0xbf, 0x00, 0xed, 0xa0]);
  const bytes = new Uint8Array(base.length + junk.length * 50);
  bytes.set(base);
  for (let i = 0; i < 50; i++) bytes.set(junk, base.length + i * junk.length);
  for (let i = 1000; i < base.length; i += 7919) bytes[i] = junk[i % junk.length];
  await t.step("same words and counts", async () => {
    const script = "import sys, json, collections\n" +
      "text = sys.stdin.buffer.read().decode('utf-8', 'replace')\n" +
      "sys.stdout.write(json.dumps(collections.Counter(text.split())))";
    const child = new Deno.Command(python!, {
      args: ["-c", script],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(bytes);
    await writer.close();
    const out = await child.output();
    assert(out.success);
    const expected = new Map(Object.entries(JSON.parse(new TextDecoder().decode(out.stdout))));
    assertEquals(sorted(count(bytes)), sorted(expected as Map<string, number>));
  });
});
