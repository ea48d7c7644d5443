// Copyright 2026 the Tandem authors. MIT license.
/**
 * The load tester's web GUI: {@linkcode serveGui} serves a small page and an HTTP API over
 * `Deno.serve`, runs `runStress` for the page and pushes progress with Server-Sent Events.
 *
 * @module
 */

import { ServerSentEventStream } from "@std/http/server-sent-event-stream";
import {
  runStress,
  type StressControl,
  type StressOptions,
  type StressReport,
} from "../servers/stress.ts";
import { allowedHosts, checkHost, checkOrigin } from "./_guard.ts";
import { pageHtml } from "./_page_html.ts";
import { PAGE_CSS } from "./_page_css.ts";
import { PAGE_JS } from "./_page_js.ts";
import { RunRegistry, type SseMessage } from "./_runs.ts";
import { MAX_BODY_BYTES, type RunRequest, validateRunRequest } from "./_validate.ts";
import { readBody } from "./_body.ts";
import { HISTORY_ID, RunHistory } from "./_history.ts";
import { compareReports } from "../servers/stress_compare.ts";
import { renderHtmlReport } from "../servers/_html_report.ts";
import { UPLOT_CSS, UPLOT_JS } from "../servers/_uplot_asset.ts";
import { integerError, type IntegerRange, MAX_DELAY_MS } from "../sync/_checks.ts";

// Every type the options, progress and report name, so that the GUI's docs are whole.
export type {
  HistogramData,
  Ramp,
  RateStage,
  RedisClient,
  RequestTemplate,
  RequestTemplateInit,
  StressAgentProgress,
  StressClusterOptions,
  StressControl,
  StressEndpoint,
  StressFailureReason,
  StressFailures,
  StressHistogramBucket,
  StressLatency,
  StressOptions,
  StressProgress,
  StressReport,
  StressSecond,
  StressThresholdResult,
} from "../servers/stress.ts";

/**
 * The function that performs a run: {@linkcode runStress} from `servers/` by default. Tests
 * and embedders may pass their own to {@linkcode serveGui}, e.g. to add headers or a timeout.
 *
 * @example Add a request timeout to every run
 * ```ts
 * import { serveGui, type StressRunner } from "@tandem/tandem/gui-web";
 * import { runStress } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const withTimeout: StressRunner = (options, control) =>
 *   runStress({ ...options, timeout: 2_000 }, control);
 * await using gui = serveGui({ port: 0, runStress: withTimeout });
 * assertEquals(gui.stats.runs, 0);
 * ```
 */
export type StressRunner = (
  options: StressOptions,
  control?: StressControl,
) => Promise<StressReport>;

/**
 * Options of {@linkcode serveGui}.
 */
export interface ServeGuiOptions {
  /**
   * The host name or address to bind to. Anything but loopback exposes a tool that sends
   * traffic on the user's behalf: do so only on a trusted network.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port to listen on; `0` picks a free one (read it from `addr` or `url`).
   *
   * @default {8000}
   */
  port?: number;
  /** Aborting it shuts the server down, like {@linkcode GuiServer.shutdown}. */
  signal?: AbortSignal;
  /**
   * The largest `requests` a run may ask for; larger ones get `400`.
   *
   * @default {1000000}
   */
  maxRequests?: number;
  /**
   * The largest `concurrency` a run may ask for; larger ones get `400`.
   *
   * @default {1000}
   */
  maxConcurrency?: number;
  /**
   * How many runs may be running at once; one more gets `429`.
   *
   * @default {2}
   */
  maxActiveRuns?: number;
  /**
   * How many ended runs are kept for late or reconnecting watchers.
   *
   * @default {20}
   */
  retainRuns?: number;
  /**
   * How long an ended run is kept, in milliseconds.
   *
   * @default {600000}
   */
  retainMs?: number;
  /**
   * The interval between `progress` events, in milliseconds.
   *
   * @default {200}
   */
  progressIntervalMs?: number;
  /**
   * How long the body of a `POST /api/runs` may take to arrive, in milliseconds; a slower
   * one gets `408` and its connection is closed.
   *
   * @default {10000}
   */
  bodyTimeoutMs?: number;
  /**
   * Extra `Host` header values to accept (`name` or `name:port`), for a server reached
   * under a name other than its bound address. Every other `Host` gets `403`, which
   * defeats DNS rebinding.
   *
   * @default {[]}
   */
  allowedHosts?: readonly string[];
  /**
   * The function that performs runs. Tests pass a stand-in.
   *
   * @default {runStress}
   */
  runStress?: StressRunner;
  /**
   * A folder that keeps every run's report as `ID.json` (the JSON of
   * `deno task stress --json`) across restarts; its `*.json` files are listed at start.
   * Created when missing; one that cannot be written throws at once. Without it, the
   * history lives in memory until the server stops.
   */
  historyDir?: string;
  /**
   * Sends every run to stress agents (`deno task stress-agent`) through Redis instead of
   * running it here: the page then shows the agents. The coordinator (BullMQ, ioredis)
   * is loaded at the first run only. Ignored when `runStress` is given.
   */
  cluster?: GuiClusterOptions;
}

/** Where the agents of {@linkcode ServeGuiOptions.cluster} are. */
export interface GuiClusterOptions {
  /** The Redis server the agents use: `redis://HOST:PORT` (or `rediss://`). */
  redis: string;
  /** How many idle agents share each run. */
  agents: number;
  /**
   * How long a run waits for that many idle agents, in ms.
   *
   * @default {10000}
   */
  agentsTimeoutMs?: number;
}

/**
 * Counts of the server's runs and open event streams.
 */
export interface GuiStats {
  /** Runs kept, running or ended. */
  runs: number;
  /** Runs still running. */
  activeRuns: number;
  /** Open event streams (browser tabs watching) over all runs. */
  watchers: number;
}

/**
 * A running GUI server.
 *
 * @example Stop it with an AbortSignal
 * ```ts
 * import { serveGui } from "@tandem/tandem/gui-web";
 * import { assertEquals } from "@std/assert";
 *
 * const controller = new AbortController();
 * const gui = serveGui({ port: 0, signal: controller.signal });
 * const page = await fetch(gui.url);
 * assertEquals(page.status, 200);
 * await page.body?.cancel();
 * controller.abort();
 * await gui.finished;
 * ```
 */
export interface GuiServer extends AsyncDisposable {
  /** The address the server listens on. */
  readonly addr: Deno.NetAddr;
  /** The URL to open in a browser, e.g. `http://127.0.0.1:8000/`. */
  readonly url: string;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  /**
   * Counts of runs and watchers.
   *
   * @example A new server has nothing running
   * ```ts
   * import { serveGui } from "@tandem/tandem/gui-web";
   * import { assertEquals } from "@std/assert";
   *
   * await using gui = serveGui({ port: 0 });
   * assertEquals(gui.stats, { runs: 0, activeRuns: 0, watchers: 0 });
   * ```
   */
  readonly stats: GuiStats;
  /**
   * Cancels every run, sends each watcher its final event, answers a body still being
   * sent with `503`, then stops listening. Responses get one second to reach their
   * clients; connections still open then (a client that does not read, or that sends a
   * body it never ends) are closed, so no client can hold the shutdown up.
   *
   * @returns A promise that resolves once the server has stopped.
   */
  shutdown(): Promise<void>;
}

/**
 * How long shutdown lets responses already under way (final events, `503`s) reach their
 * clients before it closes every connection: they take a few milliseconds on loopback,
 * and a client that does not read must not hold the server open.
 */
const SHUTDOWN_GRACE_MS = 1_000;
const ACTION = "Cannot serve GUI";
const RUN_PATH =
  /^\/api\/runs\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/events)?$/;
const COMMON_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};
const PAGE_HEADERS = {
  ...COMMON_HEADERS,
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...COMMON_HEADERS, "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { ...PAGE_HEADERS, "content-type": type } });
}

/**
 * A runner that shares each run out over the agents of `cluster` (`runStress`'s
 * `cluster` control, which loads the coordinator, BullMQ and ioredis only then).
 */
function clusterRunner(cluster: GuiClusterOptions): StressRunner {
  return (options, control = {}) => runStress(options, { ...control, cluster });
}

/** `cluster` checked, its URL without a password (the page shows it). */
function checkCluster(cluster: GuiClusterOptions): string {
  if (typeof cluster !== "object" || cluster === null) {
    throw new TypeError(`${ACTION} as 'cluster' must be an object: received ${cluster}`);
  }
  let url: URL | undefined;
  try {
    url = new URL(cluster.redis);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "redis:" && url.protocol !== "rediss:")) {
    throw new TypeError(
      `${ACTION} as 'cluster.redis' must be a redis:// URL: received '${cluster.redis}'`,
    );
  }
  const error = integerError(cluster.agents, "cluster.agents", ACTION, { max: 1000 });
  if (error !== undefined) throw error;
  url.password = "";
  url.username = "";
  return url.href;
}

async function netAllowed(url: string): Promise<boolean> {
  const target = new URL(url);
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  const status = await Deno.permissions.query({ name: "net", host: `${target.hostname}:${port}` });
  return status.state === "granted";
}

interface Limits {
  maxRequests: number;
  maxConcurrency: number;
  bodyTimeoutMs: number;
  /** Runs go to agents, which send the traffic: this process needs no net access to it. */
  remote: boolean;
  /** Aborted when the server shuts down. */
  stopping: AbortSignal;
}

async function createRun(
  request: Request,
  registry: RunRegistry,
  limits: Limits,
): Promise<Response> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return json(415, {
      error: `Cannot start run as the body must be 'application/json': received '${type}'`,
    });
  }
  const body = await readBody(request, {
    maxBytes: MAX_BODY_BYTES,
    timeoutMs: limits.bodyTimeoutMs,
    signal: limits.stopping,
  });
  // The rest of an unfinished body is never read: close the connection with the answer.
  const close = { connection: "close" };
  switch (body.kind) {
    case "too-large":
      return json(413, {
        error:
          `Cannot start run as the body is too large: over ${MAX_BODY_BYTES} bytes (a requests file may have 8 MiB, the rest 16 KiB)`,
      });
    case "timeout":
      return json(408, {
        error: `Cannot start run as the body did not arrive within ${limits.bodyTimeoutMs} ms`,
      }, close);
    case "stopped":
      return json(503, { error: "Cannot start run as the server is shutting down" }, close);
    case "broken":
      return json(400, { error: `Cannot start run as the body cannot be read: ${body.message}` });
  }
  const text = body.text;
  const checked = validateRunRequest(text, limits);
  if (!checked.ok) {
    return json(checked.status ?? 400, { error: checked.error, field: checked.field });
  }
  if (!limits.remote && !await netAllowed(checked.value.url)) {
    const host = new URL(checked.value.url).host;
    return json(400, {
      field: "url",
      error:
        `Cannot start run as network access to '${host}' is not allowed: restart the GUI with --allow-net including '${host}'`,
    });
  }
  try {
    const run = registry.start(checked.value);
    return json(201, { id: run.id }, { location: `/api/runs/${run.id}` });
  } catch (error) {
    if (error instanceof RangeError) return json(429, { error: error.message });
    return json(503, { error: (error as Error).message });
  }
}

function events(request: Request, registry: RunRegistry, id: string): Response {
  const run = registry.get(id);
  if (run === undefined) return json(404, { error: `Cannot find run: '${id}'` });
  const header = request.headers.get("last-event-id");
  const lastEventId = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  const stream = run.watch(lastEventId);
  if (stream === undefined) return new Response(null, { status: 204, headers: COMMON_HEADERS });
  const body: ReadableStream<Uint8Array> = stream.pipeThrough<Uint8Array>(
    new ServerSentEventStream() as TransformStream<SseMessage, Uint8Array>,
  );
  return new Response(body, {
    headers: {
      ...COMMON_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-store",
    },
  });
}

/** A run's request as `GET /api/runs/:id` shows it: a requests file by name and endpoints. */
function shownRequest(request: RunRequest): unknown {
  const { requestsFile, templates, ...rest } = request;
  if (requestsFile === undefined) return rest;
  return { ...rest, requestsFile: { ...requestsFile, endpoints: templates?.map((t) => t.name) } };
}

function describe(registry: RunRegistry, id: string): Response {
  const run = registry.get(id);
  if (run === undefined) return json(404, { error: `Cannot find run: '${id}'` });
  return json(200, {
    id: run.id,
    state: run.state,
    request: shownRequest(run.request),
    progress: run.progress,
    outcome: run.outcome ?? null,
  });
}

function cancel(registry: RunRegistry, id: string): Response {
  const run = registry.get(id);
  if (run === undefined) return json(404, { error: `Cannot find run: '${id}'` });
  const running = run.state === "running";
  run.cancel();
  return json(running ? 202 : 200, { id: run.id, state: running ? "cancelling" : run.state });
}

const STYLE = UPLOT_CSS + "\n" + PAGE_CSS;
const HISTORY_PATH = /^\/api\/history\/([^/]+?)(\/report\.html)?$/;

function historyRoute(pathname: string, query: URLSearchParams, history: RunHistory): Response {
  if (pathname === "/api/history") {
    return json(200, {
      dir: history.dir ?? null,
      runs: history.list(),
      warnings: history.warnings,
    });
  }
  const match = HISTORY_PATH.exec(pathname);
  // Ids are plain file names: one with a %-escape is not one of them.
  const id = match === null ? "" : match[1];
  const report = HISTORY_ID.test(id) ? history.get(id) : undefined;
  if (match === null || report === undefined) {
    return json(404, { error: `Cannot find run in history: '${id}'` });
  }
  if (match[2] !== undefined) {
    return new Response(renderHtmlReport(report), {
      headers: {
        ...COMMON_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "content-disposition": `attachment; filename="stress-${id}.html"`,
        // Meant to be saved and opened from disk, never rendered under this origin.
        "content-security-policy": "sandbox",
      },
    });
  }
  const download = query.has("download")
    ? { "content-disposition": `attachment; filename="stress-${id}.json"` }
    : undefined;
  return new Response(JSON.stringify(report, null, 2) + "\n", {
    headers: { ...COMMON_HEADERS, "content-type": "application/json; charset=utf-8", ...download },
  });
}

function compareRoute(query: URLSearchParams, history: RunHistory): Response {
  const ids = [query.get("before") ?? "", query.get("after") ?? ""];
  const [before, after] = ids.map((id) => history.get(id));
  for (const [i, report] of [before, after].entries()) {
    if (report === undefined) {
      return json(404, { error: `Cannot compare runs as '${ids[i]}' is not in the history` });
    }
  }
  try {
    return json(200, compareReports(before!, after!));
  } catch (error) {
    return json(400, { error: (error as Error).message });
  }
}

function methodNotAllowed(allow: string): Response {
  return json(405, { error: `Cannot serve request as the method is not allowed: use ${allow}` }, {
    allow,
  });
}

/**
 * Serves the load tester's web GUI: the page at `/`, and the HTTP API it uses:
 *
 * - `POST /api/runs` with JSON `{ url, requests, concurrency }` starts a run with
 *   `runStress`: `201 { id }`, or `400 { error, field }` for bad input. Optional fields:
 *   `duration` (ms, instead of `requests`), `rate`, `stages`, `method`, `headers` (an
 *   object or lines `Name: value`), `body`, `timeout` (ms) and `thresholds` (expressions
 *   such as `p99<250ms`, judged on the report). `rate` and `concurrency` also take a ramp
 *   as the CLI writes it (`"100:2000/30s"`, `"10:200/30s"`), and `stages` the CLI's steps
 *   (`"30s:500,1m:2000,30s:0"`, instead of `requests` and `duration`), with the CLI's
 *   messages. `requestsFile` `{ name, text, format?, cookies? }` carries the text of a
 *   file of request templates, JSON Lines as for `--requests-file` or a HAR export as for
 *   `--har` (`format` `"har"` or a name ending in `.har`), read by the CLI's parser
 *   against `url` (which it may then omit); its errors name the line or entry. It
 *   excludes `method` and `body`, may have 8 MiB (the rest of the body 16 KiB: `413`
 *   beyond), and the report has `endpoints`.
 * - `GET /api/runs/:id/events` streams `progress` events (5 a second by default) and one
 *   final `done`, `cancelled` or `error` event carrying `{ state, report, error? }`.
 *   Event ids let a reconnecting `EventSource` resume (`Last-Event-ID`) without losing
 *   the final event; `204` when it has already seen it.
 * - `GET /api/runs/:id` tells the state, and `DELETE /api/runs/:id` cancels.
 *
 * - `GET /api/history` lists every run with a report (and `warnings` about history files
 *   skipped); `GET /api/history/:id` is its report as JSON (`?download` to save it), and
 *   `GET /api/history/:id/report.html` the one-file HTML report.
 * - `GET /api/compare?before=ID&after=ID` compares two of them (`compareReports`).
 *
 * Every request must carry a `Host` naming this server (DNS rebinding). `POST` and
 * `DELETE` from a browser must be same-origin (`Sec-Fetch-Site`, else `Origin`): else
 * `403`; a client that sends neither header (curl) is not a browser and may. A run
 * request that names a field it does not know gets `400` naming it; one whose body does
 * not arrive within `bodyTimeoutMs` gets `408`.
 *
 * @param options Where to listen, limits, and the runner.
 * @returns The running server; dispose of it or call `shutdown()` to stop it.
 * @throws {RangeError} When `port` or a limit is out of range.
 * @throws {TypeError} When `port` or a limit is not a number.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 * @throws {Deno.errors.NotCapable} When `--allow-net` does not grant `hostname`.
 * @throws {Error} When `historyDir` cannot be created, read or written.
 *
 * @example Start a run through the API
 * ```ts
 * import { serveGui } from "@tandem/tandem/gui-web";
 * import { assertEquals } from "@std/assert";
 *
 * await using gui = serveGui({
 *   port: 0,
 *   // A stand-in for runStress that fails at once: no traffic is sent.
 *   runStress: () => Promise.reject(new Error("no target")),
 * });
 * const response = await fetch(new URL("/api/runs", gui.url), {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ url: "ftp://127.0.0.1/", requests: 10, concurrency: 2 }),
 * });
 * assertEquals(response.status, 400);
 * assertEquals((await response.json()).field, "url");
 * ```
 */
export function serveGui(options: ServeGuiOptions = {}): GuiServer {
  const {
    hostname = "127.0.0.1",
    port = 8000,
    signal,
    maxRequests = 1_000_000,
    maxConcurrency = 1_000,
    maxActiveRuns = 2,
    retainRuns = 20,
    retainMs = 600_000,
    progressIntervalMs = 200,
    bodyTimeoutMs = 10_000,
  } = options;
  // The two timer options stop at 2³¹−1 ms: a timer given more fires after 1 ms.
  const ranges: [string, number, IntegerRange][] = [
    ["port", port, { min: 0, max: 65535 }],
    ["maxRequests", maxRequests, {}],
    ["maxConcurrency", maxConcurrency, {}],
    ["maxActiveRuns", maxActiveRuns, {}],
    ["retainRuns", retainRuns, { min: 0 }],
    ["retainMs", retainMs, { min: 0 }],
    ["progressIntervalMs", progressIntervalMs, { min: 10, max: MAX_DELAY_MS }],
    ["bodyTimeoutMs", bodyTimeoutMs, { min: 1, max: MAX_DELAY_MS }],
  ];
  for (const [what, value, range] of ranges) {
    const error = integerError(value, what, ACTION, range);
    if (error !== undefined) throw error;
  }
  // Aborted first thing at shutdown: bodies still being read are answered at once.
  const stopping = new AbortController();
  const cluster = options.cluster;
  const shownRedis = cluster === undefined ? undefined : checkCluster(cluster);
  const remote = cluster !== undefined && options.runStress === undefined;
  const limits = {
    maxRequests,
    maxConcurrency,
    bodyTimeoutMs,
    remote,
    stopping: stopping.signal,
  };
  const history = options.historyDir === undefined
    ? RunHistory.inMemory()
    : RunHistory.open(options.historyDir);
  const registry = new RunRegistry({
    runner: options.runStress ?? (cluster ? clusterRunner(cluster) : runStress),
    maxActiveRuns,
    retainRuns,
    retainMs,
    progressIntervalMs,
    onEnd: (run) => {
      const report = run.outcome?.report;
      if (report) void history.add(run.id, report);
    },
  });
  const page = pageHtml({
    ...limits,
    ...(remote && { cluster: { redis: shownRedis!, agents: cluster!.agents } }),
  });
  let hosts = new Set<string>();

  // Responses under way, so that shutdown can give them a moment to reach their clients.
  const underWay = new Set<Promise<void>>();
  const handler = async (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const sent = info.completed.catch(() => {});
    underWay.add(sent);
    void sent.then(() => underWay.delete(sent));
    if (stopping.signal.aborted) {
      return json(503, { error: "Cannot serve request as the server is shutting down" }, {
        connection: "close",
      });
    }
    const hostError = checkHost(request, hosts);
    if (hostError !== undefined) return json(403, { error: hostError });
    const { pathname } = new URL(request.url);
    const method = request.method;
    if (pathname === "/" || pathname === "/index.html") {
      if (method !== "GET" && method !== "HEAD") return methodNotAllowed("GET, HEAD");
      return asset(page, "text/html; charset=utf-8");
    }
    if (pathname === "/app.js") return asset(PAGE_JS, "text/javascript; charset=utf-8");
    if (pathname === "/uplot.js") return asset(UPLOT_JS, "text/javascript; charset=utf-8");
    if (pathname === "/app.css") return asset(STYLE, "text/css; charset=utf-8");
    if (pathname === "/api/history" || pathname.startsWith("/api/history/")) {
      if (method !== "GET") return methodNotAllowed("GET");
      return historyRoute(pathname, new URL(request.url).searchParams, history);
    }
    if (pathname === "/api/compare") {
      if (method !== "GET") return methodNotAllowed("GET");
      return compareRoute(new URL(request.url).searchParams, history);
    }
    if (pathname === "/api/runs") {
      if (method !== "POST") return methodNotAllowed("POST");
      const originError = checkOrigin(request);
      if (originError !== undefined) return json(403, { error: originError });
      return await createRun(request, registry, limits);
    }
    const match = RUN_PATH.exec(pathname);
    if (match === null) return json(404, { error: `Cannot find '${pathname}'` });
    const [, id, isEvents] = match;
    if (isEvents !== undefined) {
      if (method !== "GET") return methodNotAllowed("GET");
      return events(request, registry, id);
    }
    if (method === "GET") return describe(registry, id);
    if (method !== "DELETE") return methodNotAllowed("GET, DELETE");
    const originError = checkOrigin(request);
    if (originError !== undefined) return json(403, { error: originError });
    return cancel(registry, id);
  };

  // Deno.serve's `shutdown()` waits for every connection to end, and one whose request body
  // never ends never does; aborting the `signal` given to Deno.serve closes them all.
  const closeAll = new AbortController();
  const server = Deno.serve({ hostname, port, handler, signal: closeAll.signal, onListen() {} });
  let ended = false;
  const addr = server.addr as Deno.NetAddr;
  hosts = allowedHosts(hostname, addr.port, options.allowedHosts ?? []);
  const wildcard = hostname === "0.0.0.0" || hostname === "::" || hostname === "[::]";
  const shown = wildcard ? "127.0.0.1" : hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = `http://${shown}:${addr.port}/`;

  let stopped: Promise<void> | undefined;
  const onAbort = () => void shutdown();
  const shutdown = (): Promise<void> => {
    stopped ??= (async () => {
      signal?.removeEventListener("abort", onAbort);
      stopping.abort();
      await registry.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(underWay),
        new Promise((resolve) => timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)),
      ]);
      clearTimeout(timer);
      // Deno.serve throws from its abort listener once it has ended.
      if (!ended) closeAll.abort();
      await server.finished;
    })();
    return stopped;
  };
  const finished = server.finished.then(() => {
    ended = true;
    return registry.close();
  });
  if (signal?.aborted) void shutdown();
  else signal?.addEventListener("abort", onAbort, { once: true });

  return {
    addr,
    url,
    finished,
    get stats(): GuiStats {
      return registry.stats;
    },
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
