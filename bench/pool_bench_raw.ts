// Raw baselines shared by bench/pool_bench.ts and bench/pool_compare.ts: plain
// Web Workers driven by postMessage, with no pool in between.

const RAW = new URL("./pool_raw_worker.ts", import.meta.url);

/** Starts `n` raw workers and waits for one round trip each (so they are loaded). */
export function startRaw(n: number): Promise<Worker[]> {
  const workers = Array.from({ length: n }, () => new Worker(RAW, { type: "module" }));
  return Promise.all(workers.map((w) =>
    new Promise<Worker>((resolve) => {
      w.onmessage = () => resolve(w);
      w.postMessage(0);
    })
  ));
}

/** Sends `total` messages round-robin, pipelined, and resolves when all replies arrived. */
export function rawPipelined(
  workers: Worker[],
  total: number,
  message: (i: number) => unknown,
): Promise<void> {
  return new Promise((resolve) => {
    let received = 0;
    for (const w of workers) {
      w.onmessage = () => {
        if (++received === total) resolve();
      };
    }
    for (let i = 0; i < total; i++) workers[i % workers.length].postMessage(message(i));
  });
}

/** The chunk `c` of 100 consecutive numbers (the raw batched `map` baseline). */
export function rawChunk(c: number): number[] {
  const chunk = new Array(100);
  for (let k = 0; k < 100; k++) chunk[k] = c * 100 + k;
  return chunk;
}

/** 0, 1, …, n - 1, lazily. */
export function* numbers(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}
