/**
 * Private: the wordcount CLI's progress line, drawn on a terminal for big files.
 *
 * @module
 */

import type { WordFrequencyProgress } from "./word_frequency.ts";

/** Where the progress line goes (`Deno.stderr`, or a fake in tests). */
export interface ProgressOutput {
  isTerminal(): boolean;
  writeSync(bytes: Uint8Array): number;
}

/** Files at least this big get a progress line on a terminal. */
export const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;
/** Redraw at most this often (milliseconds). */
const REDRAW_MS = 200;

/** Human-readable size: `512 B`, `12.3 kB`, `45.6 MB`, `1.23 GB`. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/**
 * A progress line for counting a file of `size` bytes (`undefined` for stdin): only
 * when `out` is a terminal and the file is at least `minBytes`. `onProgress` is then
 * `wordFrequency`'s callback (it draws at once, then at most every 200 ms), and
 * `clear()` erases the line; otherwise `onProgress` is undefined and `clear()` does
 * nothing.
 */
export function progressLine(
  size: number | undefined,
  out: ProgressOutput,
  minBytes: number = PROGRESS_MIN_BYTES,
  now: () => number = () => performance.now(),
): { onProgress?: (progress: WordFrequencyProgress) => void; clear(): void } {
  if (size === undefined || size < minBytes || !out.isTerminal()) return { clear() {} };
  const encoder = new TextEncoder();
  const started = now();
  let lastDraw = -Infinity;
  return {
    onProgress: (p) => {
      const at = now();
      if (at - lastDraw < REDRAW_MS && p.bytes < size) return;
      lastDraw = at;
      const seconds = Math.max(at - started, 1) / 1000;
      const percent = Math.min(100, Math.floor((100 * p.bytes) / Math.max(size, 1)));
      const line = `\r${percent}%  ${formatBytes(p.bytes)} of ${formatBytes(size)}  ${
        (p.bytes / 1e6 / seconds).toFixed(0)
      } MB/s  ${p.words.toLocaleString("en-US")} words\x1b[K`;
      out.writeSync(encoder.encode(line));
    },
    clear: () => {
      out.writeSync(encoder.encode("\r\x1b[K"));
    },
  };
}
