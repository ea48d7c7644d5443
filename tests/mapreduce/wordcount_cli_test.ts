import { assert, assertEquals, assertMatch } from "@std/assert";

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

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mapreduce_cli_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
    assertMatch(result.stderr, /^wordcount: Cannot .*\nTry 'deno task wordcount --help'\n$/);
  }
  const negative = await run("x", "--top", "-1");
  assertMatch(
    negative.stderr,
    /^wordcount: Cannot parse flags as a count cannot be negative: received '-1'\n/,
  );
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
