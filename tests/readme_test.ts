import { assertEquals, assertStringIncludes } from "@std/assert";

const root = new URL("../", import.meta.url);

/** The first `ts` code block of the README's "Tour" section. */
async function tourSnippet(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const tour = readme.slice(readme.indexOf("## Tour"));
  const match = tour.match(/```ts\n([\s\S]*?)```/);
  if (match === null) throw new Error("README.md has no ts block in its Tour section");
  return match[1];
}

Deno.test("README tour runs as written and prints what its comments say", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-tour-" });
  try {
    const file = `${dir}/tour.ts`;
    await Deno.writeTextFile(file, await tourSnippet());
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--config",
        new URL("deno.json", root).pathname,
        "--allow-read",
        "--allow-net=127.0.0.1",
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    const lines = out.trim().split("\n");
    // On 2 workers fib(35) and fib(25) start first; fib(20) waits in the first
    // worker's queue until the second, done with fib(25), takes it: no task waits
    // behind another while a worker is idle, so the order is fixed.
    // fib(35) (~150 ms, not fib(32)'s ~30 ms) leaves room for a second worker that
    // starts late when other test files take the cores (`--parallel`).
    assertEquals(lines.slice(0, 3), ["75025", "6765", "9227465"]);
    assertEquals(lines.slice(3, 6), ["8", "true", "2"]);
    assertStringIncludes(lines[6], "true 1000 ");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
