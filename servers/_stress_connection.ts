/**
 * Private: one keep-alive connection of a stress worker, as a loop of named steps:
 *
 *     idle? ── take a request ── (rate: wait for its time) ── (closed: connect)
 *       │
 *     fill the pipeline ── send one batch ── read ── parse ── answer
 *       │                                              │
 *       └───────────── next turn ◄─────────────────────┴── server closed / asked to close
 *
 * The ticker of {@linkcode StressEngine} acts on a connection from outside: it closes
 * one whose oldest request timed out ({@linkcode Connection.timeOut}) or the run ended
 * under ({@linkcode Connection.stop}, which also gives up a connect in progress); the
 * pending read then fails and the loop settles what was in flight
 * ({@linkcode Connection.settleBroken}).
 *
 * @module
 */

import { ProtocolError, ResponseParser } from "./_http_response_parser.ts";
import type { RequestBudget } from "./_stress_budget.ts";
import type { EngineConfig } from "./_stress_engine.ts";
import { CAUSE, type Tally } from "./_stress_tally.ts";

/** A TCP or TLS connection. */
export type Conn = Deno.Conn | Deno.TlsConn;

/** What every connection of a worker shares. */
export interface RunContext {
  /** The worker's settings. */
  readonly config: EngineConfig;
  /** Which requests may still be sent. */
  readonly budget: RequestBudget;
  /** Where outcomes are counted. */
  readonly tally: Tally;
  /** `batches[k]` is `k` copies of the request back to back, for one pipelined write. */
  readonly batches: Uint8Array[];
  /** The encoded request of each template (runs with templates), else `undefined`. */
  readonly templates: Uint8Array[] | undefined;
  /** Picks the next template's index (runs with templates). */
  readonly pick: () => number;
  /** When the worker wrote its first request (`performance.now()`; `Infinity` before). */
  readonly first: { writtenAt: number };
}

/** When a connection of a ramp of connections is open, as `performance.now()` times. */
export interface OpenWindow {
  /** It opens then (the run's start for those open from the start). */
  openAt: number;
  /** It closes then, once its requests in flight are answered (`Infinity`: never). */
  closeAt: number;
}

/** How early a request of a rate may go out, in ms: a timer's tick (see `startIdle`). */
const EARLY_MS = 1;

/** Returned by {@linkcode Connection.startIdle} when the run has no more requests. */
const STOPPED = -1;
/** Returned by {@linkcode Connection.startIdle} when connecting failed (already counted). */
const FAILED = -2;

/**
 * Closes a connection, ignoring that it may be closed already: the ticker, a failed
 * write and the read loop may each close it, and the second `close()` throws
 * `BadResource`.
 */
export function closeQuietly(conn: Conn | undefined): void {
  try {
    conn?.close();
  } catch {
    // already closed
  }
}

/**
 * What an error from connecting, reading or writing says, as a failure reason: the
 * message without Deno's `(os error N)` suffix, starting in lower case, e.g.
 * `too many open files` for `EMFILE`.
 */
export function reasonOf(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error))
    .replace(/ \(os error \d+\)$/, "");
  // "Connection refused" → "connection refused", but "TLS …" stays.
  return /^[A-Z][a-z]/.test(message) ? message[0].toLowerCase() + message.slice(1) : message;
}

/** Reason of requests cut off by the server closing the connection. */
const CLOSED_EARLY = "the server closed the connection before responding";

/** The failure cause of an error from connecting, reading or writing. */
export function classifyError(error: unknown): number {
  if (error instanceof Deno.errors.ConnectionRefused) return CAUSE.refused;
  if (
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted || error instanceof Deno.errors.UnexpectedEof
  ) return CAUSE.reset;
  if (error instanceof Deno.errors.TimedOut) return CAUSE.timeout;
  return CAUSE.other;
}

async function writeAll(conn: Conn, bytes: Uint8Array): Promise<void> {
  let written = await conn.write(bytes);
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** One connection and the requests in flight on it (at most the pipeline depth). */
export class Connection {
  /** The socket, or `undefined` while closed (it is opened again for the next request). */
  conn: Conn | undefined = undefined;
  /** Send times (`performance.now()`) of the requests in flight: a ring from `head`. */
  readonly sentAt: Float64Array;
  /** Latency start of the requests in flight (the intended time with a rate), same ring. */
  readonly startAt: Float64Array;
  /** The template of the requests in flight (runs with templates), same ring. */
  readonly endpointAt: Uint32Array;
  /** Index of the oldest request in flight in `sentAt`/`startAt`. */
  head = 0;
  /** Number of requests in flight. */
  count = 0;
  /** Set by the ticker when it closed the connection for a timeout. */
  timedOut = false;
  /** Set by the ticker when it closed the connection because the run ended. */
  stopped = false;

  #run: RunContext;
  #parser: ResponseParser;
  /** The write in progress, when one did not finish at once. */
  #writing: Promise<void> | undefined = undefined;
  /** The error of a failed write (the connection is then closed). */
  #writeError: unknown = undefined;
  /** The bytes of the last write started. */
  #lastWrite: Uint8Array;
  /** Ends a pending {@linkcode Connection.connect}. */
  #giveUpConnecting: ((reason: unknown) => void) | undefined = undefined;
  /** The reason of requests that time out (one string per connection, made once). */
  #noResponse: string;
  /** When this connection opens and closes (ramps of connections). */
  #window: OpenWindow | undefined;

  /**
   * Creates a closed connection.
   *
   * @param run What the worker's connections share.
   * @param window When it opens and closes, on a ramp of connections.
   */
  constructor(run: RunContext, window?: OpenWindow) {
    this.#run = run;
    this.#window = window;
    this.#parser = new ResponseParser(run.config.head);
    this.sentAt = new Float64Array(run.config.pipeline);
    this.startAt = new Float64Array(run.config.pipeline);
    this.endpointAt = new Uint32Array(run.config.pipeline);
    this.#lastWrite = run.batches[0];
    this.#noResponse = `no response within ${run.config.timeoutMs} ms`;
  }

  /** Sends and reads until the run has no more requests for this connection. */
  async run(): Promise<void> {
    const { budget, batches, templates } = this.#run;
    const { sentAt, startAt } = this;
    const paced = budget.paced;
    // `now` is taken once per turn: after the read (the next request is sent at once,
    // with no await in between), or anew on the paths that waited or failed.
    let now = performance.now();
    if (this.#window !== undefined) {
      now = await this.waitUntil(this.#window.openAt, now);
      if (now < 0) return;
    }
    while (true) {
      let k = 0;
      if (this.count === 0) {
        this.head = 0;
        if (this.#window !== undefined && now >= this.#window.closeAt) break;
        if (!budget.take(now)) break;
        if (templates !== undefined) this.endpointAt[0] = this.#run.pick();
        k = 1;
        if (!paced && this.conn !== undefined) {
          // The common case, kept inline: an open connection at full speed.
          sentAt[0] = now;
          startAt[0] = now;
          this.count = 1;
        } else {
          const at = await this.startIdle(now);
          if (at === STOPPED) break;
          if (at === FAILED) {
            now = performance.now();
            continue;
          }
          now = at;
        }
      }
      // With a rate each request waits for its own time, so only then is there no batch.
      if (!paced) k += this.fill(now);
      if (k > 0) this.send(templates === undefined ? batches[k] : this.templateBatch(k));

      let n: number | null;
      try {
        n = await this.conn!.read(this.#parser.space());
      } catch (error) {
        this.settleBroken(error);
        this.close();
        now = performance.now();
        continue;
      }
      now = performance.now();
      const done = this.parse(n, now);
      if (done < 0) {
        now = performance.now();
        continue;
      }
      this.answer(done, now);
      // A response that asked to close, or that the close itself ended (no length):
      // the server read no request after it, so those are sent again.
      if (this.#parser.closeAfter) this.resendUnanswered();
      else if (n === null) this.serverClosed(now);
      if (this.conn === undefined) now = performance.now();
    }
    this.close();
  }

  /**
   * Waits until a connection of a ramp opens, in steps of at most 50 ms so that a stop
   * is seen within 50 ms.
   *
   * @returns The time it may start, or -1 when the run ended first.
   */
  async waitUntil(at: number, now: number): Promise<number> {
    const { budget } = this.#run;
    while (at > now) {
      if (budget.stopRequested() || now >= budget.deadline) return -1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, at - now)));
      now = performance.now();
    }
    return now;
  }

  /**
   * The bytes of the `k` newest requests in flight, for one write: the template's own
   * buffer for one request, a copy of them back to back for a pipelined batch.
   */
  templateBatch(k: number): Uint8Array {
    const templates = this.#run.templates!;
    const depth = this.endpointAt.length;
    let at = this.head + this.count - k;
    if (at >= depth) at -= depth;
    if (k === 1) return templates[this.endpointAt[at]];
    let size = 0;
    for (let i = 0, j = at; i < k; i++, j = j + 1 === depth ? 0 : j + 1) {
      size += templates[this.endpointAt[j]].byteLength;
    }
    const out = new Uint8Array(size);
    let offset = 0;
    for (let i = 0, j = at; i < k; i++, j = j + 1 === depth ? 0 : j + 1) {
      out.set(templates[this.endpointAt[j]], offset);
      offset += templates[this.endpointAt[j]].byteLength;
    }
    return out;
  }

  /**
   * Starts the first request of an idle connection on the slow path: with a rate, waits
   * for its intended time; when closed, connects (the request counts as sent, so a
   * failed connect is one failed request).
   *
   * @returns The time it was sent, {@linkcode STOPPED} or {@linkcode FAILED}.
   */
  async startIdle(now: number): Promise<number> {
    const { budget, tally } = this.#run;
    const paced = budget.paced;
    let intended = now;
    /** Overdue when taken: every connection was busy when its time came. */
    let overdue = false;
    if (paced) {
      intended = budget.nextArrival();
      overdue = now - intended > 1;
      if (intended >= budget.deadline) {
        // Its time falls after the end of the run: it is not sent.
        budget.giveBack(1);
        return STOPPED;
      }
      // Sleep in steps of at most 50 ms, so that a stop is seen within 50 ms. Timers fire
      // on a 1 ms tick, up to 1 ms after their time: sleeping until the intended start
      // itself sent half the requests over 1 ms late at 1,000/s with an idle target, so
      // the wait ends up to EARLY_MS before it (and latency then counts from the write).
      while (intended - now > EARLY_MS && !budget.stopRequested()) {
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(50, intended - now - EARLY_MS))
        );
        now = performance.now();
      }
      if (budget.stopRequested()) {
        budget.giveBack(1);
        return STOPPED;
      }
    }
    if (this.conn === undefined) {
      try {
        this.conn = await this.connect();
        if (!this.#run.config.tls) (this.conn as Deno.TcpConn).setNoDelay(true);
      } catch (error) {
        this.conn = undefined;
        const endpoint = this.endpointAt[0];
        if (budget.stopRequested()) {
          tally.inFlight++;
          if (tally.perEndpoint) tally.stopEndpoint(endpoint);
        } else {
          tally.fail(classifyError(error), 1, performance.now(), reasonOf(error));
          if (tally.perEndpoint) tally.failEndpoint(endpoint);
        }
        return FAILED;
      }
      now = performance.now();
      if (!paced) intended = now;
    }
    // Sent over 1 ms after its time: the connections (or the generator) fell behind.
    if (paced && now - intended > 1) tally.sentLate(now - intended, overdue);
    this.sentAt[0] = now;
    // Sent early (within EARLY_MS): latency counts from the write, never below service time.
    this.startAt[0] = intended < now ? intended : now;
    this.count = 1;
    return now;
  }

  /** When it opens: the run's start, or later on a ramp of connections. */
  get opensAt(): number {
    return this.#window?.openAt ?? -Infinity;
  }

  /**
   * Opens the socket before the run's start, so that its first write leaves at the
   * start; gives up at `until` (the first request then connects as usual, and a
   * failure there is counted).
   */
  async openAhead(until: number): Promise<void> {
    const timer = setTimeout(() => {
      this.#giveUpConnecting?.(new Deno.errors.TimedOut("not connected by the start"));
    }, Math.max(0, until - performance.now()));
    try {
      this.conn = await this.connect();
      if (!this.#run.config.tls) (this.conn as Deno.TcpConn).setNoDelay(true);
    } catch {
      this.conn = undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** True while the socket is being opened. */
  get connecting(): boolean {
    return this.#giveUpConnecting !== undefined;
  }

  /**
   * Opens the socket, failing with `TimedOut` after the request timeout, or at once when
   * {@linkcode Connection.stop} is called: a target that never accepts must not hold the
   * run past its drain window (it took 5.2 s, the default timeout, instead of ≤ 2 s).
   */
  async connect(): Promise<Conn> {
    const { hostname, port, tls, caCerts, timeoutMs } = this.#run.config;
    const attempt = tls
      ? Deno.connectTls({ hostname, port, caCerts })
      : Deno.connect({ hostname, port });
    const givenUp = Promise.withResolvers<never>();
    const timer = setTimeout(() => {
      givenUp.reject(new Deno.errors.TimedOut(`connecting took over ${timeoutMs} ms`));
    }, timeoutMs);
    this.#giveUpConnecting = givenUp.reject;
    try {
      return await Promise.race([attempt, givenUp.promise]);
    } catch (error) {
      attempt.then(closeQuietly, () => {}); // a connection that comes too late is closed
      throw error;
    } finally {
      clearTimeout(timer);
      this.#giveUpConnecting = undefined;
    }
  }

  /** Takes requests until the pipeline is full; returns how many it added. */
  fill(now: number): number {
    const { budget, templates } = this.#run;
    const depth = this.sentAt.length;
    let added = 0;
    // A connection past its close time on a ramp down only finishes what is in flight.
    if (this.#window !== undefined && now >= this.#window.closeAt) return 0;
    while (this.count < depth && budget.take(now)) {
      let at = this.head + this.count;
      if (at >= depth) at -= depth;
      if (templates !== undefined) this.endpointAt[at] = this.#run.pick();
      this.sentAt[at] = now;
      this.startAt[at] = now;
      this.count++;
      added++;
    }
    return added;
  }

  /**
   * Writes without waiting: the read of the response is issued at once. A write that
   * fails closes the connection, so the read fails too and the loop settles the requests.
   */
  send(bytes: Uint8Array): void {
    const conn = this.conn!;
    const first = this.#run.first;
    if (first.writtenAt === Infinity) first.writtenAt = performance.now();
    if (this.#writing) {
      this.#writing = this.#writing.then(() => writeAll(conn, bytes), this.#onWriteError);
      return;
    }
    this.#lastWrite = bytes;
    conn.write(bytes).then(this.#onWritten, this.#onWriteError);
  }

  /** Finishes a partial write (bound once, so that a write allocates no closure). */
  #onWritten = (n: number): void => {
    const bytes = this.#lastWrite;
    if (n < bytes.length && this.conn) {
      const rest = writeAll(this.conn, bytes.subarray(n)).then(() => {
        if (this.#writing === rest) this.#writing = undefined;
      }, this.#onWriteError);
      this.#writing = rest;
    }
  };

  /** Records a failed write and closes the connection (the pending read then fails). */
  #onWriteError = (error: unknown): void => {
    this.#writeError ??= error;
    closeQuietly(this.conn);
  };

  /**
   * Parses `n` bytes just read (`null`: the server closed).
   *
   * @returns How many responses completed, or -1 when the bytes broke HTTP framing (the
   * requests in flight then failed as `protocol` and the connection is closed).
   */
  parse(n: number | null, now: number): number {
    const parser = this.#parser;
    if (n === null) return parser.end();
    this.#run.tally.bytesRead += n;
    try {
      return parser.feed(n);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#run.tally.fail(CAUSE.protocol, this.settleInFlight(false), now, error.message);
      this.close();
      return -1;
    }
  }

  /** Counts the `done` oldest requests in flight as answered, by the parser's statuses. */
  answer(done: number, now: number): void {
    // Responses nobody asked for (more than in flight) are not counted.
    if (done > this.count) done = this.count;
    const { tally } = this.#run;
    const codes = this.#parser.codes;
    const { startAt, sentAt, endpointAt } = this;
    const depth = startAt.length;
    let head = this.head;
    for (let i = 0; i < done; i++) {
      tally.respond(codes[i], now - startAt[head], now - sentAt[head], now, endpointAt[head]);
      if (++head === depth) head = 0;
    }
    this.head = head;
    this.count -= done;
  }

  /** The server closed: what is still in flight was cut off. */
  serverClosed(now: number): void {
    if (this.#writeError !== undefined) this.settleBroken(this.#writeError);
    else this.#run.tally.fail(CAUSE.reset, this.settleInFlight(false), now, CLOSED_EARLY);
    this.close();
  }

  /** The server closed after a response: pipelined requests after it are sent again. */
  resendUnanswered(): void {
    this.#run.budget.giveBack(this.clearInFlight());
    this.close();
  }

  /**
   * Accounts for the requests in flight on a connection that broke under a read, or
   * whose header block outgrew the read buffer (64 KiB: `protocol`).
   */
  settleBroken(readError: unknown): void {
    const { tally } = this.#run;
    const count = this.settleInFlight(this.stopped && !(readError instanceof ProtocolError));
    const error = this.#writeError ?? readError;
    const now = performance.now();
    if (readError instanceof ProtocolError) {
      tally.fail(CAUSE.protocol, count, now, readError.message);
    } else if (this.stopped) tally.inFlight += count;
    else if (this.timedOut) tally.fail(CAUSE.timeout, count, now, this.#noResponse);
    else if (
      error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted
    ) {
      // Closed under a pending read or write.
      tally.fail(CAUSE.reset, count, now, "the connection was closed under a read or write");
    } else tally.fail(classifyError(error), count, now, reasonOf(error));
    this.timedOut = false;
  }

  /**
   * Drops the requests in flight, counting them per template as failed or (`stopped`)
   * as in flight when the run stopped; returns how many there were.
   */
  settleInFlight(stopped: boolean): number {
    const { tally } = this.#run;
    if (tally.perEndpoint) {
      const depth = this.endpointAt.length;
      for (let i = 0, j = this.head; i < this.count; i++, j = j + 1 === depth ? 0 : j + 1) {
        if (stopped) tally.stopEndpoint(this.endpointAt[j]);
        else tally.failEndpoint(this.endpointAt[j]);
      }
    }
    return this.clearInFlight();
  }

  /** Drops the requests in flight; returns how many there were. */
  clearInFlight(): number {
    const count = this.count;
    this.count = 0;
    this.head = 0;
    return count;
  }

  /** Closes the socket and forgets its state; the next request opens a new one. */
  close(): void {
    closeQuietly(this.conn);
    this.conn = undefined;
    this.#writing = undefined;
    this.#writeError = undefined;
    this.#parser.reset();
  }

  /** Closes the socket because its oldest request timed out (the read loop counts it). */
  timeOut(): void {
    this.timedOut = true;
    closeQuietly(this.conn);
  }

  /**
   * Closes the socket, or gives up connecting, because the run ended (what is in flight
   * counts as `inFlight`).
   */
  stop(): void {
    this.stopped = true;
    closeQuietly(this.conn);
    this.#giveUpConnecting?.(new Deno.errors.Interrupted("the run ended while connecting"));
  }
}
