/**
 * `deno task wordcount FILE [--top 20] [--workers N] [--json]`: the word frequency of a
 * file, counted in parallel with {@linkcode wordFrequency}. Prints the top words with
 * their counts, then the total and distinct word counts. `FILE` may be `-` for stdin.
 *
 * Exit codes: 0 on success, 1 when the file cannot be counted (missing, a directory,
 * not UTF-8 text), 2 for bad flags, 130 when interrupted.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { wordFrequency, type WordFrequencyProgress } from "./word_frequency.ts";

const USAGE = `Usage: deno task wordcount FILE [--top 20] [--workers N] [--json] [--lower-case]

Counts how often each word occurs in FILE (\`-\` reads stdin). Words are split exactly
like Python's str.split(); counting runs on N workers (default: one per CPU core).

  --top N        how many of the most frequent words to print (default 20, 0 for none)
  --workers N    worker count; 0 counts on the main thread (default: CPU cores)
  --json         print one JSON object instead of a table
  --lower-case   fold words to lower case before counting
  -h, --help     show this help`;

/** Bytes sniffed at the start of a file to tell text from binary data. */
const SNIFF_BYTES = 64 * 1024;
/** Files at least this big get a progress line on a terminal. */
const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;

interface Flags {
  _: (string | number)[];
  top: string;
  workers?: string;
  json: boolean;
  "lower-case": boolean;
  help: boolean;
}

class UsageError extends Error {}

function positiveInt(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(
      `Cannot parse '--${name}' as it must be an integer ≥ ${min}: received '${value}'`,
    );
  }
  return n;
}

/** Throws a clear error when `path` is missing, a directory or not UTF-8 text. */
async function checkTextFile(path: string): Promise<number> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot count words as the file does not exist: '${path}'`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new Error(`Cannot count words as the file cannot be read: '${path}'`);
    }
    throw error;
  }
  if (info.isDirectory) {
    throw new Error(`Cannot count words as the path is a directory: '${path}'`);
  }
  using file = await Deno.open(path, { read: true });
  const head = new Uint8Array(SNIFF_BYTES);
  let n = 0;
  while (n < head.length) {
    const read = await file.read(head.subarray(n));
    if (read === null) break;
    n += read;
  }
  if (!looksLikeText(head.subarray(0, n))) {
    throw new Error(`Cannot count words as the file is not UTF-8 text: '${path}'`);
  }
  return info.size;
}

/** Text has no NUL byte and is valid UTF-8 (a sequence cut by the sniff's end is fine). */
function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  let end = bytes.length;
  // Drop an incomplete UTF-8 sequence at the end of the sniffed bytes.
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = bytes[end - back];
    if (b < 0x80) break;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      if (need > back) end -= back;
      break;
    }
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

async function main(args: string[]): Promise<number> {
  const flags = parseArgs(args, {
    string: ["top", "workers"],
    boolean: ["json", "lower-case", "help"],
    alias: { h: "help" },
    default: { top: "20" },
    unknown: (arg: string) => {
      if (/^-\d/.test(arg)) {
        throw new UsageError(`Cannot parse flags as a count cannot be negative: received '${arg}'`);
      }
      if (arg.startsWith("-") && arg !== "-") {
        throw new UsageError(`Cannot parse flags as the flag is unknown: '${arg}'`);
      }
      return true;
    },
  }) as Flags;
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  if (flags._.length !== 1) {
    throw new UsageError(
      `Cannot count words as exactly one FILE must be given: received ${flags._.length}`,
    );
  }
  const path = String(flags._[0]);
  const top = positiveInt("top", flags.top, 0);
  const workers = flags.workers === undefined
    ? navigator.hardwareConcurrency
    : positiveInt("workers", flags.workers, 0);

  const size = path === "-" ? undefined : await checkTextFile(path);
  const controller = new AbortController();
  const onInterrupt = () => controller.abort(new DOMException("Interrupted", "AbortError"));
  Deno.addSignalListener("SIGINT", onInterrupt);

  const showProgress = size !== undefined && size >= PROGRESS_MIN_BYTES &&
    Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const started = performance.now();
  let lastDraw = 0;
  const onProgress = showProgress
    ? (p: WordFrequencyProgress) => {
      const now = performance.now();
      if (now - lastDraw < 200) return;
      lastDraw = now;
      const rate = p.bytes / 1e6 / ((now - started) / 1000);
      const line = `\r${Math.floor((100 * p.bytes) / size!)}%  ${formatBytes(p.bytes)} of ${
        formatBytes(size!)
      }  ${rate.toFixed(0)} MB/s  ${p.words.toLocaleString("en-US")} words`;
      Deno.stderr.writeSync(encoder.encode(line + "\x1b[K"));
    }
    : undefined;

  let counts: Map<string, number>;
  try {
    counts = await wordFrequency(path === "-" ? Deno.stdin.readable : { path }, {
      workers,
      signal: controller.signal,
      lowerCase: flags["lower-case"],
      onProgress,
    });
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    if (showProgress) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
  }

  let total = 0;
  for (const n of counts.values()) total += n;
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top);
  if (flags.json) {
    console.log(JSON.stringify({
      file: path,
      totalWords: total,
      distinctWords: counts.size,
      top: ranked.map(([word, count]) => ({ word, count })),
    }));
    return 0;
  }
  const width = Math.max(5, ...ranked.map(([, n]) => String(n).length));
  const lines: string[] = [];
  if (ranked.length > 0) {
    lines.push(`${"count".padStart(width)}  word`);
    for (const [word, n] of ranked) lines.push(`${String(n).padStart(width)}  ${word}`);
    lines.push("");
  }
  lines.push(`total words:    ${total}`);
  lines.push(`distinct words: ${counts.size}`);
  console.log(lines.join("\n"));
  return 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof DOMException && error.name === "AbortError") {
      console.error("wordcount: interrupted");
      code = 130;
    } else {
      console.error(`wordcount: ${message}`);
      if (error instanceof UsageError) console.error("Try 'deno task wordcount --help'");
      code = error instanceof UsageError ? 2 : 1;
    }
  }
  Deno.exit(code);
}
