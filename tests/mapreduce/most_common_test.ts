import { assertEquals, assertThrows } from "@std/assert";
import { mostCommon } from "../../mapreduce/most_common.ts";
import { seededRandom } from "../_util.ts";

Deno.test("mostCommon() orders by count, equal counts in first-seen order, like Counter.most_common", () => {
  // Python: Counter("the dog barks at the fox and the fox runs".split()).most_common(3)
  const counts = new Map([["the", 3], ["dog", 1], ["barks", 1], ["at", 1], ["fox", 2]]);
  assertEquals(mostCommon(counts, 3), [["the", 3], ["fox", 2], ["dog", 1]]);
  assertEquals(mostCommon(counts), [["the", 3], ["fox", 2], ["dog", 1], ["barks", 1], ["at", 1]]);
  assertEquals(mostCommon(counts, 0), []);
  assertEquals(mostCommon(counts, 99), mostCommon(counts));
  assertEquals(mostCommon([["a", 1], ["b", 2]] as const, 1), [["b", 2]]);
  assertEquals(mostCommon(new Map(), 5), []);
});

Deno.test("mostCommon() picks the same entries as a stable sort, for every n", () => {
  const random = seededRandom(21);
  const counts = new Map<string, number>();
  for (let i = 0; i < 2000; i++) counts.set(`w${i}`, Math.floor(random() * 50));
  const all = [...counts].sort((a, b) => b[1] - a[1]);
  assertEquals(mostCommon(counts), all);
  for (const n of [1, 2, 3, 10, 49, 50, 51, 500, 1999, 2000, 2001]) {
    assertEquals(mostCommon(counts, n), all.slice(0, n), `n ${n}`);
  }
});

Deno.test("mostCommon() rejects a bad n", () => {
  const counts = new Map([["a", 1]]);
  assertThrows(() => mostCommon(counts, -1), RangeError, "'n' must be a non-negative integer");
  assertThrows(() => mostCommon(counts, 1.5), RangeError, "received 1.5");
  assertThrows(() => mostCommon(counts, "2" as unknown as number), TypeError, "received '2'");
});
