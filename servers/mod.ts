/**
 * The servers app of Tandem: an HTTP load generator ({@linkcode runStress}, behind
 * `deno task stress`) and a TCP echo server that shuts down cleanly
 * ({@linkcode serveEcho}, behind `deno task echo`).
 *
 * @example Echo one message
 * ```ts
 * import { serveEcho } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = serveEcho({ port: 0 });
 * const conn = await Deno.connect(server.addr);
 * await conn.write(new TextEncoder().encode("ping"));
 * const buf = new Uint8Array(4);
 * for (let read = 0; read < buf.length;) {
 *   const n = await conn.read(buf.subarray(read));
 *   if (n === null) break;
 *   read += n;
 * }
 * conn.close();
 * assertEquals(new TextDecoder().decode(buf), "ping");
 * ```
 *
 * Distributed runs (`runClusterStress`, `serveStressAgent`) have their own entry point,
 * `@tandem/tandem/stress-cluster`, so that this one never loads BullMQ.
 *
 * @module
 */

export * from "./stress.ts";
export * from "./stress_compare.ts";
export * from "./echo_server.ts";
