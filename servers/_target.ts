/**
 * A small HTTP target on 127.0.0.1 for `deno task stress` without a URL: `Deno.serve`
 * answering every request with a short fixed body, counting what it served.
 *
 * @module
 */

/** A running target. */
export interface Target {
  /** The URL to stress, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  /** Requests answered so far. */
  served(): number;
  /** Stops the server. */
  close(): Promise<void>;
  /** Stops the server. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The body the target sends. */
export const TARGET_BODY = "Hello from the Tandem stress target\n";

/**
 * Starts the target on 127.0.0.1 on a free port.
 *
 * @returns The running target.
 */
export function startTarget(): Target {
  let served = 0;
  const body = new TextEncoder().encode(TARGET_BODY);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      served++;
      return new Response(body, { headers: { "content-type": "text/plain" } });
    },
  );
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => closed ??= server.shutdown();
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    served: () => served,
    close,
    [Symbol.asyncDispose]: close,
  };
}
