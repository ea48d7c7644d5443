/**
 * Private: HdrHistogram interval logs (`--hdr-log FILE`), the format that HdrHistogram's
 * `HistogramLogWriter` writes and its log readers, plotters and wrk2's tooling read:
 *
 * ```text
 * #Tandem stress: values in microseconds, Interval_Max in milliseconds
 * #[Histogram log format version 1.3]
 * #[StartTime: 1796450400.000 (seconds since epoch), 2026-12-05T06:00:00.000Z]
 * #[BaseTime: 1796450400.000 (seconds since epoch)]
 * "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 * 0.000,1.000,12.345,HISTFAAAADB4nJJpmSzMwMDAyQABTFCaEUTU////3/4DRGA5O1MjI9NFNiYAAAAA//8DAKCmCAs=
 * ```
 *
 * Each line holds one interval's histogram in the standard compressed encoding: a
 * 4-byte cookie and length, then zlib-deflated bytes of the V2 encoding (a 40-byte
 * header, then the bucket counts as ZigZag LEB128 varints where a negative number is a
 * run of empty buckets), all in base64. Tandem's histogram (see `_histogram.ts`) has
 * exactly the bucket layout of an HdrHistogram with 2 significant digits, lowest
 * discernible value 1 and highest trackable value 2³¹−1 (256 unit buckets, then 128
 * sub-buckets per power of two: 3,200 counts), so its counts are written as they are.
 *
 * @module
 */

import { HISTOGRAM_BUCKETS, HISTOGRAM_MAX_MICROS, type HistogramData } from "./_histogram.ts";

/** V2 encoding cookie with the LEB128 word-size bits (`0x10`) set. */
const ENCODING_COOKIE = 0x1c849303 | 0x10;
/** V2 compressed encoding cookie, likewise: base64 of it starts with `HISTF`. */
const COMPRESSED_COOKIE = 0x1c849304 | 0x10;
/** The HdrHistogram parameters that give Tandem's bucket layout. */
const SIGNIFICANT_DIGITS = 2;
const LOWEST_DISCERNIBLE = 1;
const HEADER_BYTES = 40;

/** One interval of an HDR log. */
export interface HdrInterval {
  /** Start of the interval, in ms since the start of the log. */
  startMs: number;
  /**
   * Length of the interval in ms.
   *
   * @default {1000}
   */
  lengthMs?: number;
  /** The interval's histogram, values in µs. */
  histogram: HistogramData;
}

/** Options of {@linkcode hdrLogHeader}. */
export interface HdrLogHeaderOptions {
  /**
   * A comment line for the top of the log.
   *
   * @default {"Tandem stress: values in microseconds, Interval_Max in milliseconds"}
   */
  comment?: string;
}

/** Appends `value` (a non-negative integer or a negative run length) as ZigZag LEB128. */
function putZigZag(out: number[], value: number): void {
  // Arithmetic instead of bit operators: counts may exceed 2³¹.
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** The uncompressed V2 encoding of Tandem's counts. */
function encodeUncompressed(counts: Float64Array): Uint8Array {
  let limit = counts.length;
  while (limit > 1 && counts[limit - 1] === 0) limit--;
  const payload: number[] = [];
  for (let i = 0; i < limit;) {
    const count = counts[i++];
    if (count !== 0) {
      putZigZag(payload, count);
      continue;
    }
    let zeros = 1;
    while (i < limit && counts[i] === 0) {
      zeros++;
      i++;
    }
    putZigZag(payload, zeros > 1 ? -zeros : 0);
  }
  const bytes = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, ENCODING_COOKIE);
  view.setInt32(4, payload.length);
  view.setInt32(8, 0); // normalizing index offset
  view.setInt32(12, SIGNIFICANT_DIGITS);
  view.setBigInt64(16, BigInt(LOWEST_DISCERNIBLE));
  view.setBigInt64(24, BigInt(HISTOGRAM_MAX_MICROS));
  view.setFloat64(32, 1); // integer-to-double conversion ratio
  bytes.set(payload, HEADER_BYTES);
  return bytes;
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  // "deflate" is the zlib format (RFC 1950) that HdrHistogram's Deflater writes.
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("deflate"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Encodes a histogram in HdrHistogram's compressed base64 form (`HISTFAAA…`), which
 * HdrHistogram's `decodeFromCompressedByteBuffer` and its ports decode.
 *
 * @param histogram The histogram (values in µs).
 * @returns The base64 text.
 * @throws {RangeError} When the counts do not have Tandem's 3,200-bucket layout.
 */
export async function encodeHistogram(histogram: HistogramData): Promise<string> {
  if (histogram.counts.length !== HISTOGRAM_BUCKETS) {
    throw new RangeError(
      `Cannot encode histogram as 'counts' must have ${HISTOGRAM_BUCKETS} buckets: received ${histogram.counts.length}`,
    );
  }
  const compressed = await deflate(encodeUncompressed(histogram.counts));
  const bytes = new Uint8Array(8 + compressed.length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, COMPRESSED_COOKIE);
  view.setInt32(4, compressed.length);
  bytes.set(compressed, 8);
  return base64(bytes);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * The header of an HDR log: a comment, the format version, the start and base time,
 * and the legend line; interval timestamps are seconds from the base time.
 *
 * @param startEpochMs The start of the run, in ms since the epoch.
 * @param options A comment line.
 * @returns The header lines, each ending in `\n`.
 * @throws {TypeError} When `startEpochMs` is not a finite number.
 */
export function hdrLogHeader(startEpochMs: number, options: HdrLogHeaderOptions = {}): string {
  if (typeof startEpochMs !== "number" || !Number.isFinite(startEpochMs)) {
    throw new TypeError(
      `Cannot write HDR log as 'startEpochMs' must be a finite number: received ${startEpochMs}`,
    );
  }
  const comment = options.comment ??
    "Tandem stress: values in microseconds, Interval_Max in milliseconds";
  return [
    ...comment.split(/\r?\n/).map((line) => `#${line}`),
    "#[Histogram log format version 1.3]",
    `#[StartTime: ${seconds(startEpochMs)} (seconds since epoch), ${
      new Date(startEpochMs).toISOString()
    }]`,
    `#[BaseTime: ${seconds(startEpochMs)} (seconds since epoch)]`,
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    "",
  ].join("\n");
}

/**
 * One interval line of an HDR log: start (s), length (s), max (ms), histogram.
 *
 * @param interval The interval.
 * @returns The line, ending in `\n`.
 */
export async function hdrLogLine(interval: HdrInterval): Promise<string> {
  const { startMs, lengthMs = 1000, histogram } = interval;
  const maxMs = histogram.total > 0 ? histogram.max / 1000 : 0;
  return `${seconds(startMs)},${seconds(lengthMs)},${maxMs.toFixed(3)},${await encodeHistogram(
    histogram,
  )}\n`;
}

/**
 * A whole HDR log: the header, then one line per interval.
 *
 * @param startEpochMs The start of the run, in ms since the epoch.
 * @param intervals The intervals, e.g. one per second.
 * @param options A comment line.
 * @returns The log text.
 * @throws {TypeError} When `startEpochMs` is not a finite number.
 */
export async function formatHdrLog(
  startEpochMs: number,
  intervals: Iterable<HdrInterval>,
  options: HdrLogHeaderOptions = {},
): Promise<string> {
  let text = hdrLogHeader(startEpochMs, options);
  for (const interval of intervals) text += await hdrLogLine(interval);
  return text;
}

/**
 * Writes an HDR log as a run goes: the header at once, then each interval's line in the
 * order given, though each line's compression finishes on its own schedule.
 */
export class HdrLogWriter {
  #sink: (text: string) => void | Promise<void>;
  #chain: Promise<void>;

  /**
   * Writes the header.
   *
   * @param sink Receives the text in order, e.g. an append to the log file.
   * @param startEpochMs The start of the run, in ms since the epoch.
   * @param options A comment line.
   * @throws {TypeError} When `startEpochMs` is not a finite number.
   */
  constructor(
    sink: (text: string) => void | Promise<void>,
    startEpochMs: number,
    options: HdrLogHeaderOptions = {},
  ) {
    this.#sink = sink;
    const header = hdrLogHeader(startEpochMs, options);
    this.#chain = Promise.resolve().then(() => sink(header));
  }

  /**
   * Queues one interval's line.
   *
   * @param interval The interval.
   * @returns Resolves once the line (and every earlier one) is written; rejects with
   * the sink's error, as do all later writes.
   */
  write(interval: HdrInterval): Promise<void> {
    const line = hdrLogLine(interval);
    line.catch(() => {}); // awaited in the chain below
    this.#chain = this.#chain.then(async () => this.#sink(await line));
    return this.#chain;
  }

  /**
   * Waits for every queued line.
   *
   * @returns Resolves once all are written.
   */
  flush(): Promise<void> {
    return this.#chain;
  }
}
