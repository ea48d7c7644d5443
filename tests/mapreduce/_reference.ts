/**
 * Test helpers: a straightforward single-thread word count to compare against, and a
 * few-MB corpus from the bench's deterministic generator.
 *
 * @module
 */

import { generateCorpus } from "../../bench/wordcount_corpus.ts";
import { concat } from "../_util.ts";

/** Python's `str.isspace()` characters, as a regex for runs of them. */
export const PY_WHITESPACE =
  // deno-lint-ignore no-control-regex
  /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** The straightforward count: decode everything, split like Python, count in a Map. */
export function referenceCount(input: string | Uint8Array): Map<string, number> {
  const text = typeof input === "string"
    ? input
    : new TextDecoder("utf-8", { ignoreBOM: true }).decode(input);
  const counts = new Map<string, number>();
  for (const word of text.split(PY_WHITESPACE)) {
    if (word !== "") counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** Map → sorted entries, for order-independent equality. */
export function sorted(counts: Map<string, number>): [string, number][] {
  return [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export { concat } from "../_util.ts";

/** A deterministic corpus of about `bytes` bytes with multi-byte words and whitespace. */
export function corpus(bytes: number, seed = 7): Uint8Array {
  return concat([...generateCorpus({ bytes, seed, vocabulary: 5000, exoticWhitespace: true })]);
}
