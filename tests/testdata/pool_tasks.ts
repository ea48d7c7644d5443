// Task module for the pool tests.
import { getTaskContext } from "../../pool/task_context.ts";
import { SharedValue } from "../../sync/mod.ts";

export function add(a: number, b: number): number {
  return a + b;
}

export function inc(x: number): number {
  return x + 1;
}

export async function delayed(value: string, ms: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

export function count(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i) | 0;
  return s;
}

/** Spins until cancelled (polling the signal) or until `maxMs` passed. */
export function spin(maxMs: number): string {
  const signal = getTaskContext()!.signal;
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    if (signal.aborted) return "stopped";
  }
  return "finished";
}

/** Spins without looking at the signal, for at most `maxMs`. */
export function spinDeaf(maxMs: number): string {
  const end = Date.now() + maxMs;
  while (Date.now() < end) { /* busy */ }
  return "finished";
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
  throw new CodedError(message, "E_TASK", { cause: new RangeError("inner cause") });
}

export function throwValue(value: unknown): never {
  throw value;
}

export function crash(): Promise<never> {
  setTimeout(() => {
    throw new Error("boom from a timer");
  }, 0);
  return new Promise(() => {});
}

export function closeSelf(): Promise<never> {
  (self as unknown as { close(): void }).close();
  return new Promise(() => {});
}

export function returnUncloneable(): unknown {
  return { f: () => 1 };
}

export function taskId(): number {
  return getTaskContext()!.id;
}

let initialized: unknown[] | undefined;

export function init(...args: unknown[]): void {
  initialized = args;
}

export function getInit(): unknown[] | undefined {
  return initialized;
}

export function initFails(): void {
  throw new Error("initializer failed");
}

export function oom(): number[][] {
  const hog: number[][] = [];
  for (;;) hog.push(new Array(1_000_000).fill(1.5));
}

export function readEnv(name: string): string | undefined {
  return Deno.env.get(name);
}

export function spinForever(): never {
  for (;;) { /* only a ProcessPool can stop this */ }
}

/** Returns the argument after reviving: used to check what arrives in the worker. */
export function echo<T>(value: T): T {
  return value;
}

export function sharedAdd(buffer: SharedArrayBuffer, value: number): number {
  return Atomics.add(new Int32Array(buffer), 0, value) + value;
}

/** Adds `n` to a shared counter `times` times, under its lock; returns whether it arrived working. */
export function bumpShared(counter: SharedValue<"int32">, times: number): boolean {
  for (let i = 0; i < times; i++) {
    counter.lock.acquire();
    counter.value = counter.value + 1;
    counter.lock.release();
  }
  return counter instanceof SharedValue;
}

/** Adds 1 to each counter in a map of lists (primitives nested deep in the argument); returns how many. */
export function bumpNested(holder: { counters: Map<string, SharedValue<"int32">[]> }): number {
  let bumped = 0;
  for (const list of holder.counters.values()) {
    for (const counter of list) {
      counter.add(1);
      bumped++;
    }
  }
  return bumped;
}

export function makeShared(initial: number): SharedValue<"int32"> {
  return new SharedValue("int32", initial);
}

export function writeStdout(): number {
  Deno.stdout.writeSync(new TextEncoder().encode("garbage that is not a frame\n".repeat(10)));
  return 1;
}

/**
 * Appends a line to `path` (one line per run), then returns at once (`"return"`),
 * spins for `n` ms without polling the signal (`"spin"`) or ends its process with
 * exit code `n` (`"exit"`). One export for all three, so that a batch of them runs
 * without the flush a change of function causes.
 */
export function markAnd(path: string, then: "return" | "spin" | "exit", n: number): string {
  Deno.writeTextFileSync(path, "ran\n", { append: true });
  if (then === "exit") Deno.exit(n);
  return then === "spin" ? spinDeaf(n) : "returned";
}

/** Starts `sleep seconds` with this process's stdout and stderr, and returns its pid. */
export function spawnSleeper(seconds: number): number {
  return new Deno.Command("sleep", {
    args: [String(seconds)],
    stdout: "inherit",
    stderr: "inherit",
  })
    .spawn().pid;
}

/** Reports `1..n` as progress, then returns `n`. */
export async function report(n: number): Promise<number> {
  const ctx = getTaskContext()!;
  for (let i = 1; i <= n; i++) {
    ctx.progress({ step: i, of: n });
    if (i === 1) await Promise.resolve();
  }
  return n;
}

/** Ends its worker with `Deno.exit(code)`. */
export function exitWith(code: number): never {
  Deno.exit(code);
}

/** Leaves a promise rejection unhandled, then returns after an await. */
export async function leakRejection(): Promise<string> {
  Promise.reject(new Error("nobody handles this"));
  await new Promise((resolve) => setTimeout(resolve, 1));
  return "returned";
}

/** Blocks until `path` exists (polling every ms), then returns `"released"`. */
export function waitFile(path: string): string {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      Deno.statSync(path);
      return "released";
    } catch {
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
