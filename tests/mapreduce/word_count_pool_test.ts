import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { WordCountPool } from "../../mapreduce/word_count_pool.ts";
import { wordFrequency } from "../../mapreduce/word_frequency.ts";
import { countPools } from "../../mapreduce/_count_pools.ts";
import { poolCounters } from "../../mapreduce/_pool_counters.ts";
import { corpus, referenceCount, sorted } from "./_reference.ts";
import { withTempDir } from "../_util.ts";

Deno.test("WordCountPool counts files, bytes and strings exactly, call after call, on the same workers", async () => {
  const text = corpus(1_500_000);
  const expected = sorted(referenceCount(text));
  const other = new TextEncoder().encode("the rest is silence\n".repeat(5_000));
  const expectedOther = sorted(referenceCount(other));
  await withTempDir(async (dir) => {
    const path = `${dir}/corpus.txt`;
    await Deno.writeFile(path, text);
    const before = { ...poolCounters };
    await using pool = new WordCountPool({ workers: 2 });
    assertEquals(pool.workers, 2);
    // Calls alternate between texts: a worker's tables of one count must not leak into
    // the next (each call's results come from its own tables).
    for (let round = 0; round < 3; round++) {
      assertEquals(sorted(await wordFrequency({ path }, { pool, chunkBytes: 64 << 10 })), expected);
      assertEquals(sorted(await wordFrequency(other, { pool, chunkBytes: 4096 })), expectedOther);
      assertEquals(sorted(await wordFrequency(text, { pool, chunkBytes: 100_000 })), expected);
    }
    // Nine counts, two workers started once, no pool of its own per call.
    assertEquals(countPools.get(pool)!.stats.started, 2);
    assertEquals(poolCounters.pools, before.pools);
    await pool.close();
    assert(pool.closed);
    assertEquals(poolCounters.pools, before.pools + 1);
    assertEquals(poolCounters.alive, 0);
  });
});

Deno.test("WordCountPool: an aborted count rejects, and the pool counts on", async () => {
  const text = corpus(2_000_000);
  const expected = sorted(referenceCount(text));
  await using pool = new WordCountPool({ workers: 2 });
  const controller = new AbortController();
  const reason = new DOMException("stop", "AbortError");
  const counting = wordFrequency(text, {
    pool,
    chunkBytes: 16 << 10,
    signal: controller.signal,
    onProgress: () => controller.abort(reason),
  });
  const error = await assertRejects(() => counting);
  assertEquals(error, reason);
  assertEquals(sorted(await wordFrequency(text, { pool, chunkBytes: 64 << 10 })), expected);
});

Deno.test("WordCountPool: a file count that is aborted or whose onProgress throws rejects, and the pool counts on", async () => {
  const text = corpus(3_000_000);
  const expected = sorted(referenceCount(text));
  await withTempDir(async (dir) => {
    const path = `${dir}/corpus.txt`;
    await Deno.writeFile(path, text);
    await using pool = new WordCountPool({ workers: 2 });
    const controller = new AbortController();
    const aborted = wordFrequency({ path }, {
      pool,
      chunkBytes: 32 << 10,
      signal: controller.signal,
      onProgress: () => controller.abort(new DOMException("enough", "AbortError")),
    });
    await assertRejects(() => aborted, DOMException, "enough");
    const failed = wordFrequency({ path }, {
      pool,
      chunkBytes: 32 << 10,
      onProgress: () => {
        throw new TypeError("progress display broke");
      },
    });
    await assertRejects(() => failed, TypeError, "progress display broke");
    assertEquals(sorted(await wordFrequency({ path }, { pool, chunkBytes: 32 << 10 })), expected);
  });
});

Deno.test("wordFrequency() of a file on fresh workers rejects with the error of a throwing onProgress", async () => {
  const text = corpus(2_000_000);
  await withTempDir(async (dir) => {
    const path = `${dir}/corpus.txt`;
    await Deno.writeFile(path, text);
    await assertRejects(
      () =>
        wordFrequency({ path }, {
          workers: 2,
          chunkBytes: 64 << 10,
          onProgress: () => {
            throw new RangeError("no more progress");
          },
        }),
      RangeError,
      "no more progress",
    );
  });
  assertEquals(poolCounters.alive, 0);
});

Deno.test("WordCountPool and the pool option reject bad input with clear errors", async () => {
  assertThrows(() => new WordCountPool({ workers: 0 }), RangeError, "received 0");
  assertThrows(() => new WordCountPool({ workers: 1.5 }), RangeError, "positive integer");
  const pool = new WordCountPool({ workers: 1 });
  await assertRejects(
    () => wordFrequency("a b c", { pool, workers: 2 }),
    TypeError,
    "'workers' and 'pool' exclude each other",
  );
  await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => wordFrequency("a b c", { pool: {} as any }),
    TypeError,
    "'pool' must be a WordCountPool",
  );
  await pool.close();
  await pool.close(); // a second close is a no-op
  await assertRejects(
    () => wordFrequency("a b c", { pool }),
    TypeError,
    "WordCountPool is closed",
  );
});
