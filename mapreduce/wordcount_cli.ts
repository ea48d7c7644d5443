/**
 * `deno task wordcount FILE [--top 20] [--workers N] [--json]`: the word frequency of a
 * file, counted in parallel with {@linkcode wordFrequency}. Prints the top words with
 * their counts, then the total and distinct word counts. `FILE` may be `-` for stdin, a
 * FIFO or a process substitution (`<(zcat big.txt.gz)`): those are read once, as a stream.
 *
 * Exit codes: 0 on success, 1 when the file cannot be counted (missing, a directory,
 * not UTF-8 text), 2 for bad flags, 130 when interrupted.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { wordFrequency } from "./word_frequency.ts";
import { progressLine } from "./_progress.ts";

/** The most workers `--workers` accepts. */
const MAX_WORKERS = 256;

const USAGE = `Usage: deno task wordcount FILE [--top 20] [--workers N] [--json] [--lower-case]

Counts how often each word occurs in FILE (\`-\` reads stdin; a FIFO or <(command) is
read once, as a stream). Words are split exactly
like Python's str.split(); counting runs on N workers (default: one per CPU core).

  --top N        how many of the most frequent words to print (default 20, 0 for none)
  --workers N    worker count, 1 to ${MAX_WORKERS} (default: one per CPU core)
  --json         print one JSON object instead of a table
  --lower-case   fold words to lower case before counting
  -h, --help     show this help`;

/** Bytes sniffed at the start of a file to tell text from binary data. */
const SNIFF_BYTES = 64 * 1024;

interface Flags {
  _: (string | number)[];
  top: string;
  workers?: string;
  json: boolean;
  "lower-case": boolean;
  help: boolean;
}

class UsageError extends Error {}

function integerFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Infinity ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new UsageError(`Cannot parse '--${name}' as ${range}: received '${value}'`);
  }
  return n;
}

/** What to count: a regular file by its path (read by the workers), anything else as a stream. */
interface Input {
  source: { path: string } | ReadableStream<Uint8Array>;
  /** Bytes to count, when known (a regular file's size), for the progress line. */
  size?: number;
}

/**
 * Opens `path` for counting, with a clear error when it is missing, a directory or not
 * UTF-8 text. A FIFO, `/dev/stdin` or a process substitution (`<(cmd)`) cannot seek and
 * gives its bytes once: it is opened once, its first bytes sniffed and then counted with
 * the rest as a stream (a second open of a FIFO waits for a writer that never comes).
 */
async function openInput(path: string): Promise<Input> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw inputError(error, path);
  }
  if (info.isDirectory) {
    throw new Error(`Cannot count words as the path is a directory: '${path}'`);
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw inputError(error, path);
  }
  try {
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
    if (info.isFile) {
      file.close();
      return { source: { path }, size: info.size };
    }
    return { source: streamOf(head.subarray(0, n), file) };
  } catch (error) {
    file.close();
    throw error;
  }
}

function inputError(error: unknown, path: string): unknown {
  if (error instanceof Deno.errors.NotFound) {
    return new Error(`Cannot count words as the file does not exist: '${path}'`);
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new Error(`Cannot count words as the file cannot be read: '${path}'`);
  }
  if (error instanceof Deno.errors.NotCapable && /^\/dev\/(stdin|fd\/0)$/.test(path)) {
    // Deno opens /dev/stdin only with --allow-all; the task allows reading files.
    return new Error(`Cannot count words as Deno needs --allow-all to open '${path}': use '-'`);
  }
  return error;
}

/** `head`, then the rest of `file` (closed at its end or when the stream is cancelled). */
function streamOf(head: Uint8Array, file: Deno.FsFile): ReadableStream<Uint8Array> {
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length > 0) controller.enqueue(head);
    },
    async pull(controller) {
      const piece = new Uint8Array(SNIFF_BYTES);
      const n = await file.read(piece);
      if (n === null) {
        close();
        controller.close();
      } else controller.enqueue(piece.subarray(0, n));
    },
    cancel: close,
  });
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

async function main(args: string[]): Promise<number> {
  // A negative value names its flag (parseArgs would take it for an unknown flag).
  for (let i = 0; i + 1 < args.length; i++) {
    if ((args[i] === "--top" || args[i] === "--workers") && /^-\d/.test(args[i + 1])) {
      throw new UsageError(
        `Cannot parse '${args[i]}' as it must not be negative: received '${args[i + 1]}'`,
      );
    }
  }
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
  const top = integerFlag("top", flags.top, 0, Infinity);
  const workers = flags.workers === undefined
    ? navigator.hardwareConcurrency
    : integerFlag("workers", flags.workers, 1, MAX_WORKERS);

  const { source, size }: Input = path === "-"
    ? { source: Deno.stdin.readable }
    : await openInput(path);
  const controller = new AbortController();
  const onInterrupt = () => controller.abort(new DOMException("Interrupted", "AbortError"));
  Deno.addSignalListener("SIGINT", onInterrupt);

  const progress = progressLine(size, Deno.stderr);
  let counts: Map<string, number>;
  try {
    counts = await wordFrequency(source, {
      workers,
      signal: controller.signal,
      lowerCase: flags["lower-case"],
      onProgress: progress.onProgress,
    });
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    progress.clear();
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
      if (error instanceof UsageError) console.error("Run 'deno task wordcount --help' for usage.");
      code = error instanceof UsageError ? 2 : 1;
    }
  }
  Deno.exit(code);
}
