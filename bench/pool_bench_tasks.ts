// Task module for bench/pool_bench.ts.

/** A tiny task. */
export function inc(x: number): number {
  return x + 1;
}

/** A CPU-bound task: a tight loop of `n` steps. */
export function count(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i) | 0;
  return s;
}
