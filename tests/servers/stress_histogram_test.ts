import { assert, assertEquals } from "@std/assert";
import {
  bucketIndex,
  bucketLow,
  bucketWidth,
  Histogram,
  HISTOGRAM_BUCKETS,
  HISTOGRAM_MAX_MICROS,
} from "../../servers/_histogram.ts";

Deno.test("bucketIndex() maps every value into its bucket with less than 0.4% error", () => {
  let previous = 0;
  for (let v = 0; v <= HISTOGRAM_MAX_MICROS; v = v < 4096 ? v + 1 : Math.floor(v * 1.003) + 1) {
    const i = bucketIndex(v);
    assert(i >= previous && i < HISTOGRAM_BUCKETS, `value ${v}`);
    previous = i;
    const low = bucketLow(i);
    const width = bucketWidth(i);
    assert(low <= v && v < low + width, `value ${v} outside bucket ${i}`);
    const middle = low + (width - 1) / 2;
    assert(v === 0 || Math.abs(middle - v) / v < 0.004, `value ${v}`);
  }
  assertEquals(bucketIndex(HISTOGRAM_MAX_MICROS * 4), HISTOGRAM_BUCKETS - 1);
});

Deno.test("Histogram.percentile() is exact below 256 µs and within 1% above", () => {
  const h = new Histogram();
  for (let v = 1; v <= 100; v++) h.record(v);
  assertEquals([h.percentile(50), h.percentile(99), h.percentile(100)], [50, 99, 100]);
  assertEquals([h.min, h.max, h.mean()], [1, 100, 50.5]);
  const big = new Histogram();
  for (let v = 1; v <= 10_000; v++) big.record(v * 100);
  for (const p of [50, 90, 99, 99.9]) {
    const exact = p * 10_000;
    assert(Math.abs(big.percentile(p) - exact) / exact < 0.01, `p${p}`);
  }
});

Deno.test("Histogram.merge() equals recording everything in one histogram", () => {
  const a = new Histogram();
  const b = new Histogram();
  const all = new Histogram();
  for (let i = 0; i < 5000; i++) {
    const v = (i * 7919) % 100_000;
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b.data());
  assertEquals(a.data(), all.data());
  assertEquals(new Histogram().percentile(99), 0);
});
