// Helpers for the pool tests.

export { seededRandom, withTempDir } from "../_util.ts";

/** Awaits `promise`, failing the test if it takes longer than `ms` (a generous bound). */
export async function within<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `check()` is true, polling; fails after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An async source of `1, 2` that waits after `1` until `open()` is called. */
export function gatedInputs(): { inputs: AsyncGenerator<number>; open(): void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => open = resolve);
  async function* inputs(): AsyncGenerator<number> {
    yield 1;
    await gate;
    yield 2;
  }
  return { inputs: inputs(), open: () => open() };
}

/** How many lines the `markAnd` task appended to `path` (one per run); 0 if none. */
export function runs(path: string): number {
  try {
    return Deno.readTextFileSync(path).split("\n").length - 1;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}
