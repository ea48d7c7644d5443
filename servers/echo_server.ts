/**
 * A TCP echo server that shuts down cleanly: {@linkcode serveEcho}.
 *
 * The echo server Python writes with a thread per client (`socketserver.ThreadingTCPServer`
 * or a `threading.Thread` per `accept()`), done with Deno's async I/O: one task per
 * connection instead of one thread, bytes echoed exactly and in order with
 * backpressure, and a shutdown that says `shutting down` to every client, closes
 * every connection and resolves {@linkcode EchoServer.finished}.
 *
 * @example Echo a line
 * ```ts
 * import { serveEcho } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = serveEcho({ port: 0 });
 * using conn = await Deno.connect(server.addr);
 * await conn.write(new TextEncoder().encode("hello\n"));
 * const buffer = new Uint8Array(6);
 * assertEquals(await conn.read(buffer), 6);
 * assertEquals(new TextDecoder().decode(buffer), "hello\n");
 * ```
 *
 * @module
 */

import { type EchoCloseReason, EchoConnection, type EchoCounters } from "./_echo_connection.ts";
import { formatAddress, formatHost } from "./_echo_format.ts";
import { delayError, integerError } from "../sync/_checks.ts";

export type { EchoCloseReason };

/**
 * The line every connected client receives when the server shuts down.
 *
 * @example Recognise the goodbye
 * ```ts
 * import { ECHO_SHUTDOWN_MESSAGE } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(ECHO_SHUTDOWN_MESSAGE, "shutting down\n");
 * ```
 */
export const ECHO_SHUTDOWN_MESSAGE = "shutting down\n";

/**
 * The line a client receives when {@linkcode EchoServerOptions.maxConnections}
 * connections are open already; it is then closed.
 *
 * @example Be turned away
 * ```ts
 * import { ECHO_BUSY_MESSAGE, serveEcho } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = serveEcho({ port: 0, maxConnections: 1 });
 * using first = await Deno.connect(server.addr);
 * await first.write(new Uint8Array([1]));
 * await first.read(new Uint8Array(1)); // the first client is being served
 * using second = await Deno.connect(server.addr);
 * const buffer = new Uint8Array(64);
 * const n = await second.read(buffer);
 * assertEquals(new TextDecoder().decode(buffer.subarray(0, n ?? 0)), ECHO_BUSY_MESSAGE);
 * ```
 */
export const ECHO_BUSY_MESSAGE = "too many connections\n";

/**
 * A connection as reported to {@linkcode EchoServerOptions.onConnect}.
 */
export interface EchoConnectionInfo {
  /** A number unique within the server, counting from 1. */
  readonly id: number;
  /** The client's address. */
  readonly remoteAddr: Deno.NetAddr;
}

/**
 * A closed connection as reported to {@linkcode EchoServerOptions.onDisconnect}.
 */
export interface EchoDisconnectInfo extends EchoConnectionInfo {
  /** Bytes echoed back to the client. */
  readonly bytes: number;
  /** How long the connection was open, in milliseconds. */
  readonly durationMs: number;
  /**
   * Why it closed: `"eof"` (the client closed), `"error"` (reset, broken pipe),
   * `"idle"` ({@linkcode EchoServerOptions.idleTimeout}) or `"shutdown"`.
   */
  readonly reason: EchoCloseReason;
}

/**
 * Options of {@linkcode serveEcho}.
 */
export interface EchoServerOptions {
  /**
   * The address to listen on. Listening beyond loopback needs `--allow-net` for it.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port to listen on; `0` picks a free one (read it from {@linkcode EchoServer.addr}).
   *
   * @default {9999}
   */
  port?: number;
  /** Aborting it shuts the server down, as {@linkcode EchoServer.shutdown} does. */
  signal?: AbortSignal;
  /**
   * The most connections open at once. Past it, a new client receives
   * `too many connections` and is closed.
   *
   * @default {Infinity}
   */
  maxConnections?: number;
  /**
   * Milliseconds without a byte read or written after which a connection
   * receives `idle timeout` and is closed; `0` or `Infinity` never times out.
   * At most 2147483647 (24.8 days), the longest delay a timer can wait.
   *
   * @default {0}
   */
  idleTimeout?: number;
  /**
   * Milliseconds that shutdown waits for a client to take its `shutting down`
   * line (a client that never reads cannot take it) before closing anyway.
   * At most 2147483647.
   *
   * @default {500}
   */
  shutdownGrace?: number;
  /** Called when a connection is accepted. */
  onConnect?: (info: EchoConnectionInfo) => void;
  /** Called when a connection has closed. */
  onDisconnect?: (info: EchoDisconnectInfo) => void;
  /** Called when a connection is turned away by {@linkcode EchoServerOptions.maxConnections}. */
  onReject?: (remoteAddr: Deno.NetAddr) => void;
  /**
   * Called once during shutdown, when every client has been sent `shutting down` (or
   * its grace ran out) and every connection has been closed. {@linkcode EchoServer.finished}
   * resolves later, once each connection's task has wound down and
   * {@linkcode EchoServerOptions.onDisconnect} has run for it; with thousands of
   * connections that takes a few hundred milliseconds, so a process with nothing left
   * to log may exit here.
   */
  onShutdown?: () => void;
}

/**
 * A running echo server, as returned by {@linkcode serveEcho}.
 *
 * @example Stop it and wait until every connection is closed
 * ```ts
 * import { type EchoServer, serveEcho } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const server: EchoServer = serveEcho({ port: 0 });
 * assertEquals(server.addr.hostname, "127.0.0.1");
 * await server.shutdown();
 * await server.finished;
 * assertEquals(server.connections, 0);
 * ```
 */
export interface EchoServer extends AsyncDisposable {
  /** The address the server listens on (with the real port when `port` was `0`). */
  readonly addr: Deno.NetAddr & { transport: "tcp" };
  /** The number of connections open now. */
  readonly connections: number;
  /** Bytes read from clients so far. */
  readonly bytesReceived: number;
  /** Bytes echoed back to clients so far. */
  readonly bytesSent: number;
  /** Resolves once the server has stopped and every connection is closed. */
  readonly finished: Promise<void>;
  /**
   * Stops accepting, sends `shutting down` to every client, closes every
   * connection. Calling it again returns the same promise.
   *
   * @returns {@linkcode EchoServer.finished}.
   */
  shutdown(): Promise<void>;
}

/**
 * Starts a TCP echo server: every byte a client sends comes back to it, exactly
 * and in order. The server reads a connection's next bytes only once the
 * previous ones were written back, so a client that sends but never reads holds
 * at most 64 KiB of server memory and stalls only itself.
 *
 * @example Shut down with a client connected
 * ```ts
 * import { serveEcho } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const server = serveEcho({ port: 0 });
 * using conn = await Deno.connect(server.addr);
 * while (server.connections === 0) await new Promise((ok) => setTimeout(ok, 10));
 * await server.shutdown();
 * const buffer = new Uint8Array(64);
 * const n = await conn.read(buffer);
 * assertEquals(new TextDecoder().decode(buffer.subarray(0, n ?? 0)), "shutting down\n");
 * assertEquals(server.connections, 0);
 * ```
 *
 * @example Log each connection as it closes
 * ```ts
 * import { type EchoDisconnectInfo, serveEcho } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const log: string[] = [];
 * const closed = Promise.withResolvers<EchoDisconnectInfo>();
 * await using server = serveEcho({
 *   port: 0,
 *   onConnect: ({ id, remoteAddr }) => log.push(`#${id} from ${remoteAddr.hostname}`),
 *   onDisconnect: closed.resolve,
 * });
 * const conn = await Deno.connect(server.addr);
 * conn.close();
 * const { id, reason, bytes } = await closed.promise;
 * assertEquals(log, ["#1 from 127.0.0.1"]);
 * assertEquals([id, reason, bytes], [1, "eof", 0]);
 * ```
 *
 * @param options Where to listen, limits and hooks.
 * @returns The running server.
 * @throws {TypeError} If an option has the wrong type (`port: "80"`, `signal: {}`).
 * @throws {RangeError} If `port`, `maxConnections`, `idleTimeout` or `shutdownGrace` is out of range.
 * @throws {Deno.errors.AddrInUse} If the address is already in use.
 * @throws {Deno.errors.NotCapable} If there is no net permission for the address.
 */
export function serveEcho(options: EchoServerOptions = {}): EchoServer {
  const config = validate(options);
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: config.hostname, port: config.port, transport: "tcp" });
  } catch (error) {
    throw listenError(error, config.hostname, config.port);
  }
  return new EchoServerImpl(listener, config, options);
}

interface EchoConfig {
  hostname: string;
  port: number;
  maxConnections: number;
  idleTimeout: number;
  shutdownGrace: number;
}

class EchoServerImpl implements EchoServer {
  readonly addr: Deno.NetAddr & { transport: "tcp" };
  readonly finished: Promise<void>;

  #listener: Deno.TcpListener;
  #config: EchoConfig;
  #options: EchoServerOptions;
  #open = new Set<EchoConnection>();
  #tasks = new Set<Promise<void>>();
  #counters: EchoCounters = { bytesReceived: 0, bytesSent: 0 };
  #nextId = 1;
  #stopping = false;
  #shutdownPromise: Promise<void> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #wakeAccept: (() => void) | undefined;
  #onAbort = (): void => void this.shutdown();

  constructor(listener: Deno.TcpListener, config: EchoConfig, options: EchoServerOptions) {
    this.#listener = listener;
    this.#config = config;
    this.#options = options;
    this.addr = { ...listener.addr, transport: "tcp" };
    this.finished = this.#acceptLoop();
    if (options.signal?.aborted) {
      void this.shutdown();
    } else {
      options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  get connections(): number {
    return this.#open.size;
  }

  get bytesReceived(): number {
    return this.#counters.bytesReceived;
  }

  get bytesSent(): number {
    return this.#counters.bytesSent;
  }

  shutdown(): Promise<void> {
    this.#shutdownPromise ??= (async () => {
      this.#stopping = true;
      this.#options.signal?.removeEventListener("abort", this.#onAbort);
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#wakeAccept?.();
      // Goodbyes first, all of them, then the closes: closing costs more than
      // writing a line, and a client must not miss its line because others
      // were being closed. One deadline for all: a client that does not read
      // cannot hold the shutdown up.
      const goodbye = new TextEncoder().encode(ECHO_SHUTDOWN_MESSAGE);
      const goodbyes = [...this.#open].map((connection) => connection.stop("shutdown", goodbye));
      let deadline: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(goodbyes),
        new Promise((resolve) => deadline = setTimeout(resolve, this.#config.shutdownGrace)),
      ]);
      clearTimeout(deadline);
      for (const connection of this.#open) connection.forceClose();
      callHook(() => this.#options.onShutdown?.());
      await this.finished;
    })();
    return this.#shutdownPromise;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#stopping) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#stopping || error instanceof Deno.errors.BadResource) break;
        // Out of file descriptors and the like: wait a little, then go on.
        await new Promise<void>((resolve) => {
          this.#wakeAccept = resolve;
          this.#retryTimer = setTimeout(resolve, 50);
        });
        this.#retryTimer = undefined;
        this.#wakeAccept = undefined;
        continue;
      }
      if (this.#stopping) {
        conn.close();
        break;
      }
      if (this.#open.size >= this.#config.maxConnections) {
        this.#track(this.#reject(conn));
      } else {
        this.#track(this.#serve(conn));
      }
    }
    this.#stopping = true;
    try {
      this.#listener.close();
    } catch {
      // Closed by shutdown().
    }
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const connection = new EchoConnection(conn, {
      id: this.#nextId++,
      counters: this.#counters,
      idleTimeout: this.#config.idleTimeout,
    });
    this.#open.add(connection);
    const info = { id: connection.id, remoteAddr: connection.remoteAddr };
    callHook(() => this.#options.onConnect?.(info));
    try {
      await connection.run();
    } finally {
      this.#open.delete(connection);
      callHook(() =>
        this.#options.onDisconnect?.({
          ...info,
          bytes: connection.bytes,
          durationMs: performance.now() - connection.startedAt,
          reason: connection.reason,
        })
      );
    }
  }

  async #reject(conn: Deno.TcpConn): Promise<void> {
    const remoteAddr = conn.remoteAddr;
    try {
      await conn.write(new TextEncoder().encode(ECHO_BUSY_MESSAGE));
    } catch {
      // The client is gone already.
    } finally {
      conn.close();
    }
    callHook(() => this.#options.onReject?.(remoteAddr));
  }
}

function callHook(hook: () => void): void {
  try {
    hook();
  } catch (error) {
    // A logging hook must not take the server down; report and go on.
    console.error("Echo server hook threw:", error);
  }
}

const ACTION = "Cannot serve echo";

function validate(options: EchoServerOptions): EchoConfig {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot serve echo as 'options' must be an object: received ${describe(options)}`,
    );
  }
  const {
    hostname = "127.0.0.1",
    port = 9999,
    maxConnections = Infinity,
    idleTimeout = 0,
    shutdownGrace = 500,
    signal,
  } = options;
  if (typeof hostname !== "string" || hostname.length === 0) {
    throw new TypeError(
      `Cannot serve echo as 'hostname' must be a non-empty string: received ${describe(hostname)}`,
    );
  }
  for (
    const [name, value] of Object.entries({ port, maxConnections, idleTimeout, shutdownGrace })
  ) {
    if (typeof value !== "number") {
      throw new TypeError(
        `Cannot serve echo as '${name}' must be a number: received ${describe(value)}`,
      );
    }
  }
  const rangeError = integerError(port, "port", ACTION, { min: 0, max: 65535 }) ??
    (maxConnections === Infinity
      ? undefined
      : integerError(maxConnections, "maxConnections", ACTION)) ??
    millisecondsError(idleTimeout, "idleTimeout", true) ??
    millisecondsError(shutdownGrace, "shutdownGrace", false);
  if (rangeError !== undefined) throw rangeError;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot serve echo as 'signal' must be an AbortSignal: received ${describe(signal)}`,
    );
  }
  for (const hook of ["onConnect", "onDisconnect", "onReject", "onShutdown"] as const) {
    const value = options[hook];
    if (value !== undefined && typeof value !== "function") {
      throw new TypeError(
        `Cannot serve echo as '${hook}' must be a function: received ${describe(value)}`,
      );
    }
  }
  // Infinity means never, as 0 does: no timer is armed for either.
  return {
    hostname,
    port,
    maxConnections,
    idleTimeout: idleTimeout === Infinity ? 0 : idleTimeout,
    shutdownGrace,
  };
}

/**
 * The error for a millisecond option: a negative number or NaN is named as such; one above
 * `MAX_DELAY_MS` (2³¹−1) is refused by the shared check: a timer given more fires after
 * 1 ms with a warning, so an idle timeout of 30 days (2592000000) re-armed itself every
 * millisecond (20 idle clients printed 30,000 warnings in 2 s).
 */
function millisecondsError(value: number, what: string, infinite: boolean): RangeError | undefined {
  if (!(value >= 0)) {
    return new RangeError(
      `${ACTION} as '${what}' must be a non-negative number of milliseconds: received ${
        describe(value)
      }`,
    );
  }
  return delayError(value, what, ACTION, infinite);
}

function listenError(error: unknown, hostname: string, port: number): unknown {
  const where = `'${formatAddress({ hostname, port })}'`;
  if (error instanceof Deno.errors.AddrInUse) {
    return new Deno.errors.AddrInUse(
      `Cannot serve echo on ${where} as the address is already in use`,
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.NotCapable) {
    return new Deno.errors.NotCapable(
      `Cannot serve echo on ${where} as net access to it is not granted: run with '--allow-net=${
        formatHost(hostname)
      }'`,
      { cause: error },
    );
  }
  if (error instanceof Error) {
    const Class = error.constructor as new (message: string, options?: ErrorOptions) => Error;
    return new Class(`Cannot serve echo on ${where}: ${error.message}`, { cause: error });
  }
  return error;
}

function describe(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "function") return "a function";
  if (value === null) return "null";
  if (typeof value === "object") return Object.prototype.toString.call(value);
  return String(value);
}
