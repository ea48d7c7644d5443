// Copyright 2026 the Tandem authors. MIT license.
// The HDR log is checked with an independent decoder: hdr-histogram-js, a port of
// HdrHistogram (used here only; Tandem writes the format itself).

import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "@std/assert";
import { decodeFromCompressedBase64, HistogramLogReader, type JsHistogram } from "hdr-histogram-js";
import {
  encodeHistogram,
  formatHdrLog,
  hdrLogHeader,
  hdrLogLine,
  HdrLogWriter,
} from "../../servers/_hdr_log.ts";
import { bucketIndex, bucketLow, bucketWidth, Histogram } from "../../servers/_histogram.ts";

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

function skewed(n: number, seed: number): Histogram {
  const next = random(seed);
  const h = new Histogram();
  // Log-uniform from 1 µs to ~30 s: every bucket range gets values.
  for (let i = 0; i < n; i++) h.record(Math.floor(Math.exp(next() * Math.log(30_000_000))));
  return h;
}

Deno.test("encodeHistogram() writes counts an independent decoder reads bucket for bucket", async () => {
  const h = skewed(20_000, 7);
  h.record(0);
  h.record(2 ** 31 - 1);
  const text = await encodeHistogram(h.data());
  assertMatch(text, /^HISTFAAA/);
  // Without WebAssembly the decoder returns a JsHistogram, which can look up buckets.
  const decoded = decodeFromCompressedBase64(text) as unknown as JsHistogram;
  assertEquals(decoded.totalCount, h.total);
  assertEquals(decoded.numberOfSignificantValueDigits, 2);
  for (let i = 0; i < h.counts.length; i++) {
    if (h.counts[i] === 0) continue;
    const low = bucketLow(i);
    // The decoder puts the bucket at the same value range as Tandem.
    assertEquals(decoded.lowestEquivalentValue(low), low, `bucket ${i}`);
    assertEquals(decoded.sizeOfEquivalentValueRange(low), bucketWidth(i), `bucket ${i}`);
    assertEquals(decoded.countsArrayIndex(low), i, `bucket ${i}`);
    assertEquals(decoded.getCountAtIndex(i), h.counts[i], `bucket ${i}`);
  }
  for (const p of [50, 90, 99, 99.9]) {
    const value = decoded.getValueAtPercentile(p);
    assertEquals(bucketIndex(value), bucketIndex(h.percentile(p)), `p${p}`);
  }
});

Deno.test("encodeHistogram() handles an empty histogram and counts above 2^31", async () => {
  const empty = decodeFromCompressedBase64(await encodeHistogram(new Histogram().data()));
  assertEquals(empty.totalCount, 0);
  const big = new Histogram();
  big.record(1000);
  big.counts[bucketIndex(1000)] = 3 * 2 ** 32;
  big.total = 3 * 2 ** 32;
  const decoded = decodeFromCompressedBase64(await encodeHistogram(big.data()), 64);
  assertEquals(decoded.totalCount, 3 * 2 ** 32);
  await assertRejects(
    () =>
      encodeHistogram({ counts: new Float64Array(10), total: 0, sum: 0, min: Infinity, max: 0 }),
    RangeError,
    "'counts' must have 3200 buckets: received 10",
  );
});

Deno.test("formatHdrLog() writes a log whose every interval line decodes and whose counts sum to the responses", async () => {
  const start = Date.UTC(2026, 11, 5, 6, 0, 0);
  const seconds = [skewed(900, 1), skewed(1100, 2), new Histogram(), skewed(5, 3)];
  const responses = seconds.reduce((sum, h) => sum + h.total, 0);
  const log = await formatHdrLog(
    start,
    seconds.map((h, i) => ({ startMs: i * 1000, histogram: h.data() })),
  );
  const lines = log.trimEnd().split("\n");
  assertEquals(lines.slice(0, 5), [
    "#Tandem stress: values in microseconds, Interval_Max in milliseconds",
    "#[Histogram log format version 1.3]",
    "#[StartTime: 1796450400.000 (seconds since epoch), 2026-12-05T06:00:00.000Z]",
    "#[BaseTime: 1796450400.000 (seconds since epoch)]",
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
  ]);
  const intervals = lines.slice(5);
  assertEquals(intervals.length, 4);
  let sum = 0;
  intervals.forEach((line, i) => {
    const [startS, lengthS, maxMs, histogram] = line.split(",");
    assertEquals([startS, lengthS], [`${i}.000`, "1.000"]);
    assertEquals(Number(maxMs), seconds[i].total ? seconds[i].max / 1000 : 0);
    const decoded = decodeFromCompressedBase64(histogram);
    assertEquals(decoded.totalCount, seconds[i].total);
    sum += decoded.totalCount;
  });
  assertEquals(sum, responses);

  // HdrHistogram's log reader reads the same log, with absolute interval times.
  const reader = new HistogramLogReader(log);
  let read = 0;
  let intervalsRead = 0;
  for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
    assertEquals(h.startTimeStampMsec, start + intervalsRead * 1000);
    read += h.totalCount;
    intervalsRead++;
  }
  assertEquals([intervalsRead, read], [4, responses]);
});

Deno.test("hdrLogLine() writes a fractional interval; hdrLogHeader() checks its start", async () => {
  const line = await hdrLogLine({ startMs: 2500, lengthMs: 250, histogram: skewed(10, 4).data() });
  assert(line.startsWith("2.500,0.250,"));
  assert(line.endsWith("\n"));
  assertEquals(hdrLogHeader(0, { comment: "a\nb" }).split("\n").slice(0, 2), ["#a", "#b"]);
  assertThrows(
    () => hdrLogHeader(NaN),
    TypeError,
    "'startEpochMs' must be a finite number: received NaN",
  );
});

Deno.test("HdrLogWriter writes the header and then lines in order as they are queued", async () => {
  const chunks: string[] = [];
  const writer = new HdrLogWriter((text) => {
    chunks.push(text);
  }, 0);
  // A large second then a small one: should the small one compress sooner, it still comes second.
  const big = skewed(50_000, 5);
  const small = skewed(3, 6);
  const first = writer.write({ startMs: 0, histogram: big.data() });
  writer.write({ startMs: 1000, histogram: small.data() });
  await first;
  await writer.flush();
  assertEquals(chunks.length, 3);
  assert(chunks[0].startsWith("#Tandem stress"));
  assertEquals(decodeFromCompressedBase64(chunks[1].trimEnd().split(",")[3]).totalCount, 50_000);
  assert(chunks[2].startsWith("1.000,"));

  const failing = new HdrLogWriter((text) => {
    if (!text.startsWith("#")) throw new Error("disk full");
  }, 0);
  await assertRejects(
    () => failing.write({ startMs: 0, histogram: small.data() }),
    Error,
    "disk full",
  );
  await assertRejects(() => failing.flush(), Error, "disk full");
});
