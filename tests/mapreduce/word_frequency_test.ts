import { assert, assertEquals, assertRejects } from "@std/assert";
import { wordFrequency } from "../../mapreduce/word_frequency.ts";
import { poolCounters } from "../../mapreduce/_pool_counters.ts";
import { corpus, referenceCount, sorted } from "./_reference.ts";

/** Every worker that wordFrequency started so far was terminated. */
function assertWorkersTerminated(): void {
  assertEquals(poolCounters.alive, 0);
  assertEquals(poolCounters.started, poolCounters.terminated);
}

// The seed's sample: its four sentences, counted by its `map_frequency` per chunk and merged.
const SEED_SENTENCES = [
  "the quick brown fox jumps over the lazy dog",
  "the dog barks at the fox",
  "a quick brown dog",
  "the lazy fox sleeps",
];
// Python: collections.Counter(w for s in SEED_SENTENCES for w in s.split())
const SEED_COUNTER: Record<string, number> = {
  the: 5,
  quick: 2,
  brown: 2,
  fox: 3,
  jumps: 1,
  over: 1,
  lazy: 2,
  dog: 3,
  barks: 1,
  at: 1,
  a: 1,
  sleeps: 1,
};

Deno.test("wordFrequency() gives the seed's merged dictionary for its four sentences", async () => {
  for (const options of [{ workers: 0 }, { workers: 2, chunkBytes: 1 }, { workers: 2 }]) {
    const counts = await wordFrequency(SEED_SENTENCES, options);
    assertEquals(Object.fromEntries(sorted(counts)), SEED_COUNTER);
  }
  const pools = poolCounters.pools;
  assert(pools >= 1, "chunkBytes 1 ran on a pool");
  assertWorkersTerminated();
});

Deno.test("wordFrequency() equals a single-thread count at every chunk size", async (t) => {
  const big = corpus(3_000_000);
  const small = big.subarray(0, big.indexOf(10, 20_000) + 1); // whole lines, about 20 kB
  const expectedBig = sorted(referenceCount(big));
  const expectedSmall = sorted(referenceCount(small));
  // The corpus has multi-byte words and separators, so cuts straddle UTF-8 sequences.
  assert(expectedBig.some(([w]) => /[^\p{ASCII}]/u.test(w)));
  for (const chunkBytes of [1, 7, 64, 4096, 65_536, 1 << 20]) {
    await t.step(`chunkBytes ${chunkBytes}`, async () => {
      const input = chunkBytes < 4096 ? small : big;
      const expected = chunkBytes < 4096 ? expectedSmall : expectedBig;
      const counts = await wordFrequency(input, { workers: 2, chunkBytes });
      assertEquals(sorted(counts), expected);
    });
  }
  await t.step("single thread, 1-byte stream pieces", async () => {
    const stream = ReadableStream.from((function* () {
      for (let i = 0; i < small.length; i++) yield small.slice(i, i + 1);
    })());
    assertEquals(sorted(await wordFrequency(stream, { workers: 0, chunkBytes: 5 })), expectedSmall);
  });
  assertWorkersTerminated();
});

Deno.test("wordFrequency() counts a file on workers", async () => {
  const path = await Deno.makeTempFile({ prefix: "mapreduce_" });
  try {
    const bytes = corpus(1_000_000, 3);
    await Deno.writeFile(path, bytes);
    const counts = await wordFrequency({ path }, { workers: 2, chunkBytes: 100_000 });
    assertEquals(sorted(counts), sorted(referenceCount(bytes)));
    const viaUrl = await wordFrequency(new URL(`file://${path}`), { workers: 0 });
    assertEquals(sorted(viaUrl), sorted(counts));
  } finally {
    await Deno.remove(path);
  }
  assertWorkersTerminated();
});

Deno.test("wordFrequency() reports a file's progress on workers up to its whole size", async () => {
  const path = await Deno.makeTempFile({ prefix: "mapreduce_progress_" });
  try {
    const bytes = corpus(1_000_000, 5);
    await Deno.writeFile(path, bytes);
    const seen: { bytes: number; words: number }[] = [];
    const counts = await wordFrequency({ path }, {
      workers: 2,
      chunkBytes: 50_000,
      onProgress: (p) => seen.push({ ...p }),
    });
    let words = 0;
    for (const n of counts.values()) words += n;
    assert(seen.length >= 2, `progress was reported ${seen.length} times`);
    for (let i = 1; i < seen.length; i++) {
      assert(seen[i].bytes >= seen[i - 1].bytes, "bytes never go back");
      assert(seen[i].words >= seen[i - 1].words, "words never go back");
    }
    assertEquals(seen.at(-1), { bytes: bytes.length, words });
  } finally {
    await Deno.remove(path);
  }
  assertWorkersTerminated();
});

Deno.test("wordFrequency() replaces invalid UTF-8 like Python's errors='replace'", async () => {
  // Python: b"a\xffb \xe2\x80x \xf0\x9f\x98 ok\xc2\xa0\xef\xbb\xbfbom".decode("utf-8", "replace").split()
  const bytes = new Uint8Array([
    0x61,
    0xff,
    0x62,
    0x20,
    0xe2,
    0x80,
    0x78,
    0x20,
    0xf0,
    0x9f,
    0x98,
    0x20,
    0x6f,
    0x6b,
    0xc2,
    0xa0,
    0xef,
    0xbb,
    0xbf,
    0x62,
    0x6f,
    0x6d,
  ]);
  const counts = await wordFrequency(bytes, { workers: 0 });
  assertEquals([...counts.keys()], ["a\ufffdb", "\ufffdx", "\ufffd", "ok", "\ufeffbom"]);
});

Deno.test("wordFrequency() lower-cases and applies a word pattern", async () => {
  const text = "The cat, the CAT; the dog's bowl 42";
  assertEquals(Object.fromEntries(await wordFrequency(text, { lowerCase: true })), {
    "the": 3,
    "cat,": 1,
    "cat;": 1,
    "dog's": 1,
    "bowl": 1,
    "42": 1,
  });
  const letters = await wordFrequency(text, { lowerCase: true, pattern: /\p{L}+/u });
  assertEquals(Object.fromEntries(letters), { the: 3, cat: 2, dog: 1, s: 1, bowl: 1 });
});

Deno.test("wordFrequency() counts empty and whitespace-only input as no words", async () => {
  assertEquals((await wordFrequency("", { workers: 2 })).size, 0);
  assertEquals((await wordFrequency(" \n\u3000\t ", { workers: 2, chunkBytes: 1 })).size, 0);
  assertWorkersTerminated();
});

Deno.test("wordFrequency() rejects bad options and sources", async () => {
  await assertRejects(() => wordFrequency("a", { workers: -1 }), RangeError, "received -1");
  await assertRejects(() => wordFrequency("a", { chunkBytes: 0 }), RangeError, "received 0");
  await assertRejects(() => wordFrequency({ path: "/nonexistent/file.txt" }), Deno.errors.NotFound);
  await assertRejects(
    () => wordFrequency("a", { pattern: "a" as unknown as RegExp }),
    TypeError,
    "'pattern' must be a RegExp: received 'a'",
  );
  await assertRejects(
    () => wordFrequency(new URL("http://localhost/words.txt")),
    TypeError,
    "must be a string or a file: URL: received 'http://localhost/words.txt'",
  );
  await assertRejects(
    () => wordFrequency({ path: 5 as unknown as string }),
    TypeError,
    "must be a string or a file: URL: received number '5'",
  );
  await assertRejects(
    () => wordFrequency(42 as unknown as string),
    TypeError,
    "not a string, bytes, file or stream",
  );
});

Deno.test("wordFrequency() rejects with the abort reason and terminates its workers", async () => {
  const controller = new AbortController();
  const reason = new DOMException("enough", "AbortError");
  let seen = 0;
  const error = await assertRejects(
    () =>
      wordFrequency(corpus(500_000), {
        workers: 2,
        chunkBytes: 4096,
        signal: controller.signal,
        onProgress: () => {
          if (++seen === 3) controller.abort(reason);
        },
      }),
  );
  assertEquals(error, reason);
  assertWorkersTerminated();
  await assertRejects(() => wordFrequency("a b", { signal: AbortSignal.abort(reason) }));
  // A file: the workers read their own ranges; on one thread, the reads stop.
  const path = await Deno.makeTempFile({ prefix: "mapreduce_abort_" });
  try {
    await Deno.writeFile(path, corpus(3_000_000));
    for (const workers of [2, 0]) {
      const fileController = new AbortController();
      let progress = 0;
      const fileError = await assertRejects(() =>
        wordFrequency({ path }, {
          workers,
          chunkBytes: workers === 0 ? undefined : 65_536,
          signal: fileController.signal,
          onProgress: () => {
            if (++progress === 2) fileController.abort(reason);
          },
        })
      );
      assertEquals(fileError, reason, `${workers} workers`);
      assertEquals(progress, 2, `no progress after the abort (${workers} workers)`);
    }
    assertWorkersTerminated();
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("wordFrequency() rejects on abort while its stream is stalled, and cancels it", async (t) => {
  for (const workers of [0, 2]) {
    await t.step(`${workers} workers`, async () => {
      const controller = new AbortController();
      const reason = new DOMException("stalled", "AbortError");
      let cancelled = false;
      const piece = new TextEncoder().encode("a b c ".repeat(1000));
      // Two pieces, then no more data and no end: a pipe whose writer went quiet.
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(piece);
          c.enqueue(piece.slice());
        },
        cancel() {
          cancelled = true;
        },
      });
      const error = await assertRejects(() =>
        wordFrequency(stream, {
          workers,
          chunkBytes: 1000,
          signal: controller.signal,
          onProgress: () => controller.abort(reason),
        })
      );
      assertEquals(error, reason);
      assert(cancelled, "the stream was cancelled");
      assertWorkersTerminated();
    });
  }
});

Deno.test("wordFrequency() refuses a string that looks like a file path, and counts [string]", async () => {
  for (const path of ["/path/to/file.txt", "corpus.txt", "./data", "C:\\corpus\\a.md"]) {
    const error = await assertRejects(() => wordFrequency(path), TypeError, "not a path");
    assert(error.message.includes(`received '${path}'`), error.message);
    assertEquals(Object.fromEntries(await wordFrequency([path])), { [path]: 1 });
  }
  // Text, even of one word, is counted as it is.
  for (const text of ["hello", "3.14", "to be/not to be", "a.txt b.txt", "U.S.A.", ""]) {
    assertEquals(sorted(await wordFrequency(text)), sorted(referenceCount(text)));
  }
});

Deno.test("wordFrequency() reads a FIFO once, as a stream, on workers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mapreduce_fifo_" });
  try {
    const fifo = `${dir}/input`;
    assert((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    const bytes = corpus(300_000, 9);
    const writing = (async () => {
      using file = await Deno.open(fifo, { write: true });
      for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    })();
    const counts = await wordFrequency({ path: fifo }, { workers: 2, chunkBytes: 64 << 10 });
    await writing;
    assertEquals(sorted(counts), sorted(referenceCount(bytes)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertWorkersTerminated();
});
