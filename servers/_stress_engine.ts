/**
 * The load generator of one worker: `connections` raw HTTP/1.1 keep-alive connections
 * over `Deno.connect` / `Deno.connectTls` in one event loop, writing a pre-encoded
 * request and parsing responses from bytes. Counts go to a shared `Uint32Array` (for
 * live progress) and, at the end, to an {@linkcode EngineResult}.
 *
 * @module
 */

import { Histogram, type HistogramData } from "./_histogram.ts";
import { repeatRequest } from "./_http_request.ts";
import { ProtocolError, ResponseParser } from "./_http_response_parser.ts";

/** Failure causes, in the order of the engine's counters. */
export const FAILURE_CAUSES = [
  "timeout",
  "refused",
  "reset",
  "protocol",
  "http4xx",
  "http5xx",
  "other",
] as const;

/** One failure cause. */
export type FailureCause = typeof FAILURE_CAUSES[number];

const TIMEOUT = 0;
const REFUSED = 1;
const RESET = 2;
const PROTOCOL = 3;
const HTTP4XX = 4;
const HTTP5XX = 5;
const OTHER = 6;

/** Layout of the shared progress memory (`SharedArray("uint32")` indexes; counts wrap at 2^32). */
export const PROGRESS = {
  /** Set to 1 to stop every worker. */
  stop: 0,
  /** First slot of worker 0; each worker owns {@linkcode PROGRESS.slotSize} entries. */
  firstSlot: 4,
  /** Entries per worker: sent, completed, failures, connections open. */
  slotSize: 4,
} as const;

/** What one worker is asked to do. */
export interface EngineConfig {
  /** Host name to connect to. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Use TLS. */
  tls: boolean;
  /** PEM CA certificates to trust for TLS, besides the system's. */
  caCerts: string[] | undefined;
  /** The encoded request. */
  request: Uint8Array;
  /** True for `HEAD` requests (responses have no body). */
  head: boolean;
  /** Connections of this worker. */
  connections: number;
  /** Requests in flight per connection. */
  pipeline: number;
  /** Requests for this worker (count mode), or `undefined`. */
  requests: number | undefined;
  /** Run length in ms (duration mode), or `undefined`. */
  durationMs: number | undefined;
  /** Requests per second for this worker (constant arrival), or `undefined`. */
  rate: number | undefined;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Index of this worker's progress slot. */
  slot: number;
}

/** Counts of one second of the run, from one worker. */
export interface SecondData {
  /** Seconds since the start. */
  second: number;
  /** Requests finished in that second (successes and failures). */
  completed: number;
  /** Failures in that second. */
  failures: number;
  /** Latencies of that second. */
  histogram: HistogramData;
}

/** What one worker reports at the end. */
export interface EngineResult {
  /** Requests written (or attempted, when connecting failed). */
  sent: number;
  /** Responses with a 1xx–3xx status. */
  successes: number;
  /** Failures per cause, in the order of {@linkcode FAILURE_CAUSES}. */
  failures: number[];
  /** Requests still in flight when the run stopped. */
  inFlight: number;
  /** Count per status code. */
  statusCodes: Record<string, number>;
  /** Bytes read from the sockets. */
  bytesRead: number;
  /** Latencies of all responses. */
  histogram: HistogramData;
}

type Conn = Deno.Conn | Deno.TlsConn;

interface ConnState {
  conn: Conn | undefined;
  /** Send times (performance.now()) of the requests in flight: a ring from `head`. */
  sentAt: Float64Array;
  /** Latency start of the requests in flight (the intended time with a rate), same ring. */
  startAt: Float64Array;
  /** Index of the oldest request in flight in `sentAt`/`startAt`. */
  head: number;
  /** Number of requests in flight (at most the pipeline depth). */
  count: number;
  /** The write in progress, when one did not finish at once. */
  writing: Promise<void> | undefined;
  /** The error of a failed write (the connection is then closed). */
  writeError: unknown;
  /** The bytes of the last write started. */
  lastWrite: Uint8Array;
  /** Finishes a partial write. */
  onWritten: (n: number) => void;
  /** Records a failed write and closes the connection. */
  onWriteError: (error: unknown) => void;
  timedOut: boolean;
  stopped: boolean;
}

function classifyConnectError(error: unknown): number {
  if (error instanceof Deno.errors.ConnectionRefused) return REFUSED;
  if (
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted || error instanceof Deno.errors.UnexpectedEof
  ) return RESET;
  if (error instanceof Deno.errors.TimedOut) return TIMEOUT;
  return OTHER;
}

/**
 * Runs one worker's share of a stress run.
 *
 * @param config What to do.
 * @param progress The shared progress memory (see {@linkcode PROGRESS}).
 * @param startEpoch The run's start, in ms since the epoch (`Date.now()`).
 * @param onSecond Receives the counts of each finished second.
 * @returns The worker's counts.
 */
export async function runEngine(
  config: EngineConfig,
  progress: Uint32Array,
  startEpoch: number,
  onSecond: (data: SecondData) => void,
): Promise<EngineResult> {
  const perfOffset = Date.now() - performance.now();
  const startPerf = startEpoch - perfOffset;
  const deadline = config.durationMs === undefined ? Infinity : startPerf + config.durationMs;
  const drainGrace = Math.min(config.timeoutMs, 1000);
  const base = PROGRESS.firstSlot + config.slot * PROGRESS.slotSize;
  const depth = config.pipeline;
  const batches: Uint8Array[] = [new Uint8Array(0)];
  for (let k = 1; k <= depth; k++) batches.push(repeatRequest(config.request, k));

  const histogram = new Histogram();
  const failures = [0, 0, 0, 0, 0, 0, 0];
  const statusCounts = new Float64Array(1000);
  let sent = 0;
  let successes = 0;
  let failed = 0;
  let inFlight = 0;
  let bytesRead = 0;
  let remaining = config.requests ?? Infinity;
  let stopping = false;
  let nextArrival = 0; // index of the next request in rate mode
  const interval = config.rate === undefined ? 0 : 1000 / config.rate;

  let second = 0;
  let secondHist = new Histogram();
  let secondCompleted = 0;
  let secondFailures = 0;
  const flushSecond = (now: number): void => {
    const current = Math.floor((now - startPerf) / 1000);
    if (current <= second) return;
    if (secondCompleted > 0 || secondFailures > 0) {
      // Latencies are recorded once, per second, and added to the total here.
      histogram.merge(secondHist);
      onSecond({
        second,
        completed: secondCompleted,
        failures: secondFailures,
        histogram: secondHist.data(),
      });
      secondHist = new Histogram();
    }
    secondCompleted = 0;
    secondFailures = 0;
    second = current;
  };

  /** Publishes the live counts (batched: the ticker calls it, and the end). */
  const publish = (): void => {
    Atomics.store(progress, base, sent);
    Atomics.store(progress, base + 1, successes + failed);
    Atomics.store(progress, base + 2, failed);
  };

  const stopRequested = (): boolean => stopping || Atomics.load(progress, PROGRESS.stop) === 1;

  /** Takes one request to send; false when the run has no more. */
  const take = (now: number): boolean => {
    if (remaining <= 0 || now >= deadline || stopRequested()) return false;
    remaining--;
    sent++;
    return true;
  };

  const fail = (cause: number, count: number, now: number): void => {
    if (count === 0) return;
    if (now >= startPerf + second * 1000 + 1000) flushSecond(now);
    failures[cause] += count;
    failed += count;
    secondFailures += count;
    secondCompleted += count;
  };

  const respond = (status: number, latency: number, now: number): void => {
    if (now >= startPerf + second * 1000 + 1000) flushSecond(now);
    secondHist.record(latency * 1000);
    secondCompleted++;
    statusCounts[status]++;
    if (status < 400) {
      successes++;
    } else {
      const cause = status < 500 ? HTTP4XX : HTTP5XX;
      failures[cause]++;
      failed++;
      secondFailures++;
    }
  };

  const connect = async (): Promise<Conn> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = config.tls
      ? Deno.connectTls({ hostname: config.hostname, port: config.port, caCerts: config.caCerts })
      : Deno.connect({ hostname: config.hostname, port: config.port });
    try {
      return await Promise.race([
        attempt,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            attempt.then((c) => c.close(), () => {});
            reject(new Deno.errors.TimedOut("Connecting timed out"));
          }, config.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  const states: ConnState[] = [];

  /** Drops the requests in flight of a connection; returns how many there were. */
  const clearInFlight = (state: ConnState): number => {
    const count = state.count;
    state.count = 0;
    state.head = 0;
    return count;
  };

  /**
   * Writes without waiting: the read of the response is issued at once. A write that
   * fails closes the connection, so the read fails too and the loop settles the requests.
   */
  const send = (state: ConnState, bytes: Uint8Array): void => {
    const conn = state.conn!;
    if (state.writing) {
      state.writing = state.writing.then(() => writeAll(conn, bytes), state.onWriteError);
      return;
    }
    state.lastWrite = bytes;
    conn.write(bytes).then(state.onWritten, state.onWriteError);
  };

  const newState = (): ConnState => {
    const state: ConnState = {
      conn: undefined,
      sentAt: new Float64Array(depth),
      startAt: new Float64Array(depth),
      head: 0,
      count: 0,
      writing: undefined,
      writeError: undefined,
      lastWrite: batches[0],
      onWritten: (n: number): void => {
        const bytes = state.lastWrite;
        if (n < bytes.length && state.conn) {
          const rest = writeAll(state.conn, bytes.subarray(n)).then(() => {
            if (state.writing === rest) state.writing = undefined;
          }, state.onWriteError);
          state.writing = rest;
        }
      },
      onWriteError: (error: unknown): void => {
        state.writeError ??= error;
        try {
          state.conn?.close();
        } catch {
          // already closed
        }
      },
      timedOut: false,
      stopped: false,
    };
    return state;
  };

  const runConnection = async (state: ConnState): Promise<void> => {
    const parser = new ResponseParser(config.head);
    const { sentAt, startAt } = state;
    const closeConn = (): void => {
      try {
        state.conn?.close();
      } catch {
        // already closed
      }
      state.conn = undefined;
      state.writing = undefined;
      state.writeError = undefined;
      parser.reset();
    };
    // `now` is taken once per turn: after the read (the next request is sent at once,
    // with no await in between), or anew on the paths that waited or failed.
    let now = performance.now();
    while (true) {
      // An idle connection takes one request first (and waits for its time with a rate).
      let k = 0;
      if (state.count === 0) {
        state.head = 0;
        if (!take(now)) break;
        k = 1;
        let intended = now;
        if (interval > 0) {
          intended = startPerf + nextArrival++ * interval;
          if (intended >= deadline) {
            // Its time falls after the end of the run: it is not sent.
            remaining++;
            sent--;
            break;
          }
          while (intended > now && !stopRequested()) {
            await new Promise((resolve) => setTimeout(resolve, Math.min(50, intended - now)));
            now = performance.now();
          }
          if (stopRequested()) {
            remaining++;
            sent--;
            break;
          }
        }
        if (state.conn === undefined) {
          try {
            state.conn = await connect();
            if (!config.tls) (state.conn as Deno.TcpConn).setNoDelay(true);
          } catch (error) {
            state.conn = undefined;
            if (stopRequested()) inFlight++;
            else fail(classifyConnectError(error), 1, performance.now());
            now = performance.now();
            continue;
          }
          now = performance.now();
          if (interval === 0) intended = now;
        }
        sentAt[0] = now;
        startAt[0] = intended;
        state.count = 1;
      }
      // Fill the pipeline.
      if (interval === 0) {
        while (state.count < depth && take(now)) {
          let at = state.head + state.count;
          if (at >= depth) at -= depth;
          sentAt[at] = now;
          startAt[at] = now;
          state.count++;
          k++;
        }
      }
      if (k > 0) send(state, batches[k]);

      // Read responses.
      let n: number | null;
      try {
        n = await state.conn!.read(parser.space());
      } catch (error) {
        settleBroken(state, error);
        closeConn();
        now = performance.now();
        continue;
      }
      now = performance.now();
      let done: number;
      if (n === null) {
        done = parser.end();
      } else {
        bytesRead += n;
        try {
          done = parser.feed(n);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          fail(PROTOCOL, clearInFlight(state), now);
          closeConn();
          now = performance.now();
          continue;
        }
      }
      // Responses nobody asked for (more than in flight) are not counted.
      if (done > state.count) done = state.count;
      const codes = parser.codes;
      let head = state.head;
      for (let i = 0; i < done; i++) {
        respond(codes[i], now - startAt[head], now);
        if (++head === depth) head = 0;
      }
      state.head = head;
      state.count -= done;
      if (n === null) {
        // The server closed: what is still in flight was cut off.
        if (state.writeError !== undefined) settleBroken(state, state.writeError);
        else fail(RESET, clearInFlight(state), now);
        closeConn();
      } else if (parser.closeAfter) {
        // The server asked to close: pipelined requests after that one are sent again.
        const unanswered = clearInFlight(state);
        remaining += unanswered;
        sent -= unanswered;
        closeConn();
      }
      if (state.conn === undefined) now = performance.now();
    }
    closeConn();
  };

  /** Accounts for the requests in flight on a connection that broke. */
  const settleBroken = (state: ConnState, readError: unknown): void => {
    const count = clearInFlight(state);
    const error = state.writeError ?? readError;
    const now = performance.now();
    if (state.stopped) inFlight += count;
    else if (state.timedOut) fail(TIMEOUT, count, now);
    else if (
      error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted
    ) {
      fail(RESET, count, now); // closed under a pending read or write
    } else fail(classifyConnectError(error), count, now);
    state.timedOut = false;
  };

  // The ticker: timeouts, the stop flag, the end of a duration, second boundaries.
  const ticker = setInterval(() => {
    const now = performance.now();
    flushSecond(now);
    const stopNow = Atomics.load(progress, PROGRESS.stop) === 1 || now >= deadline + drainGrace;
    if (stopNow) stopping = true;
    let open = 0;
    for (const state of states) {
      if (state.conn === undefined) continue;
      open++;
      if (stopNow && !state.stopped) {
        state.stopped = true;
        try {
          state.conn.close();
        } catch {
          // already closed
        }
      } else if (
        !state.timedOut && state.count > 0 &&
        now - state.sentAt[state.head] >= config.timeoutMs
      ) {
        state.timedOut = true;
        try {
          state.conn.close();
        } catch {
          // already closed
        }
      }
    }
    Atomics.store(progress, base + 3, open);
    publish();
  }, Math.max(10, Math.min(50, config.timeoutMs / 4)));

  try {
    const runs: Promise<void>[] = [];
    for (let i = 0; i < config.connections; i++) {
      const state = newState();
      states.push(state);
      runs.push(runConnection(state));
    }
    await Promise.all(runs);
  } finally {
    clearInterval(ticker);
  }
  publish();
  Atomics.store(progress, base + 3, 0);
  flushSecond(Infinity);
  const statusCodes: Record<string, number> = {};
  statusCounts.forEach((count, code) => {
    if (count > 0) statusCodes[String(code)] = count;
  });
  return {
    sent,
    successes,
    failures,
    inFlight,
    statusCodes,
    bytesRead,
    histogram: histogram.data(),
  };
}

async function writeAll(conn: Conn, bytes: Uint8Array): Promise<void> {
  let written = await conn.write(bytes);
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
