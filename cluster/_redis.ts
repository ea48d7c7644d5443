/**
 * Private: the `redis` and `queue` options, and the ioredis clients made from them.
 * BullMQ 6.7.0 cannot load ioredis itself under Deno 2.9.6 when given connection
 * options, so every BullMQ object gets a client made here, with
 * `maxRetriesPerRequest: null` (BullMQ refuses a blocking client without it).
 *
 * @module
 */

import { Redis, type RedisOptions } from "ioredis";
import { received } from "../sync/_checks.ts";

/** Where to connect: a URL, or a client given by the user (never closed by us). */
export type RedisTarget = { url: URL; client?: undefined } | { url?: undefined; client: Redis };

/** Whether `value` looks like an ioredis client. */
function isClient(value: unknown): value is Redis {
  return typeof value === "object" && value !== null &&
    typeof (value as { duplicate?: unknown }).duplicate === "function" &&
    typeof (value as { sendCommand?: unknown }).sendCommand === "function";
}

/**
 * Checks the `redis` option.
 *
 * @throws {TypeError} When it is not a `redis://` or `rediss://` URL or an ioredis client.
 */
export function checkRedis(value: unknown, action: string): RedisTarget {
  if (isClient(value)) return { client: value };
  const wanted = `${action} as 'redis' must be a redis:// or rediss:// URL or an ioredis client`;
  if (typeof value !== "string" && !(value instanceof URL)) {
    throw new TypeError(`${wanted}: received ${received(value)}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${wanted}: received ${received(String(value))}`);
  }
  if ((url.protocol !== "redis:" && url.protocol !== "rediss:") || url.hostname === "") {
    throw new TypeError(`${wanted}: received ${received(url.href)}`);
  }
  return { url };
}

/** Checks the `queue` option: a non-empty name without `:` (BullMQ's key separator). */
export function checkQueue(value: unknown, action: string): string {
  if (typeof value !== "string" || value === "" || value.includes(":")) {
    throw new TypeError(
      `${action} as 'queue' must be a non-empty name without ':': received ${received(value)}`,
    );
  }
  return value;
}

/** Checks the `prefix` option (BullMQ's key prefix). */
export function checkPrefix(value: unknown, action: string): string {
  if (value === undefined) return "bull";
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `${action} as 'prefix' must be a non-empty string: received ${received(value)}`,
    );
  }
  return value;
}

/** A new client for `target`: a fresh connection to the URL, or a duplicate of the user's. */
export function newClient(target: RedisTarget, connectionName?: string): Redis {
  // A socket that Redis no longer answers is destroyed 200 ms after `disconnect()`
  // (ioredis waits 2 s by default), so that closing never waits long for a dead server.
  const options: Record<string, unknown> = { maxRetriesPerRequest: null, disconnectTimeout: 200 };
  if (connectionName !== undefined) options.connectionName = connectionName;
  const client = target.client
    ? target.client.duplicate(options) as Redis
    : new Redis(target.url.href, options as RedisOptions);
  // ioredis emits 'error' on every failed reconnect; without a listener Node's
  // EventEmitter would throw. Reconnecting is the point: log nothing here.
  client.on("error", () => {});
  return client;
}

/** How long a first connection may take by default: as stress waits for its Redis. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** The first connection failed (the worker CLI exits 2 for it, not 1). */
export class RedisConnectError extends Error {}

/** Where a target points, for messages (never the URL's password). */
export function describeTarget(target: RedisTarget): string {
  if (target.url) return `${target.url.protocol}//${target.url.host}`;
  const options = (target.client as { options?: { host?: string; port?: number } }).options;
  return options?.host ? `${options.host}:${options.port ?? 6379}` : "the given client";
}

/**
 * Waits for a new client's first connection, at most `ms`. ioredis would retry for
 * ever and queue every command meanwhile (`maxRetriesPerRequest: null`), so a wrong
 * URL would hang its caller silently: this gives a clear error instead. Later
 * outages are ridden out by ioredis' reconnects, as before.
 *
 * @throws {Error} `${action} as Redis at … does not answer within … ms: <last error>`.
 */
export async function firstConnect(
  client: Redis,
  target: RedisTarget,
  ms: number,
  action: string,
): Promise<void> {
  if (client.status === "ready") return;
  let last: Error | undefined;
  const onError = (error: Error) => last = error;
  let onReady: () => void = () => {};
  let onEnd: () => void = () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  client.on("error", onError);
  const ready = await new Promise<boolean>((resolve) => {
    onReady = () => resolve(true);
    onEnd = () => resolve(false); // disconnected by its owner meanwhile
    client.once("ready", onReady);
    client.once("end", onEnd);
    timer = setTimeout(resolve, ms, false);
  });
  clearTimeout(timer);
  client.off("error", onError);
  client.off("ready", onReady);
  client.off("end", onEnd);
  if (ready || (client.status as string) === "ready") return;
  const why = last === undefined ? "" : `: ${reason(last)}`;
  throw new RedisConnectError(
    `${action} as Redis at ${describeTarget(target)} does not answer within ${ms} ms${why}`,
    { cause: last },
  );
}

/** A connection error in words, with ioredis' own text. */
function reason(error: Error): string {
  const code = (error as { code?: string }).code;
  const words: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "host not found",
    EHOSTUNREACH: "host unreachable",
    ETIMEDOUT: "connection timed out",
  };
  return code !== undefined && code in words ? `${words[code]} (${error.message})` : error.message;
}

/** The `host:port` of a URL target, for `--allow-net`. */
export function hostPort(url: URL): string {
  return `${url.hostname}:${url.port === "" ? "6379" : url.port}`;
}

/**
 * Closes a client we made: `QUIT` when connected (bounded by `ms`), then
 * `disconnect()`, so no socket or reconnect timer outlives it even when Redis is gone.
 */
export async function closeClient(client: Redis, ms: number): Promise<void> {
  if (client.status === "ready") {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      client.quit().catch(() => {}),
      new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
    ]);
    clearTimeout(timer);
  }
  if (client.status === "end") return;
  // Wait for the socket to close (its destroy timer must not outlive us).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ended = new Promise<void>((resolve) => {
    client.once("end", resolve);
    timer = setTimeout(resolve, 500);
  });
  client.disconnect();
  await ended;
  clearTimeout(timer);
}

/** Waits for `promise` (its failure ignored), at most `ms`; returns whether it settled. */
export async function withDeadline(
  promise: Promise<unknown> | undefined,
  ms: number,
): Promise<boolean> {
  if (promise === undefined) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) => timer = setTimeout(resolve, ms, false)),
  ]);
  clearTimeout(timer);
  return settled;
}
