import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  ECHO_BUSY_MESSAGE,
  ECHO_SHUTDOWN_MESSAGE,
  type EchoDisconnectInfo,
  serveEcho,
} from "../../servers/echo_server.ts";
import { concat, seededRandom } from "../_util.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Generous: the machine is shared and loaded; nothing here measures time. */
const DEADLINE_MS = 60_000;

async function waitFor(
  what: string,
  condition: () => boolean,
  intervalMs = 10,
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > DEADLINE_MS) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function readExactly(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let offset = 0;
  while (offset < length) {
    const n = await conn.read(out.subarray(offset));
    if (n === null) throw new Error(`Connection closed after ${offset} of ${length} bytes`);
    offset += n;
  }
  return out;
}

async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  return concat(chunks);
}

async function roundTrip(conn: Deno.Conn, text: string): Promise<string> {
  const bytes = encoder.encode(text);
  await conn.write(bytes);
  return decoder.decode(await readExactly(conn, bytes.length));
}

/** Writes a big chunk over and over until one write makes no progress for a second. */
async function writeUntilStalled(
  conn: Deno.Conn,
): Promise<{ sent: number; pending: Promise<unknown> }> {
  const chunk = new Uint8Array(256 * 1024).fill(0x61);
  let sent = 0;
  while (true) {
    const pending = conn.write(chunk);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<"stalled">((resolve) => {
      timer = setTimeout(() => resolve("stalled"), 1000);
    });
    const result = await Promise.race([pending, stalled]);
    clearTimeout(timer);
    if (result === "stalled") return { sent, pending: pending.catch(() => {}) };
    sent += result as number;
    if (sent > 1024 * 1024 * 1024) throw new Error("The server never pushed back");
  }
}

Deno.test("serveEcho() echoes 200 concurrent connections of 1,000 random messages exactly", async () => {
  // Sizes span 1 B to 64 KiB; 99% are at most 256 B and 1% up to 64 KiB, which
  // keeps the total near 90 MB each way on a shared 2-core machine.
  const CONNECTIONS = 200;
  const MESSAGES = 1000;
  const random = seededRandom(0x5eed);
  const block = new Uint8Array(128 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = Math.floor(random() * 256);

  function plan(seed: number): { offset: number; size: number }[] {
    const next = seededRandom(seed);
    return Array.from({ length: MESSAGES }, (_, i) => {
      let size = next() < 0.01 ? 1 + Math.floor(next() * 65536) : 1 + Math.floor(next() * 256);
      if (seed === 1 && i === 0) size = 65536;
      if (seed === 1 && i === 1) size = 1;
      return { offset: Math.floor(next() * 65536), size };
    });
  }

  await using server = serveEcho({ port: 0 });
  let totalBytes = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, c) => {
    const messages = plan(c + 1);
    const expected = messages.reduce((sum, m) => sum + m.size, 0);
    totalBytes += expected;
    using conn = await Deno.connect(server.addr);
    const writer = (async () => {
      for (const { offset, size } of messages) {
        const bytes = block.subarray(offset, offset + size);
        let written = 0;
        while (written < size) written += await conn.write(bytes.subarray(written));
      }
    })();
    // Read back concurrently and compare byte by byte against the plan.
    const buffer = new Uint8Array(64 * 1024);
    let message = 0;
    let within = 0;
    let received = 0;
    while (received < expected) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error(`Connection ${c} closed after ${received} bytes`);
      for (let i = 0; i < n; i++) {
        const { offset, size } = messages[message];
        if (buffer[i] !== block[offset + within]) {
          throw new Error(`Connection ${c}: wrong byte ${received + i} in message ${message}`);
        }
        if (++within === size) {
          message++;
          within = 0;
        }
      }
      received += n;
    }
    await writer;
    assertEquals(received, expected);
  }));
  assertEquals(server.bytesReceived, totalBytes);
  assertEquals(server.bytesSent, totalBytes);
});

Deno.test("serveEcho() stops reading from a client that never reads", async () => {
  await using server = serveEcho({ port: 0 });
  const hog = await Deno.connect(server.addr);
  const { sent, pending } = await writeUntilStalled(hog);
  assert(sent > 0, "the client could not write at all");
  // On a loaded machine a slow server can look stalled: wait until it really
  // stopped reading (nothing read for a whole second) before judging it.
  let received = -1;
  await waitFor("the server to stop reading", () => {
    const now = server.bytesReceived;
    const steady = now === received;
    received = now;
    return steady;
  }, 1000);
  // Backpressure: at most one 64 KiB read buffer is waiting to be written back.
  assert(received - server.bytesSent <= 64 * 1024, `${received - server.bytesSent} bytes held`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assertEquals(server.bytesReceived, received, "the server read from a stalled client");

  // Others are served meanwhile.
  using other = await Deno.connect(server.addr);
  assertEquals(await roundTrip(other, "still here\n"), "still here\n");

  hog.close();
  await pending;
  await waitFor("the hog to be closed", () => server.connections === 1);
});

Deno.test("serveEcho() survives clients that disconnect mid-write or half-close", async (t) => {
  const disconnects: EchoDisconnectInfo[] = [];
  await using server = serveEcho({ port: 0, onDisconnect: (info) => disconnects.push(info) });
  using bystander = await Deno.connect(server.addr);
  assertEquals(await roundTrip(bystander, "before\n"), "before\n");

  await t.step("a client that disconnects in the middle of a write", async () => {
    const conn = await Deno.connect(server.addr);
    await conn.write(new Uint8Array(4096).fill(1));
    const pending = conn.write(new Uint8Array(8 * 1024 * 1024).fill(2)).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    conn.close();
    await pending;
    await waitFor("the dropped client to be closed", () => disconnects.length === 1);
    assertEquals(server.connections, 1);
    assertEquals(await roundTrip(bystander, "after drop\n"), "after drop\n");
  });

  await t.step("a client that half-closes gets every byte, then end of stream", async () => {
    using conn = await Deno.connect(server.addr);
    const random = seededRandom(7);
    const payload = new Uint8Array(300 * 1024).map(() => Math.floor(random() * 256));
    const reading = readToEnd(conn);
    let written = 0;
    while (written < payload.length) written += await conn.write(payload.subarray(written));
    await conn.closeWrite();
    assertEquals(await reading, payload);
    await waitFor("the half-closed client to be closed", () => disconnects.length === 2);
    assertEquals(disconnects[1].reason, "eof");
    assertEquals(disconnects[1].bytes, payload.length);
    assertEquals(await roundTrip(bystander, "after half-close\n"), "after half-close\n");
  });

  assertEquals(server.connections, 1);
});

Deno.test("EchoServer.shutdown() says goodbye to every client and closes it", async () => {
  const server = serveEcho({ port: 0 });
  const clients = await Promise.all(
    Array.from({ length: 5 }, () => Deno.connect(server.addr)),
  );
  for (const [i, conn] of clients.entries()) {
    assertEquals(await roundTrip(conn, `hello ${i}\n`), `hello ${i}\n`);
  }
  // A client that never reads cannot stop the shutdown.
  const hog = await Deno.connect(server.addr);
  const { pending } = await writeUntilStalled(hog);
  assertEquals(server.connections, 6);

  await server.shutdown();
  assertEquals(server.connections, 0);
  for (const conn of clients) {
    assertEquals(decoder.decode(await readToEnd(conn)), ECHO_SHUTDOWN_MESSAGE);
    conn.close();
  }
  hog.close();
  await pending;
  await assertRejects(() => Deno.connect(server.addr), Deno.errors.ConnectionRefused);
  assertEquals(server.shutdown(), server.shutdown(), "shutdown() returns one promise");
  await server.finished;
});

Deno.test("serveEcho() shuts down when its signal aborts", async () => {
  const controller = new AbortController();
  const server = serveEcho({ port: 0, signal: controller.signal });
  using conn = await Deno.connect(server.addr);
  assertEquals(await roundTrip(conn, "x"), "x");
  controller.abort();
  await server.finished;
  assertEquals(decoder.decode(await readToEnd(conn)), ECHO_SHUTDOWN_MESSAGE);
});

Deno.test("serveEcho() calls onShutdown once every connection is closed, before finished", async () => {
  const events: string[] = [];
  const server = serveEcho({
    port: 0,
    onShutdown: () => events.push(`onShutdown with ${server.connections} tasks left`),
    onDisconnect: ({ reason }) => events.push(`disconnect ${reason}`),
  });
  const clients = await Promise.all([1, 2].map(() => Deno.connect(server.addr)));
  for (const conn of clients) assertEquals(await roundTrip(conn, "hi"), "hi");
  server.finished.then(() => events.push("finished"));
  await server.shutdown();
  assertEquals(events, [
    "onShutdown with 2 tasks left",
    "disconnect shutdown",
    "disconnect shutdown",
    "finished",
  ]);
  for (const conn of clients) {
    assertEquals(decoder.decode(await readToEnd(conn)), ECHO_SHUTDOWN_MESSAGE);
    conn.close();
  }
});

Deno.test("serveEcho() with an aborted signal stops at once", async () => {
  const server = serveEcho({ port: 0, signal: AbortSignal.abort() });
  await server.finished;
  await assertRejects(() => Deno.connect(server.addr), Deno.errors.ConnectionRefused);
});

Deno.test("serveEcho() turns away clients past maxConnections", async () => {
  const rejected: Deno.NetAddr[] = [];
  await using server = serveEcho({ port: 0, maxConnections: 2, onReject: (a) => rejected.push(a) });
  using a = await Deno.connect(server.addr);
  using b = await Deno.connect(server.addr);
  assertEquals(await roundTrip(a, "a"), "a");
  assertEquals(await roundTrip(b, "b"), "b");
  using c = await Deno.connect(server.addr);
  assertEquals(decoder.decode(await readToEnd(c)), ECHO_BUSY_MESSAGE);
  assertEquals(rejected.length, 1);
  assertEquals(server.connections, 2);
});

Deno.test("serveEcho() closes connections idle past idleTimeout", async () => {
  const disconnects: EchoDisconnectInfo[] = [];
  await using server = serveEcho({
    port: 0,
    idleTimeout: 200,
    onDisconnect: (info) => disconnects.push(info),
  });
  using conn = await Deno.connect(server.addr);
  assertEquals(await roundTrip(conn, "ping"), "ping");
  assertEquals(decoder.decode(await readToEnd(conn)), "idle timeout\n");
  await waitFor("the disconnect", () => disconnects.length === 1);
  assertEquals(disconnects[0].reason, "idle");
  assertEquals(disconnects[0].bytes, 4);
});

Deno.test("serveEcho() reports connects and disconnects to its hooks", async () => {
  const events: string[] = [];
  const server = serveEcho({
    port: 0,
    onConnect: ({ id }) => events.push(`connect ${id}`),
    onDisconnect: ({ id, reason, bytes }) => events.push(`disconnect ${id} ${reason} ${bytes}`),
  });
  const conn = await Deno.connect(server.addr);
  assertEquals(await roundTrip(conn, "12345"), "12345");
  conn.close();
  await waitFor("the disconnect", () => events.length === 2);
  using kept = await Deno.connect(server.addr);
  assertEquals(await roundTrip(kept, "1"), "1");
  await server.shutdown();
  assertEquals(events, ["connect 1", "disconnect 1 eof 5", "connect 2", "disconnect 2 shutdown 1"]);
});

Deno.test("serveEcho() listens on 127.0.0.1 by default and on IPv6 loopback", async () => {
  await using server = serveEcho({ port: 0 });
  assertEquals(server.addr.hostname, "127.0.0.1");
  await using v6 = serveEcho({ hostname: "::1", port: 0 });
  using conn = await Deno.connect(v6.addr);
  assertEquals(await roundTrip(conn, "six"), "six");
});

Deno.test("serveEcho() throws a clear AddrInUse error for a port in use", async () => {
  await using server = serveEcho({ port: 0 });
  const error = assertThrows(
    () => serveEcho({ port: server.addr.port }),
    Deno.errors.AddrInUse,
  );
  assertEquals(
    error.message,
    `Cannot serve echo on '127.0.0.1:${server.addr.port}' as the address is already in use`,
  );
});

Deno.test("serveEcho() validates its options", () => {
  const cases: [Record<string, unknown>, ErrorConstructor, string][] = [
    [{ port: 70000 }, RangeError, "'port' must be an integer from 0 to 65535: received 70000"],
    [{ port: 1.5 }, RangeError, "'port' must be an integer from 0 to 65535: received 1.5"],
    [{ port: "80" }, TypeError, "'port' must be a number: received '80'"],
    [{ maxConnections: "5" }, TypeError, "'maxConnections' must be a number: received '5'"],
    [{ idleTimeout: null }, TypeError, "'idleTimeout' must be a number: received null"],
    [{ hostname: "" }, TypeError, "'hostname' must be a non-empty string: received ''"],
    [{ maxConnections: 0 }, RangeError, "'maxConnections' must be a positive integer: received 0"],
    [
      { idleTimeout: -1 },
      RangeError,
      "'idleTimeout' must be a non-negative number of milliseconds: received -1",
    ],
    [
      { shutdownGrace: NaN },
      RangeError,
      "'shutdownGrace' must be a non-negative number of milliseconds: received NaN",
    ],
    [{ signal: {} }, TypeError, "'signal' must be an AbortSignal: received [object Object]"],
    [{ onConnect: 1 }, TypeError, "'onConnect' must be a function: received 1"],
    [{ onShutdown: "exit" }, TypeError, "'onShutdown' must be a function: received 'exit'"],
  ];
  for (const [options, ErrorClass, detail] of cases) {
    assertThrows(
      () => serveEcho(options as Parameters<typeof serveEcho>[0]),
      ErrorClass,
      `Cannot serve echo as ${detail}`,
    );
  }
});

Deno.test("serveEcho() refuses an idleTimeout or shutdownGrace longer than a timer can wait", () => {
  // 30 days: a timer given 2³¹ ms or more fires after 1 ms, so idle clients were woken
  // (and a warning printed) every millisecond.
  const thirtyDays = 30 * 24 * 3600 * 1000;
  for (const what of ["idleTimeout", "shutdownGrace"]) {
    assertThrows(
      () => serveEcho({ port: 0, [what]: thirtyDays }),
      RangeError,
      `Cannot serve echo as '${what}' must be a number of milliseconds from 0 to 2147483647`,
    );
  }
  assertThrows(
    () => serveEcho({ port: 0, shutdownGrace: Infinity }),
    RangeError,
    "'shutdownGrace' must be a number of milliseconds from 0 to 2147483647: received Infinity",
  );
});

Deno.test("serveEcho() takes idleTimeout Infinity, like 0, as never", async () => {
  await using server = serveEcho({ port: 0, idleTimeout: Infinity });
  using conn = await Deno.connect(server.addr);
  assertEquals(await roundTrip(conn, "still here"), "still here");
});
