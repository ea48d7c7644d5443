/**
 * A log-linear latency histogram in the style of HdrHistogram: values are whole
 * microseconds, recorded in constant memory (3,200 buckets) with a relative error below
 * 0.4 % (each bucket above 256 µs spans at most 1/128 of its lower bound, and values are
 * reported at the bucket's middle). Histograms from several workers merge by adding
 * their counts.
 *
 * @module
 */

/** Values below this many microseconds have a bucket each. */
const LINEAR_LIMIT = 256;
/** Sub-buckets per power of two above {@linkcode LINEAR_LIMIT}. */
const SUB_BUCKETS = 128;
/** Largest value recorded exactly; larger values are clamped (about 35 minutes). */
export const HISTOGRAM_MAX_MICROS = 0x7fffffff;
/** Number of buckets of every histogram. */
export const HISTOGRAM_BUCKETS = LINEAR_LIMIT + 23 * SUB_BUCKETS;

/**
 * The bucket a value in microseconds falls into.
 *
 * @param micros A latency in microseconds.
 * @returns The bucket index.
 */
export function bucketIndex(micros: number): number {
  if (!(micros > 0)) return 0;
  if (micros < LINEAR_LIMIT) return micros | 0;
  const v = micros >= HISTOGRAM_MAX_MICROS ? HISTOGRAM_MAX_MICROS : micros | 0;
  const shift = 24 - Math.clz32(v); // v >>> shift is in [128, 255]
  return LINEAR_LIMIT + (shift - 1) * SUB_BUCKETS + ((v >>> shift) - SUB_BUCKETS);
}

/**
 * The smallest value of a bucket, in microseconds.
 *
 * @param index A bucket index.
 * @returns The bucket's inclusive lower bound.
 */
export function bucketLow(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const k = index - LINEAR_LIMIT;
  const shift = Math.floor(k / SUB_BUCKETS) + 1;
  return ((k % SUB_BUCKETS) + SUB_BUCKETS) * 2 ** shift;
}

/**
 * The width of a bucket, in microseconds.
 *
 * @param index A bucket index.
 * @returns How many microsecond values share the bucket.
 */
export function bucketWidth(index: number): number {
  if (index < LINEAR_LIMIT) return 1;
  return 2 ** (Math.floor((index - LINEAR_LIMIT) / SUB_BUCKETS) + 1);
}

/** The plain-data form of a histogram, as sent between workers. */
export interface HistogramData {
  /** Count per bucket. */
  counts: Float64Array;
  /** Number of recorded values. */
  total: number;
  /** Sum of the recorded values, in microseconds. */
  sum: number;
  /** Smallest recorded value (`Infinity` when empty). */
  min: number;
  /** Largest recorded value (0 when empty). */
  max: number;
}

/** A mergeable log-linear histogram of microsecond values. */
export class Histogram {
  /** Count per bucket. */
  counts: Float64Array;
  /** Number of recorded values. */
  total = 0;
  /** Sum of the recorded values, in microseconds. */
  sum = 0;
  /** Smallest recorded value. */
  min = Infinity;
  /** Largest recorded value. */
  max = 0;

  /**
   * Creates an empty histogram, or one over the data of another.
   *
   * @param data Data to adopt (its `counts` are used, not copied).
   */
  constructor(data?: HistogramData) {
    if (data) {
      this.counts = data.counts;
      this.total = data.total;
      this.sum = data.sum;
      this.min = data.min;
      this.max = data.max;
    } else {
      this.counts = new Float64Array(HISTOGRAM_BUCKETS);
    }
  }

  /**
   * Records one value.
   *
   * @param micros A latency in microseconds (negative values count as 0).
   */
  record(micros: number): void {
    const v = micros > 0 ? Math.round(micros) : 0;
    this.counts[bucketIndex(v)]++;
    this.total++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /**
   * Adds the counts of another histogram to this one.
   *
   * @param other The histogram (or its data) to add.
   */
  merge(other: HistogramData): void {
    if (other.total === 0) return;
    const a = this.counts;
    const b = other.counts;
    for (let i = 0; i < a.length; i++) a[i] += b[i];
    this.total += other.total;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /**
   * The value at a percentile, at the middle of its bucket and within [min, max].
   *
   * @param percentile A percentile in [0, 100].
   * @returns The value in microseconds (0 when empty).
   */
  percentile(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.total));
    let seen = 0;
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) return this.bucketValue(i);
    }
    return this.max;
  }

  /**
   * The value reported for a bucket: its middle, within [min, max].
   *
   * @param index A bucket index.
   * @returns The value in microseconds.
   */
  bucketValue(index: number): number {
    const mid = bucketLow(index) + (bucketWidth(index) - 1) / 2;
    return Math.min(this.max, Math.max(this.min, mid));
  }

  /**
   * The mean of the recorded values.
   *
   * @returns The mean in microseconds (0 when empty).
   */
  mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  /**
   * The plain data of this histogram, for `postMessage`.
   *
   * @returns The data (sharing `counts`).
   */
  data(): HistogramData {
    return { counts: this.counts, total: this.total, sum: this.sum, min: this.min, max: this.max };
  }
}

/** One drawn bucket of a histogram: `[fromMs, toMs)` and its count. */
export interface DisplayBucket {
  /** Lower edge in milliseconds. */
  fromMs: number;
  /** Upper edge in milliseconds (the next bucket's `fromMs`). */
  toMs: number;
  /** Values in the bucket. */
  count: number;
}

/**
 * Log-spaced, adjacent buckets for drawing a histogram: the one shape of a local
 * report's, a distributed report's and the live page's histogram.
 *
 * @param histogram The histogram.
 * @param buckets How many buckets at most.
 * @returns The buckets, none when the histogram is empty.
 */
export function displayBuckets(
  histogram: Histogram | HistogramData,
  buckets = 20,
): DisplayBucket[] {
  const h = histogram instanceof Histogram ? histogram : new Histogram(histogram);
  if (h.total === 0) return [];
  const lo = Math.max(1, h.min);
  const hi = Math.max(lo + 1, h.max + 1);
  const edges: number[] = [];
  for (let i = 0; i <= buckets; i++) edges.push(Math.round(lo * (hi / lo) ** (i / buckets)));
  edges[0] = Math.min(h.min, lo);
  const unique = [...new Set(edges)];
  const out: DisplayBucket[] = [];
  for (let i = 0; i + 1 < unique.length; i++) {
    out.push({ fromMs: unique[i] / 1000, toMs: unique[i + 1] / 1000, count: 0 });
  }
  const counts = h.counts;
  let b = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    // The representative value of the bucket, clamped to [min, max].
    const value = h.bucketValue(i);
    while (b + 1 < out.length && value >= unique[b + 1]) b++;
    out[b].count += counts[i];
  }
  return out;
}
