// Copyright 2026 the Tandem authors. MIT license.
// Runs `deno task gui`'s own command line (with its least permissions), starts a real run
// through the API, then stops the CLI with SIGINT.

import { assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { EventClient, within } from "./_sse.ts";
import { readToEnd, sendHalfBody } from "./_raw.ts";
import type { GuiServer } from "../../gui_web/gui_server.ts";

const ROOT = new URL("../../", import.meta.url);

/** The `gui` task's arguments after `deno`, read from deno.json. */
async function taskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const task: string = config.tasks.gui;
  const words = task.split(/\s+/);
  assertEquals(words[0], "deno");
  return words.slice(1);
}

function spawnGui(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** Reads lines from a stream until one matches. */
async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  pattern: RegExp,
): Promise<{ match: RegExpExecArray; seen: string }> {
  let seen = "";
  while (true) {
    const { done, value } = await within(reader.read());
    if (done) throw new Error(`Output ended before ${pattern}: '${seen}'`);
    seen += value;
    const match = pattern.exec(seen);
    if (match !== null) return { match, seen };
  }
}

Deno.test({
  name: "gui_cli prints the URL, serves runs with the task's permissions, stops on SIGINT",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using target = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("ok"),
    );
    const child = spawnGui([...await taskArgs(), "--port", "0"]);
    const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const stderr = child.stderr.pipeThrough(new TextDecoderStream());
    const errors = Array.fromAsync(stderr);
    try {
      const { match } = await readUntil(stdout, /open (http:\/\/127\.0\.0\.1:(\d+)\/)/);
      const url = match[1];
      const gui = { url } as GuiServer;
      const origin = new URL(url).origin;
      const response = await fetch(new URL("/api/runs", url), {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: JSON.stringify({
          url: `http://127.0.0.1:${target.addr.port}/`,
          requests: 300,
          concurrency: 4,
        }),
      });
      assertEquals(response.status, 201);
      const { id } = await response.json();
      await using events = await EventClient.open(gui, id);
      const final = (await events.untilFinal()).at(-1)!;
      assertEquals(final.event, "done", final.data);
      const { report } = JSON.parse(final.data!);
      assertEquals(report.statusCodes, { "200": 300 });
      child.kill("SIGINT");
      const { seen } = await readUntil(stdout, /stopped/);
      assertStringIncludes(seen, "Tandem GUI: stopped");
      assertEquals((await within(child.status)).code, 0);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
      await stdout.cancel().catch(() => {});
    }
    assertEquals((await errors).join(""), "");
  },
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name: `gui_cli stops on ${signal} while a client holds half a run request's body`,
    ignore: Deno.build.os === "windows",
    async fn() {
      const child = spawnGui([...await taskArgs(), "--port", "0"]);
      const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const errors = Array.fromAsync(child.stderr.pipeThrough(new TextDecoderStream()));
      let conn: Deno.TcpConn | undefined;
      try {
        const { match } = await readUntil(stdout, /open (http:\/\/127\.0\.0\.1:\d+\/)/);
        // The client never sends the rest: the CLI used to ignore every signal meanwhile.
        conn = await sendHalfBody(match[1]);
        child.kill(signal);
        await readUntil(stdout, /Tandem GUI: stopped/);
        assertEquals((await within(child.status)).code, 0);
        await readToEnd(conn);
      } finally {
        conn?.close();
        try {
          child.kill("SIGKILL");
        } catch {
          // Already exited.
        }
        await child.status;
        await stdout.cancel().catch(() => {});
      }
      assertEquals((await errors).join(""), "");
    },
  });
}

Deno.test("gui_cli rejects a bad --port with exit code 2", async () => {
  const child = spawnGui([...await taskArgs(), "--port", "http"]);
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  assertEquals(status.code, 2);
  assertEquals(stdout, "");
  assertMatch(
    stderr,
    /^gui: Cannot serve as '--port' must be an integer from 0 to 65535: received 'http'/,
  );
  assertStringIncludes(stderr, "Usage: deno task gui");
});
