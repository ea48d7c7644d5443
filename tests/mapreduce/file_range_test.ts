import { assertEquals } from "@std/assert";
import { wordFrequency } from "../../mapreduce/word_frequency.ts";
import { poolCounters } from "../../mapreduce/_pool_counters.ts";
import { concat, corpus, referenceCount, sorted } from "./_reference.ts";

const encoder = new TextEncoder();

/** A whitespace-free token of about `bytes` bytes, like minified JSON (with multi-byte text). */
function longToken(name: string, bytes: number): Uint8Array {
  const unit = `{"${name}":"é€x",`;
  return encoder.encode(`[${unit.repeat(Math.ceil(bytes / (unit.length + 3)))}]`);
}

Deno.test("wordFrequency() of a file counts tokens of megabytes across its ranges exactly", async () => {
  // About 12 MB: tokens of 1 to 4.5 MB, each longer than a range on 2 workers, so some
  // ranges start and end inside one and one lies wholly inside a token; they end at
  // ASCII and multi-byte whitespace, and the file ends inside one. Reading past a range's
  // end 256 bytes at a time and rescanning the token made this take minutes.
  const a = longToken("a", 3_000_000);
  const bytes = concat([
    corpus(1_500_000, 11),
    a,
    encoder.encode("\u3000"),
    corpus(2_000_000, 12),
    encoder.encode(" "),
    longToken("b", 4_500_000),
    encoder.encode("\u00a0"),
    corpus(500_000, 13),
    encoder.encode("\n"),
    longToken("c", 1_000_000),
    encoder.encode("\t"),
    a,
  ]);
  const path = await Deno.makeTempFile({ prefix: "mapreduce_long_words_" });
  try {
    await Deno.writeFile(path, bytes);
    const expected = sorted(referenceCount(bytes));
    assertEquals(expected.find(([word]) => word.length > 1_000_000)?.[1], 2);
    assertEquals(sorted(await wordFrequency({ path }, { workers: 0 })), expected);
    assertEquals(sorted(await wordFrequency({ path }, { workers: 2 })), expected);
    assertEquals(
      sorted(await wordFrequency({ path }, { workers: 2, chunkBytes: 700_000 })),
      expected,
    );
  } finally {
    await Deno.remove(path);
  }
  assertEquals(poolCounters.alive, 0);
});
