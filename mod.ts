/**
 * Tandem: parallel and concurrent work for Deno.
 *
 * Python's `multiprocessing`, `threading` and `concurrent.futures`, done the Deno
 * way: Worker-based executors with typed task calls, Atomics-based locks that work
 * across workers, async iterators over results, and `AbortSignal` / `using`
 * everywhere.
 *
 * This entry point re-exports the library layers:
 *
 * - `@tandem/tandem/sync`: SharedArrayBuffer + Atomics primitives and shared values.
 * - `@tandem/tandem/pool`: executors, tasks, `asCompleted` and `wait`.
 * - `@tandem/tandem/mapreduce`: chunked parallel map-reduce and word frequency.
 *
 * The apps live on their own subpaths: `@tandem/tandem/servers` (echo server and
 * stress tester) and `@tandem/tandem/gui-web` (the load tester's web GUI).
 *
 * @example Check the version
 * ```ts
 * import { VERSION } from "@tandem/tandem";
 * import { assertMatch } from "@std/assert";
 *
 * assertMatch(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 *
 * @module
 */

export * from "./sync/mod.ts";
export * from "./pool/mod.ts";
export * from "./mapreduce/mod.ts";

/**
 * The version of Tandem, as published (it equals `version` in `deno.json`).
 *
 * @example Print the version
 * ```ts
 * import { VERSION } from "@tandem/tandem";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(typeof VERSION, "string");
 * ```
 */
export const VERSION: string = "0.1.0";
