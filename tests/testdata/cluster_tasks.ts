// Task module for the cluster tests, the demo's tour and the cluster bench.
import { getTaskContext } from "../../pool/task_context.ts";

export function add(a: number, b: number): number {
  return a + b;
}

export function inc(x: number): number {
  return x + 1;
}

export function echo<T>(value: T): T {
  return value;
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** CPU-bound: sums 0..n-1 in 32 bits. */
export function count(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i) | 0;
  return s;
}

/** The process id of the worker that ran the task, after `ms` milliseconds. */
export async function pidAfter(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return Deno.pid;
}

/** Waits `ms` milliseconds, then returns `value`. */
export async function delayed<T>(value: T, ms: number): Promise<T> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

/** Sends one Redis command over a raw socket (the worker may reach its Redis host). */
async function redisSet(port: number, key: string, value: string): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const parts = ["SET", key, value];
  const command = `*${parts.length}\r\n` + parts.map((p) => `$${p.length}\r\n${p}\r\n`).join("");
  await conn.write(new TextEncoder().encode(command));
  await conn.read(new Uint8Array(64));
  conn.close();
}

/** Sends one Redis command over a raw socket and returns the raw reply. */
async function redisCall(port: number, ...parts: string[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const command = `*${parts.length}\r\n` + parts.map((p) => `$${p.length}\r\n${p}\r\n`).join("");
  await conn.write(new TextEncoder().encode(command));
  const buffer = new Uint8Array(256);
  const n = await conn.read(buffer);
  conn.close();
  return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
}

/** Waits until `key` exists in the Redis on `port` (at most `maxMs`), then returns the process id. */
export async function pidWhenKeySet(port: number, key: string, maxMs: number): Promise<number> {
  const end = Date.now() + maxMs;
  while (Date.now() < end && (await redisCall(port, "EXISTS", key)).startsWith(":0")) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Deno.pid;
}

/**
 * Runs until its signal aborts (polling it), then writes `key` = "aborted" to the
 * Redis on `port`, so that a test sees that the remote task saw its cancellation.
 * Gives up after `maxMs`.
 */
export async function untilCancelled(port: number, key: string, maxMs: number): Promise<string> {
  const context = getTaskContext();
  context?.progress?.("started");
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    if (context?.signal.aborted) {
      await redisSet(port, key, "aborted");
      return "aborted";
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return "finished";
}

/** Reports `steps` progress values, then returns `steps`. */
export async function steps(n: number): Promise<number> {
  for (let i = 1; i <= n; i++) {
    getTaskContext()?.progress?.({ step: i, of: n });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return n;
}

export class CodedError extends Error {
  code: string;
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CodedError";
    this.code = code;
  }
}

export function fail(message: string): never {
  throw new CodedError(message, "E_TASK", { cause: new RangeError("inner") });
}

export function throwValue(value: unknown): never {
  throw value;
}

/** Returns a value that cannot be serialized (a function). */
export function unserializable(): unknown {
  return { fn: () => 1 };
}

/** Fails on the first `failures` attempts of job `key` (counted in this worker's memory). */
const attempts = new Map<string, number>();
export function flaky(key: string, failures: number): number {
  const n = (attempts.get(key) ?? 0) + 1;
  attempts.set(key, n);
  if (n <= failures) throw new Error(`attempt ${n} fails`);
  return n;
}

/** Waits until its signal aborts (polling it), at most `maxMs`; returns how it ended. */
export async function waitAborted(maxMs: number): Promise<string> {
  const signal = getTaskContext()?.signal;
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    if (signal?.aborted) return "aborted";
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return "finished";
}
