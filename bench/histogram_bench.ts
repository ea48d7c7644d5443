// Copyright 2026 the Tandem authors. MIT license.
/**
 * Should Tandem's latency histogram (servers/_histogram.ts) become hdr-histogram-js?
 * Times the three things the stress engine does with one:
 *
 * - record: every response records its latency (10,000 values per iteration, the
 *   log-uniform 50 µs – 2 s spread of a loaded target);
 * - merge: the coordinator adds each worker's histogram, every second and at the end;
 * - encode: `--hdr-log` writes each second's histogram in the compressed base64 form.
 *
 * hdr-histogram-js is set to Tandem's layout (2 significant digits, 1 µs to 2³¹−1 µs)
 * and also run at its default 3 digits; its WebAssembly build is timed too.
 *
 * ```sh
 * deno task bench:histogram
 * ```
 *
 * @module
 */

import { build, encodeIntoCompressedBase64, initWebAssembly } from "hdr-histogram-js";
import type { Histogram as HdrHistogram } from "hdr-histogram-js";
import { Histogram } from "../servers/_histogram.ts";
import { encodeHistogram } from "../servers/_hdr_log.ts";

await initWebAssembly();

const VALUES = 10_000;
const values = new Float64Array(VALUES);
{
  let seed = 42;
  for (let i = 0; i < VALUES; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    values[i] = Math.round(50 * Math.exp((seed / 2 ** 31) * Math.log(40_000)));
  }
}

function hdr(digits: 2 | 3, useWebAssembly = false): HdrHistogram {
  return build({
    numberOfSignificantValueDigits: digits,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2 ** 31 - 1,
    bitBucketSize: 64,
    autoResize: false,
    useWebAssembly,
  });
}

// --- record ---------------------------------------------------------------------
const tandemRecord = new Histogram();
Deno.bench({ group: "record 10k", name: "Tandem Histogram", baseline: true }, () => {
  for (let i = 0; i < VALUES; i++) tandemRecord.record(values[i]);
});
const hdrRecord2 = hdr(2);
Deno.bench({ group: "record 10k", name: "hdr-histogram-js, 2 digits" }, () => {
  for (let i = 0; i < VALUES; i++) hdrRecord2.recordValue(values[i]);
});
const hdrRecord3 = hdr(3);
Deno.bench({ group: "record 10k", name: "hdr-histogram-js, 3 digits" }, () => {
  for (let i = 0; i < VALUES; i++) hdrRecord3.recordValue(values[i]);
});
const wasmRecord = hdr(2, true);
Deno.bench({ group: "record 10k", name: "hdr-histogram-js WebAssembly, 2 digits" }, () => {
  for (let i = 0; i < VALUES; i++) wasmRecord.recordValue(values[i]);
});

// --- merge ----------------------------------------------------------------------
const tandemFrom = new Histogram();
const hdrFrom2 = hdr(2);
const hdrFrom3 = hdr(3);
const wasmFrom = hdr(2, true);
for (const v of values) {
  tandemFrom.record(v);
  hdrFrom2.recordValue(v);
  hdrFrom3.recordValue(v);
  wasmFrom.recordValue(v);
}
const tandemInto = new Histogram();
Deno.bench({ group: "merge", name: "Tandem Histogram", baseline: true }, () => {
  tandemInto.merge(tandemFrom.data());
});
const hdrInto2 = hdr(2);
Deno.bench({ group: "merge", name: "hdr-histogram-js, 2 digits" }, () => {
  hdrInto2.add(hdrFrom2);
});
const hdrInto3 = hdr(3);
Deno.bench({ group: "merge", name: "hdr-histogram-js, 3 digits" }, () => {
  hdrInto3.add(hdrFrom3);
});
const wasmInto = hdr(2, true);
Deno.bench({ group: "merge", name: "hdr-histogram-js WebAssembly, 2 digits" }, () => {
  wasmInto.add(wasmFrom);
});

// --- encode (one HDR log line) ---------------------------------------------------
Deno.bench({ group: "encode", name: "Tandem encodeHistogram", baseline: true }, async () => {
  await encodeHistogram(tandemFrom.data());
});
Deno.bench({ group: "encode", name: "hdr-histogram-js, 2 digits" }, () => {
  encodeIntoCompressedBase64(hdrFrom2);
});
