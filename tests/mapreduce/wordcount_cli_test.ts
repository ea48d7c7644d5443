import { assert, assertEquals, assertFalse, assertMatch } from "@std/assert";
import { generateCorpus } from "../../bench/wordcount_corpus.ts";
import { PROGRESS_MIN_BYTES, progressLine } from "../../mapreduce/_progress.ts";
import { withTempDir } from "../_util.ts";

const CLI = new URL("../../mapreduce/wordcount_cli.ts", import.meta.url);

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", CLI.href, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

const SEED = "the quick brown fox jumps over the lazy dog\nthe dog barks at the fox\n" +
  "a quick brown dog\nthe lazy fox sleeps\n";

Deno.test("wordcount CLI prints the top words, total and distinct counts", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/seed.txt`, SEED);
    const table = await run(`${dir}/seed.txt`, "--top", "3", "--workers", "2");
    assertEquals(table.code, 0, table.stderr);
    assertEquals(
      table.stdout,
      "count  word\n    5  the\n    3  dog\n    3  fox\n\ntotal words:    23\ndistinct words: 12\n",
    );
    const json = await run(`${dir}/seed.txt`, "--json", "--top", "2");
    assertEquals(json.code, 0, json.stderr);
    assertEquals(JSON.parse(json.stdout), {
      file: `${dir}/seed.txt`,
      totalWords: 23,
      distinctWords: 12,
      top: [{ word: "the", count: 5 }, { word: "dog", count: 3 }],
    });
  });
});

Deno.test("wordcount CLI fails with one clear line for a missing file, a directory, binary data", async () => {
  await withTempDir(async (dir) => {
    const binary = new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff);
    await Deno.writeFile(`${dir}/data.bin`, binary);
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72, 0x0a]);
    await Deno.writeFile(`${dir}/latin1.txt`, latin1);
    const cases: [string, RegExp][] = [
      [
        `${dir}/missing.txt`,
        /^wordcount: Cannot count words as the file does not exist: '.*missing\.txt'\n$/,
      ],
      [dir, /^wordcount: Cannot count words as the path is a directory: '.*'\n$/],
      [
        `${dir}/data.bin`,
        /^wordcount: Cannot count words as the file is not UTF-8 text: '.*data\.bin'\n$/,
      ],
      [`${dir}/latin1.txt`, /not UTF-8 text/],
    ];
    for (const [path, message] of cases) {
      const result = await run(path);
      assertEquals(result.code, 1, path);
      assertEquals(result.stdout, "");
      assertMatch(result.stderr, message);
    }
  });
});

Deno.test("wordcount CLI rejects bad flags with exit code 2", async () => {
  for (
    const args of [[], ["a.txt", "b.txt"], ["--top", "-1", "x"], ["--workers", "two", "x"], [
      "--nope",
      "x",
    ]]
  ) {
    const result = await run(...args);
    assertEquals(result.code, 2, args.join(" "));
    assertMatch(
      result.stderr,
      /^wordcount: Cannot .*\nRun 'deno task wordcount --help' for usage\.\n$/,
    );
  }
  const negative = await run("x", "--top", "-1");
  assertMatch(
    negative.stderr,
    /^wordcount: Cannot parse '--top' as it must not be negative: received '-1'\n/,
  );
  const workers: [string, string][] = [
    ["0", "wordcount: Cannot parse '--workers' as an integer from 1 to 256: received '0'"],
    ["-2", "wordcount: Cannot parse '--workers' as it must not be negative: received '-2'"],
    ["1.5", "wordcount: Cannot parse '--workers' as an integer from 1 to 256: received '1.5'"],
    ["257", "wordcount: Cannot parse '--workers' as an integer from 1 to 256: received '257'"],
    [
      "100000",
      "wordcount: Cannot parse '--workers' as an integer from 1 to 256: received '100000'",
    ],
    ["1e3", "wordcount: Cannot parse '--workers' as an integer from 1 to 256: received '1e3'"],
  ];
  for (const [value, message] of workers) {
    const result = await run("x", "--workers", value);
    assertEquals(result.code, 2, value);
    assertEquals(result.stdout, "");
    assertEquals(result.stderr, `${message}\nRun 'deno task wordcount --help' for usage.\n`);
  }
  const equals = await run("x", "--workers=-3");
  assertEquals(equals.code, 2);
  assertMatch(equals.stderr, /^wordcount: Cannot parse '--workers' as .*: received '-3'\n/);
  const help = await run("--help");
  assertEquals(help.code, 0);
  assert(help.stdout.startsWith("Usage: deno task wordcount FILE"));
});

Deno.test("wordcount CLI reads stdin for '-'", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", CLI.href, "-", "--json", "--top", "1"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(SEED));
  await writer.close();
  const out = await child.output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  assertEquals(report.top, [{ word: "the", count: 5 }]);
  assertEquals(report.totalWords, 23);
});

Deno.test("wordcount CLI counts an empty file as zero words", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/empty.txt`, "");
    const result = await run(`${dir}/empty.txt`, "--json");
    assertEquals(result.code, 0, result.stderr);
    assertEquals(JSON.parse(result.stdout).totalWords, 0);
  });
});

/** Writes captured by a fake stderr. */
function fakeOutput(
  terminal: boolean,
): { isTerminal(): boolean; writeSync(b: Uint8Array): number; text(): string } {
  const chunks: string[] = [];
  return {
    isTerminal: () => terminal,
    writeSync: (bytes) => {
      chunks.push(new TextDecoder().decode(bytes));
      return bytes.length;
    },
    text: () => chunks.join(""),
  };
}

Deno.test("wordcount progress line: drawn on a terminal for a big file, never otherwise", () => {
  let clock = 0;
  const tty = fakeOutput(true);
  const big = progressLine(200e6, tty, PROGRESS_MIN_BYTES, () => clock);
  const draw = big.onProgress;
  if (draw === undefined) throw new Error("a terminal gets no progress callback");
  clock = 1000;
  draw({ bytes: 50e6, words: 1234567 });
  clock = 1100; // within 200 ms: not redrawn
  draw({ bytes: 60e6, words: 1400000 });
  clock = 2000;
  draw({ bytes: 200e6, words: 4000000 });
  big.clear();
  assertEquals(
    tty.text(),
    "\r25%  50.0 MB of 200.0 MB  50 MB/s  1,234,567 words\x1b[K" +
      "\r100%  200.0 MB of 200.0 MB  100 MB/s  4,000,000 words\x1b[K\r\x1b[K",
  );
  for (
    const [size, terminal] of [[200e6, false], [PROGRESS_MIN_BYTES - 1, true], [
      undefined,
      true,
    ]] as const
  ) {
    const out = fakeOutput(terminal);
    const line = progressLine(size, out);
    assertEquals(line.onProgress, undefined, `size ${size}, terminal ${terminal}`);
    line.clear();
    assertEquals(out.text(), "");
  }
});

/** Whether util-linux `script` (Debian's bsdutils, which `.ci/run` installs) is on PATH. */
function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "wordcount CLI draws a progress line on a pseudo-terminal only",
  ignore: Deno.build.os !== "linux" || !hasScript(),
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/big.txt`;
      {
        using file = await Deno.open(path, { write: true, create: true });
        for (const piece of generateCorpus({ bytes: PROGRESS_MIN_BYTES + 1e6, seed: 3 })) {
          let off = 0;
          while (off < piece.length) off += await file.write(piece.subarray(off));
        }
      }
      const command = [Deno.execPath(), "run", "--no-prompt", "--allow-read", CLI.href, path];
      const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
      // util-linux `script` runs the CLI on a pseudo-terminal (stdout and stderr).
      const pty = await new Deno.Command("script", {
        args: ["-qfec", [...command, "--top", "1"].map(quote).join(" "), "/dev/null"],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const onTty = new TextDecoder().decode(pty.stdout);
      assertEquals(pty.code, 0, onTty);
      // "\r37%  12.6 MB of 34.6 MB  95 MB/s  2,077,322 words" and the erase-to-end code.
      assertMatch(onTty, /\r\d+% {2}[\d.]+ MB of [\d.]+ MB {2}\d+ MB\/s {2}[\d,]+ words/);
      assert(onTty.includes("words\x1b[K"), onTty);
      assertMatch(onTty, /total words: +\d+/);
      const piped = await run(path, "--top", "1");
      assertEquals(piped.code, 0, piped.stderr);
      assertEquals(piped.stderr, "");
      assertFalse(piped.stdout.includes("%"), piped.stdout);
      assertMatch(piped.stdout, /total words: +\d+/);
    });
  },
});

/**
 * The CLI's output for `args`, with `feed` writing to its stdin; killed after a minute.
 * With `shell`, `args` are a bash command line after the CLI's (to use `<(cat)`).
 */
async function runFed(
  args: string[],
  feed: (child: Deno.ChildProcess) => Promise<void>,
  shell = false,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = [Deno.execPath(), "run", "--no-prompt", "--allow-read", CLI.href];
  const child = new Deno.Command(shell ? "bash" : cli[0], {
    args: shell ? ["-c", `"$@" ${args.join(" ")}`, "bash", ...cli] : [...cli.slice(1), ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Generous: a CLI that opens a FIFO twice waits forever for a second writer.
  const timer = setTimeout(() => child.kill(), 60_000);
  try {
    const [out] = await Promise.all([child.output(), feed(child)]);
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("wordcount CLI reads a FIFO once", async () => {
  await withTempDir(async (dir) => {
    const fifo = `${dir}/input`;
    assert((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    const result = await runFed([fifo, "--json", "--top", "1"], async (child) => {
      await child.stdin.close();
      using file = await Deno.open(fifo, { write: true });
      const bytes = new TextEncoder().encode(SEED);
      for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    });
    assertEquals(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assertEquals(report.top, [{ word: "the", count: 5 }]);
    assertEquals(report.totalWords, 23);
  });
});

Deno.test("wordcount CLI counts a process substitution, which cannot seek, and sniffs it", async () => {
  const feed = (bytes: Uint8Array) => async (child: Deno.ChildProcess) => {
    const writer = child.stdin.getWriter();
    await writer.write(bytes);
    await writer.close();
  };
  // bash passes `<(cat)` as a /dev/fd path to a pipe, fed here through the shell's stdin.
  const text = await runFed(["<(cat)", "--json"], feed(new TextEncoder().encode(SEED)), true);
  assertEquals(text.code, 0, text.stderr);
  assertEquals(JSON.parse(text.stdout).distinctWords, 12);
  const binary = await runFed(["<(cat)"], feed(new Uint8Array([0x61, 0, 0x62])), true);
  assertEquals(binary.code, 1);
  assertMatch(binary.stderr, /^wordcount: Cannot count words as the file is not UTF-8 text/);
  // Deno opens /dev/stdin itself only with --allow-all: the message points to '-'.
  const stdin = await run("/dev/stdin");
  assertEquals(stdin.code, 1);
  assertMatch(stdin.stderr, /--allow-all to open '\/dev\/stdin': use '-'\n$/);
});
