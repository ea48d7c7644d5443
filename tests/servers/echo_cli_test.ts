import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { main } from "../../servers/echo_cli.ts";
import { serveEcho } from "../../servers/echo_server.ts";

const ROOT = new URL("../../", import.meta.url);
const decoder = new TextDecoder();

interface Captured {
  code: number;
  stdout: string[];
  stderr: string[];
}

async function runMain(args: string[], controller = new AbortController()): Promise<Captured> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(args, {
    signals: [],
    signal: controller.signal,
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
  });
  return { code, stdout, stderr };
}

async function readToEnd(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(1024);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) return text;
    text += decoder.decode(buffer.subarray(0, n));
  }
}

/** Reads lines from a child's stdout, one at a time. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string | undefined> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return async () => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) {
        reader.releaseLock();
        const rest = buffered;
        buffered = "";
        return rest === "" ? undefined : rest;
      }
      buffered += value;
    }
    const end = buffered.indexOf("\n");
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    return line;
  };
}

function spawnTask(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "echo", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("main() rejects an unknown flag with its message, a usage hint and exit code 2", async () => {
  const { code, stdout, stderr } = await runMain(["--bogus"]);
  assertEquals(code, 2);
  assertEquals(stdout, []);
  assertEquals(stderr, ["echo: Unknown flag '--bogus'", "Run 'deno task echo --help' for usage."]);
});

Deno.test("main() rejects bad flag values and stray arguments", async () => {
  const cases: [string[], string][] = [
    [["--port", "70000"], "Flag '--port' must be an integer from 0 to 65535: received '70000'"],
    [["--port=abc"], "Flag '--port' must be an integer from 0 to 65535: received 'abc'"],
    [
      ["--max-connections", "0"],
      "Flag '--max-connections' must be a positive integer: received '0'",
    ],
    [
      ["--idle-timeout=-1"],
      "Flag '--idle-timeout' must be a non-negative number of seconds: received '-1'",
    ],
    [["--host="], "Flag '--host' needs a value: received ''"],
    [["--port", "-1"], "Flag '--port' must not be negative: received '-1'"],
    [["--idle-timeout", "-5"], "Flag '--idle-timeout' must not be negative: received '-5'"],
    [["extra"], "Unexpected argument 'extra'"],
  ];
  for (const [args, detail] of cases) {
    const { code, stderr } = await runMain(args);
    assertEquals(code, 2, args.join(" "));
    assertEquals(stderr, [`echo: ${detail}`, "Run 'deno task echo --help' for usage."]);
  }
});

Deno.test("main() refuses an idle timeout longer than a timer can wait, with exit code 2", async () => {
  // 30 days overflowed the timer to 1 ms: 20 idle clients printed 30,000 warnings in 2 s.
  const { code, stdout, stderr } = await runMain(["--port", "0", "--idle-timeout", "2592000"]);
  assertEquals(code, 2);
  assertEquals(stdout, []);
  assertEquals(stderr, [
    "echo: Flag '--idle-timeout' must be a number of seconds from 0 to 2147483.647: received '2592000'",
    "Run 'deno task echo --help' for usage.",
  ]);
});

Deno.test("main() prints usage for --help", async () => {
  const { code, stdout } = await runMain(["--help"]);
  assertEquals(code, 0);
  assertStringIncludes(stdout[0], "Usage: deno task echo");
  assertStringIncludes(stdout[0], "--idle-timeout SECONDS");
});

Deno.test("main() reports a port in use in one line and exits 1", async () => {
  await using other = serveEcho({ port: 0 });
  const { code, stderr } = await runMain(["--port", String(other.addr.port)]);
  assertEquals(code, 1);
  assertEquals(stderr, [
    `echo: Cannot serve echo on '127.0.0.1:${other.addr.port}' as the address is already in use`,
  ]);
});

Deno.test("main() logs the address, connects and disconnects, then stops", async () => {
  const controller = new AbortController();
  const stdout: string[] = [];
  let resolveListening: (port: number) => void;
  const listening = new Promise<number>((resolve) => resolveListening = resolve);
  const code = main(["--port", "0", "--max-connections", "5", "--idle-timeout", "30"], {
    signals: [],
    signal: controller.signal,
    stdout: (line) => {
      stdout.push(line);
      const match = line.match(/^Echo server listening on 127\.0\.0\.1:(\d+)/);
      if (match) resolveListening(Number(match[1]));
    },
  });
  const port = await listening;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("hi"));
  const buffer = new Uint8Array(2);
  assertEquals(await conn.read(buffer), 2);
  controller.abort();
  assertEquals(await readToEnd(conn), "shutting down\n");
  conn.close();
  assertEquals(await code, 0);
  assertMatch(stdout[1], /^\+ 127\.0\.0\.1:\d+ connected \(1 open\)$/);
  assertEquals(stdout[2], "Shutting down (aborted): closing 1 connection");
  assertMatch(stdout[3], /^- 127\.0\.0\.1:\d+ shutdown: 2 B echoed in \d+\.\d s \(0 open\)$/);
  assertEquals(stdout[4], "Stopped");
});

Deno.test("main() sums up the disconnects of a shutdown with over 100 clients", async () => {
  const controller = new AbortController();
  const stdout: string[] = [];
  const listening = Promise.withResolvers<number>();
  const code = main(["--port", "0"], {
    signals: [],
    signal: controller.signal,
    stdout: (line) => {
      stdout.push(line);
      const match = line.match(/^Echo server listening on 127\.0\.0\.1:(\d+)/);
      if (match) listening.resolve(Number(match[1]));
    },
  });
  const port = await listening.promise;
  const clients = await Promise.all(
    Array.from({ length: 101 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  // Every client is registered once the server has logged its connect.
  while (stdout.filter((line) => line.startsWith("+ ")).length < 101) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  controller.abort();
  const goodbyes = await Promise.all(clients.map((conn) => readToEnd(conn)));
  for (const conn of clients) conn.close();
  assertEquals(await code, 0);
  assertEquals(goodbyes.filter((text) => text === "shutting down\n").length, 101);
  const shutdownAt = stdout.indexOf("Shutting down (aborted): closing 101 connections");
  assert(shutdownAt > 0, stdout.slice(-3).join("\n"));
  assertEquals(stdout.slice(shutdownAt + 1), ["Stopped"]);
});

for (const [signal, quiet] of [["SIGINT", false], ["SIGTERM", true]] as const) {
  const how = quiet ? " with --quiet (exits once all are closed)" : "";
  Deno.test(`deno task echo shuts down gracefully on ${signal}${how} and exits 0`, async () => {
    const child = spawnTask(["--port", "0", ...(quiet ? ["--quiet"] : [])]);
    const nextLine = lineReader(child.stdout);
    const first = await nextLine();
    const match = first?.match(/^Echo server listening on 127\.0\.0\.1:(\d+)/);
    if (!match) throw new Error(`Unexpected first line: ${first}`);
    const port = Number(match[1]);
    const clients = await Promise.all(
      [1, 2, 3].map(() => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    for (const conn of clients) {
      await conn.write(new TextEncoder().encode("ping\n"));
      const buffer = new Uint8Array(5);
      assertEquals(await conn.read(buffer), 5);
    }
    child.kill(signal);
    for (const conn of clients) {
      assertEquals(await readToEnd(conn), "shutting down\n");
      conn.close();
    }
    const lines: string[] = [];
    for (let line = await nextLine(); line !== undefined; line = await nextLine()) {
      lines.push(line);
    }
    const status = await child.status;
    const stderr = decoder.decode(await new Response(child.stderr).arrayBuffer());
    assertEquals(status.code, 0, stderr);
    assertEquals(stderr, "");
    assert(lines.includes(`Shutting down (${signal}): closing 3 connections`), lines.join("\n"));
    assertEquals(lines.at(-1), "Stopped");
  });
}

Deno.test("deno task echo refuses a host beyond loopback in one line", async () => {
  const child = spawnTask(["--host", "192.0.2.1", "--port", "0"]);
  const { code, stdout, stderr } = await child.output();
  assertEquals(code, 1);
  assertEquals(decoder.decode(stdout), "");
  const lines = decoder.decode(stderr).trimEnd().split("\n");
  assertEquals(lines, [
    "echo: Cannot serve echo on '192.0.2.1:0' as net access to it is not granted: run with '--allow-net=192.0.2.1'",
  ]);
});

Deno.test("deno task echo rejects a bad flag with a usage hint", async () => {
  const { code, stderr } = await spawnTask(["--prot", "1"]).output();
  assertEquals(code, 2);
  assertEquals(
    decoder.decode(stderr),
    "echo: Unknown flag '--prot'\nRun 'deno task echo --help' for usage.\n",
  );
});

Deno.test("main() listens on IPv6 loopback and prints the address in brackets", async () => {
  const controller = new AbortController();
  const stdout: string[] = [];
  const code = await main(["--host", "::1", "--port", "0", "--quiet"], {
    signals: [],
    signal: controller.signal,
    stdout: (line) => {
      stdout.push(line);
      controller.abort();
    },
  });
  assertEquals(code, 0);
  assertMatch(stdout[0], /^Echo server listening on \[::1\]:\d+ \(press Ctrl\+C to stop\)$/);
  assertEquals(stdout.slice(1), ["Shutting down (aborted): closing 0 connections", "Stopped"]);
});
