/**
 * Raw TCP targets on 127.0.0.1 for the stress tests: well-behaved, refusing,
 * resetting, stalling and dying servers. Each counts the requests it read.
 *
 * @module
 */

/** A running test target. */
export interface TestTarget {
  /** The URL to stress. */
  url: string;
  /** The port. */
  port: number;
  /** Requests whose head the target read. */
  received(): number;
  /** Stops the target and closes every connection. */
  close(): Promise<void>;
  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** What a raw target does with each request it reads. */
export type Behaviour = (
  index: number,
  conn: Deno.Conn,
) => "respond" | "close" | "stall" | Uint8Array | { last: Uint8Array };

const OK = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok",
);

/**
 * Starts a raw HTTP/1.1 server whose answer to each request is chosen by `behaviour`:
 * `"respond"` sends a 200, a `Uint8Array` is sent as is, `"close"` closes the
 * connection, `"stall"` never answers, `{ last }` sends `last` and ends its side of the
 * connection (a body delimited by the close), reading no further request.
 *
 * @param behaviour The choice per request (its index counts from 0 across connections).
 * @returns The target.
 */
export function startRawTarget(behaviour: Behaviour = () => "respond"): TestTarget {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  let received = 0;
  let closing = false;
  const handle = async (conn: Deno.Conn): Promise<void> => {
    const buf = new Uint8Array(16 * 1024);
    let pending = "";
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        pending += new TextDecoder().decode(buf.subarray(0, n));
        let end: number;
        while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
          const head = pending.slice(0, end);
          const length = /content-length:\s*(\d+)/i.exec(head);
          const total = end + 4 + (length ? Number(length[1]) : 0);
          if (pending.length < total) break;
          pending = pending.slice(total);
          const action = behaviour(received++, conn);
          if (action === "close") {
            conn.close();
            return;
          }
          if (action === "stall") continue;
          if (typeof action === "object" && "last" in action) {
            let sent = 0;
            while (sent < action.last.length) sent += await conn.write(action.last.subarray(sent));
            // Half-close, then drain until the client closes: closing with unread
            // requests would send a reset instead of the end of the body.
            await conn.closeWrite();
            while (await conn.read(buf) !== null) {
              // ignored: requests after the last response
            }
            return;
          }
          const bytes = action === "respond" ? OK : action;
          let written = 0;
          while (written < bytes.length) written += await conn.write(bytes.subarray(written));
        }
      }
    } catch {
      // closed by the client or by close()
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        if (closing) {
          conn.close();
          continue;
        }
        conns.add(conn);
        const handler = handle(conn);
        handlers.add(handler);
        handler.finally(() => handlers.delete(handler));
      }
    } catch {
      // listener closed
    }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    closed ??= (async () => {
      closing = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await accepting;
      await Promise.all([...handlers]);
    })();
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    received: () => received,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * A port on 127.0.0.1 where nothing listens (connections are refused).
 *
 * @returns The port.
 */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Encodes a raw response.
 *
 * @param text The response, `\n` standing for CRLF.
 * @returns The bytes.
 */
export function raw(text: string): Uint8Array {
  return new TextEncoder().encode(text.replaceAll("\n", "\r\n"));
}
