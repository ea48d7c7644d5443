/**
 * Private: picking request templates by weight, reproducibly. A run with `--seed N` picks
 * the same sequence of templates in each worker every time.
 *
 * - {@linkcode Sfc32}: Chris Doty-Humphrey's "small fast counting" generator (sfc32, from
 *   PractRand), 128 bits of state, a few adds, shifts and xors per 32-bit number; it passes
 *   PractRand and BigCrush, and its counter guarantees a period of at least 2³².
 *   `Math.random()` cannot be given a starting point, and a hash per pick costs more.
 * - {@linkcode AliasTable}: Vose's alias method: after O(n) set-up, each pick is one
 *   index, one comparison and at most one lookup — O(1) however many templates (a
 *   cumulative search would cost log₂ 100 ≈ 7 comparisons for 100 endpoints).
 *
 * Worker i of a run uses `new Sfc32(seed, i)`: one stream per worker, each reproducible.
 *
 * @module
 */

import { integerError } from "../sync/_checks.ts";

/**
 * A source of uniformly distributed unsigned 32-bit integers.
 *
 * @example A fixed source, to test a table
 * ```ts
 * import { AliasTable, type Uint32Source } from "./_weighted_pick.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const zeros: Uint32Source = { nextUint32: () => 0 };
 * assertEquals(new AliasTable([1, 1]).pick(zeros), 0);
 * ```
 */
export interface Uint32Source {
  /** The next integer, from 0 to 2³² − 1. */
  nextUint32(): number;
}

const TWO_32 = 4_294_967_296;
/** Rounds discarded after seeding: 12 or more let sfc32's state mix (PractRand's advice). */
const WARM_UP = 15;

/**
 * The sfc32 generator: a 32-bit "small fast counting" generator, seeded by an integer
 * and a stream number.
 *
 * @example The same seed gives the same numbers
 * ```ts
 * import { Sfc32 } from "./_weighted_pick.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const a = new Sfc32(42);
 * const b = new Sfc32(42);
 * assertEquals([a.nextUint32(), a.nextUint32()], [b.nextUint32(), b.nextUint32()]);
 * assertNotEquals(new Sfc32(42, 1).nextUint32(), new Sfc32(42, 0).nextUint32());
 * ```
 */
export class Sfc32 implements Uint32Source {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /**
   * Creates a generator.
   *
   * @param seed Any integer from 0 to `Number.MAX_SAFE_INTEGER`.
   * @param stream A stream number (e.g. the worker's index): same seed, other numbers.
   * @throws {RangeError} When `seed` or `stream` is not a non-negative safe integer.
   */
  constructor(seed: number, stream = 0) {
    const error = integerError(seed, "seed", "Cannot create the generator", { min: 0 }) ??
      integerError(stream, "stream", "Cannot create the generator", { min: 0, max: TWO_32 - 1 });
    if (error) throw error;
    this.#a = stream | 0;
    this.#b = seed | 0;
    this.#c = Math.floor(seed / TWO_32) | 0;
    this.#d = 1;
    for (let i = 0; i < WARM_UP; i++) this.nextUint32();
  }

  /**
   * The next number.
   *
   * @returns An integer from 0 to 2³² − 1.
   */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (((this.#c << 21) | (this.#c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /**
   * The next number as a fraction, like `Math.random()`.
   *
   * @returns A number from 0 up to (not including) 1, a multiple of 2⁻³².
   */
  next(): number {
    return this.nextUint32() / TWO_32;
  }
}

/**
 * Vose's alias method: picks index i with probability `weights[i] / sum(weights)` in
 * constant time.
 *
 * @example Three templates weighted 3:1:1
 * ```ts
 * import { AliasTable, Sfc32 } from "./_weighted_pick.ts";
 * import { assert } from "@std/assert";
 *
 * const table = new AliasTable([3, 1, 1]);
 * const random = new Sfc32(7);
 * const counts = [0, 0, 0];
 * for (let i = 0; i < 10_000; i++) counts[table.pick(random)]++;
 * assert(counts[0] > 5_500 && counts[0] < 6_500);
 * ```
 */
export class AliasTable {
  /** How many indices there are to pick from. */
  readonly size: number;
  /** Per slot: keep the slot when the second draw is below this (a fraction of 2³²). */
  #keep: Float64Array;
  /** Per slot: the index picked otherwise. */
  #alias: Uint32Array;

  /**
   * Builds the table.
   *
   * @param weights Positive finite weights, one per index.
   * @throws {TypeError} When `weights` is not a non-empty array.
   * @throws {RangeError} When a weight is not a positive finite number, or they sum to
   * more than the largest number.
   */
  constructor(weights: readonly number[]) {
    checkWeights(weights);
    const n = weights.length;
    this.size = n;
    this.#keep = new Float64Array(n);
    this.#alias = new Uint32Array(n);
    const sum = weights.reduce((a, b) => a + b, 0);
    const scaled = weights.map((w) => w * n / sum);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const less = small.pop()!;
      const more = large.pop()!;
      this.#keep[less] = scaled[less] * TWO_32;
      this.#alias[less] = more;
      scaled[more] = scaled[more] + scaled[less] - 1;
      (scaled[more] < 1 ? small : large).push(more);
    }
    // What is left is 1 up to rounding: always kept.
    for (const i of [...small, ...large]) {
      this.#keep[i] = TWO_32;
      this.#alias[i] = i;
    }
  }

  /**
   * Picks an index.
   *
   * @param random The generator (two numbers per pick).
   * @returns An index from 0 to `size - 1`.
   */
  pick(random: Uint32Source): number {
    // floor(u·n / 2³²): exact in doubles for n below 2²¹; the bias is below n/2³².
    const slot = Math.floor(random.nextUint32() * this.size / TWO_32);
    return random.nextUint32() < this.#keep[slot] ? slot : this.#alias[slot];
  }

  /**
   * The probability of an index, as the table holds it (for tests and reports).
   *
   * @param index The index.
   * @returns A number from 0 to 1.
   */
  probability(index: number): number {
    let p = this.#keep[index] / TWO_32 / this.size;
    for (let slot = 0; slot < this.size; slot++) {
      if (this.#alias[slot] === index && slot !== index) {
        p += (1 - this.#keep[slot] / TWO_32) / this.size;
      }
    }
    return p;
  }
}

function checkWeights(weights: readonly number[]): void {
  const action = "Cannot pick by weight";
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new TypeError(
      `${action} as 'weights' must be a non-empty array of numbers: received ${
        Array.isArray(weights) ? "an empty array" : typeof weights
      }`,
    );
  }
  weights.forEach((w, i) => {
    if (typeof w !== "number" || !(w > 0 && w < Infinity)) {
      const message = `${action} as 'weights[${i}]' must be a positive finite number: received ${
        typeof w === "string" ? `'${w}'` : String(w)
      }`;
      throw typeof w === "number" ? new RangeError(message) : new TypeError(message);
    }
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum < Infinity)) {
    throw new RangeError(`${action} as the weights must sum to a finite number: received ${sum}`);
  }
}

/**
 * Picks indices by weight from a seeded generator: an {@linkcode AliasTable} and an
 * {@linkcode Sfc32} in one.
 *
 * @example The same seed picks the same templates
 * ```ts
 * import { WeightedPicker } from "./_weighted_pick.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const picks = (seed: number) => {
 *   const picker = new WeightedPicker([3, 1], { seed });
 *   return Array.from({ length: 8 }, () => picker.pick());
 * };
 * assertEquals(picks(1), picks(1));
 * ```
 */
export class WeightedPicker {
  /** The table picked from. */
  readonly table: AliasTable;
  #random: Sfc32;
  #single: boolean;

  /**
   * Creates a picker.
   *
   * @param weights Positive finite weights, one per index.
   * @param options The seed and the stream (the worker's index).
   * @throws {TypeError} When `weights` is not a non-empty array.
   * @throws {RangeError} When a weight, the seed or the stream is out of range.
   */
  constructor(weights: readonly number[], options: { seed: number; stream?: number }) {
    this.table = new AliasTable(weights);
    this.#random = new Sfc32(options.seed, options.stream ?? 0);
    this.#single = weights.length === 1;
  }

  /**
   * Picks an index.
   *
   * @returns An index into the weights.
   */
  pick(): number {
    return this.#single ? 0 : this.table.pick(this.#random);
  }
}

/**
 * A seed for a run without `--seed`, to be shown in the report so that the run can be
 * repeated.
 *
 * @returns A random integer from 0 to 2³² − 1.
 * @example
 * ```ts
 * import { randomSeed } from "./_weighted_pick.ts";
 * import { assert } from "@std/assert";
 *
 * const seed = randomSeed();
 * assert(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32);
 * ```
 */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/**
 * Checks the `seed` option of a run.
 *
 * @param seed The option's value.
 * @returns The seed, or a random one when `undefined`.
 * @throws {RangeError} When it is a number that is not a non-negative safe integer.
 * @throws {TypeError} When it is not a number.
 * @example
 * ```ts
 * import { checkSeed } from "./_weighted_pick.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(checkSeed(42), 42);
 * assertThrows(() => checkSeed(-1), RangeError, "'seed' must be a non-negative integer");
 * ```
 */
export function checkSeed(seed: unknown): number {
  if (seed === undefined) return randomSeed();
  const error = integerError(seed, "seed", "Cannot run stress", { min: 0 });
  if (error) throw error;
  return seed as number;
}
