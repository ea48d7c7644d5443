/**
 * `deno bench` for word counting on an 8 MB generated corpus: the naive
 * `split(/\s+/)` + `Map` (baseline), Tandem's byte-level tokenizer + open-addressing
 * table on one thread, and `wordFrequency` on 2 workers. The Python comparison and the
 * 1 GB memory check are in `wordcount_compare.ts`.
 *
 * @module
 */

import { wordFrequency } from "../mapreduce/word_frequency.ts";
import { generateCorpus } from "./wordcount_corpus.ts";

const pieces = [...generateCorpus({ bytes: 8_000_000, seed: 1 })];
const bytes = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
let offset = 0;
for (const p of pieces) {
  bytes.set(p, offset);
  offset += p.length;
}

Deno.bench({
  group: "wordcount 8 MB",
  name: "naive decode + split(/\\s+/) + Map",
  baseline: true,
  fn: () => {
    const counts = new Map<string, number>();
    for (const word of new TextDecoder().decode(bytes).split(/\s+/)) {
      if (word !== "") counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  },
});

Deno.bench({
  group: "wordcount 8 MB",
  name: "wordFrequency, 1 thread (workers: 0)",
  fn: async () => {
    await wordFrequency(bytes, { workers: 0 });
  },
});

Deno.bench({
  group: "wordcount 8 MB",
  name: "wordFrequency, 2 workers, 1 MiB chunks",
  fn: async () => {
    await wordFrequency(bytes, { workers: 2, chunkBytes: 1 << 20 });
  },
});
