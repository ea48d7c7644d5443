// Copyright 2026 the Tandem authors. MIT license.
// Test helpers: a raw HTTP/1.1 client on loopback for what fetch cannot do, such as send
// half a request body and stop.

import { within } from "./_sse.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The first half of a run request's body; the whole would be twice as long. */
const HALF = '{"url":"http://127.0.0.1:9/",';

/**
 * Opens a connection to a GUI on 127.0.0.1 and starts a `POST /api/runs` whose body it
 * never finishes: it announces 100 bytes, sends 29 and keeps the connection open. Returns
 * once the server has taken the request to its handler (its `100 Continue`), so the
 * caller knows the body is being waited for.
 *
 * @param url The GUI's URL, e.g. `http://127.0.0.1:8000/`.
 * @returns The open connection.
 */
export async function sendHalfBody(url: string): Promise<Deno.TcpConn> {
  const { host, port, origin } = new URL(url);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  try {
    const head = [
      "POST /api/runs HTTP/1.1",
      `Host: ${host}`,
      `Origin: ${origin}`,
      "Content-Type: application/json",
      "Content-Length: 100",
      "Expect: 100-continue",
      "",
      "",
    ].join("\r\n");
    await conn.write(encoder.encode(head));
    const interim = await readHead(conn);
    if (!interim.startsWith("HTTP/1.1 100")) {
      throw new Error(`Expected 100 Continue: got '${interim.slice(0, 80)}'`);
    }
    await conn.write(encoder.encode(HALF));
    return conn;
  } catch (error) {
    conn.close();
    throw error;
  }
}

/**
 * Reads one response head (up to the blank line), failing after the test deadline.
 *
 * @param conn The connection.
 * @returns The head's text, or what came before the connection closed.
 */
export async function readHead(conn: Deno.Conn): Promise<string> {
  let text = "";
  const byte = new Uint8Array(1);
  // One byte at a time: what follows the head stays in the socket for the caller.
  while (!text.endsWith("\r\n\r\n")) {
    const n = await within(conn.read(byte));
    if (n === null) break;
    text += decoder.decode(byte.subarray(0, n));
  }
  return text;
}

/**
 * Reads what is left on a connection until the server closes it.
 *
 * @param conn The connection.
 * @returns The text read.
 */
export async function readToEnd(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(4096);
  while (true) {
    let n: number | null;
    try {
      n = await within(conn.read(buffer));
    } catch (error) {
      // A server that closes with unread bytes from us resets the connection.
      if (error instanceof Deno.errors.ConnectionReset) return text;
      throw error;
    }
    if (n === null) return text;
    text += decoder.decode(buffer.subarray(0, n));
  }
}
