/**
 * Private: one echo connection of `echo_server.ts`: read, write back, repeat; with
 * backpressure, an idle timeout and a goodbye on shutdown.
 *
 * @module
 */

/** Smallest read buffer; an idle connection holds only this much. */
const MIN_BUFFER = 1024;
/** Largest read buffer, reached after reads that fill the buffer. */
const MAX_BUFFER = 64 * 1024;

const IDLE_MESSAGE = new TextEncoder().encode("idle timeout\n");

/**
 * Why a connection ended: `"eof"` (the client closed), `"error"` (reset, broken pipe),
 * `"idle"` (the idle timeout) or `"shutdown"` (the server stopped).
 */
export type EchoCloseReason = "eof" | "error" | "idle" | "shutdown";

/** Counters shared by every connection of one server. */
export interface EchoCounters {
  bytesReceived: number;
  bytesSent: number;
}

/** What a connection needs from its server. */
export interface EchoConnectionOptions {
  id: number;
  counters: EchoCounters;
  idleTimeout: number;
}

/**
 * Echoes one TCP connection. At most one read buffer of unechoed bytes is held:
 * the next read starts only after the previous bytes were all written, so a
 * client that never reads stalls its own connection and nothing else.
 */
export class EchoConnection {
  readonly id: number;
  readonly remoteAddr: Deno.NetAddr;
  readonly startedAt: number = performance.now();
  /** Bytes read from the client and written back. */
  bytes = 0;
  reason: EchoCloseReason = "eof";

  #conn: Deno.TcpConn;
  #counters: EchoCounters;
  #idleTimeout: number;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #lastActivity: number = performance.now();
  #writing = false;
  #stopping = false;
  #farewell: Promise<void> | undefined;
  #closed = false;
  #goodbye: Uint8Array = new Uint8Array();
  #closeAfterGoodbye = false;
  // Made on shutdown only: an idle connection should cost as little as possible.
  #goodbyeSettled: PromiseWithResolvers<void> | undefined;
  #closedSignal: PromiseWithResolvers<void> | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(conn: Deno.TcpConn, options: EchoConnectionOptions) {
    this.#conn = conn;
    this.id = options.id;
    this.remoteAddr = conn.remoteAddr;
    this.#counters = options.counters;
    this.#idleTimeout = options.idleTimeout;
    try {
      conn.setNoDelay(true);
    } catch {
      // The peer may already be gone; the first read will tell.
    }
    if (this.#idleTimeout > 0) this.#armIdleTimer(this.#idleTimeout);
  }

  /** Echoes until the client closes, an error, the idle timeout or {@linkcode stop}. */
  async run(): Promise<void> {
    let buffer = new Uint8Array(MIN_BUFFER);
    try {
      while (!this.#stopping) {
        const n = await this.#conn.read(buffer);
        if (this.#stopping) break;
        if (n === null) break;
        if (this.#idleTimeout > 0) this.#lastActivity = performance.now();
        this.#counters.bytesReceived += n;
        this.#writing = true;
        await this.#writeAll(buffer.subarray(0, n));
        this.#writing = false;
        if (n === buffer.length && buffer.length < MAX_BUFFER) {
          buffer = new Uint8Array(Math.min(buffer.length * 4, MAX_BUFFER));
        }
      }
    } catch {
      if (!this.#stopping) this.reason = "error";
    }
    this.#writing = false;
    if (this.#stopping) {
      await this.#sayGoodbye();
      if (!this.#closed) await (this.#closedSignal ??= Promise.withResolvers()).promise;
    } else {
      this.#close();
    }
  }

  /**
   * Stops echoing and sends `message` once no echo write is in flight. With
   * `graceMs`, closes right after the goodbye, or after `graceMs` if it cannot
   * be written (the client does not read). Without it the connection stays open
   * until {@linkcode EchoConnection.forceClose}, so that a server shutting down
   * can write every goodbye before it spends time closing.
   *
   * @returns A promise that settles once the goodbye is written or given up.
   */
  stop(reason: EchoCloseReason, message: Uint8Array, graceMs?: number): Promise<void> {
    this.#goodbyeSettled ??= Promise.withResolvers();
    if (this.#closed) this.#goodbyeSettled.resolve();
    if (this.#stopping || this.#closed) return this.#goodbyeSettled.promise;
    this.#stopping = true;
    this.reason = reason;
    this.#goodbye = message;
    this.#clearIdleTimer();
    if (graceMs !== undefined) {
      this.#closeAfterGoodbye = true;
      this.#graceTimer = setTimeout(() => {
        this.#graceTimer = undefined;
        this.#close();
      }, graceMs);
    }
    // Blocked in a read: no echo in flight, so say goodbye now. The pending
    // read fails once the connection closes and `run` then returns.
    if (!this.#writing) void this.#sayGoodbye();
    return this.#goodbyeSettled.promise;
  }

  /** Closes the connection now, goodbye written or not. */
  forceClose(): void {
    this.#close();
  }

  #sayGoodbye(): Promise<void> {
    this.#farewell ??= (async () => {
      try {
        await this.#writeAll(this.#goodbye, false);
      } catch {
        // The client is gone or the connection was closed first.
      }
      this.#goodbyeSettled?.resolve();
      if (this.#closeAfterGoodbye) this.#close();
    })();
    return this.#farewell;
  }

  async #writeAll(bytes: Uint8Array, count = true): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const n = await this.#conn.write(bytes.subarray(offset));
      offset += n;
      if (this.#idleTimeout > 0) this.#lastActivity = performance.now();
      if (count) {
        this.bytes += n;
        this.#counters.bytesSent += n;
      }
    }
  }

  #armIdleTimer(ms: number): void {
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      const idle = performance.now() - this.#lastActivity;
      if (idle >= this.#idleTimeout) {
        this.stop("idle", IDLE_MESSAGE, 100);
      } else {
        this.#armIdleTimer(this.#idleTimeout - idle);
      }
    }, Math.max(1, Math.ceil(ms)));
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#goodbyeSettled?.resolve();
    this.#closedSignal?.resolve();
    this.#clearIdleTimer();
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
  }
}
