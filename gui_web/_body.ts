// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: reads a request body with a size cap, a deadline and a stop signal, so that a
 * client that sends half a body can hold neither its handler nor the server's shutdown.
 *
 * @module
 */

/** What {@linkcode readBody} needs to know. */
export interface ReadBodyOptions {
  /** The most bytes a body may have. */
  maxBytes: number;
  /** How long the whole body may take to arrive, in milliseconds. */
  timeoutMs: number;
  /** Aborted when the server shuts down: the read stops at once. */
  signal: AbortSignal;
}

/**
 * The outcome of {@linkcode readBody}: the text, or why there is none. `"timeout"` and
 * `"stopped"` leave the rest of the body unread: answer with `connection: close`.
 */
export type BodyRead =
  | { kind: "text"; text: string }
  | { kind: "too-large" }
  | { kind: "timeout" }
  | { kind: "stopped" }
  | { kind: "broken"; message: string };

/**
 * Reads a request body as UTF-8 text.
 *
 * @param request The request.
 * @param options The cap, the deadline and the stop signal.
 * @returns The text, or the reason there is none.
 */
export async function readBody(request: Request, options: ReadBodyOptions): Promise<BodyRead> {
  const { maxBytes, timeoutMs, signal } = options;
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > maxBytes) return { kind: "too-large" };
  if (request.body === null) return { kind: "text", text: "" };
  if (signal.aborted) return { kind: "stopped" };
  const reader = request.body.getReader();
  // Either the deadline or the stop wins the race against the next chunk.
  const interrupted = Promise.withResolvers<BodyRead>();
  const timer = setTimeout(() => interrupted.resolve({ kind: "timeout" }), timeoutMs);
  const onAbort = () => interrupted.resolve({ kind: "stopped" });
  signal.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const step = await Promise.race([reader.read(), interrupted.promise]);
      if (!("done" in step)) {
        reader.cancel().catch(() => {});
        return step;
      }
      if (step.done) break;
      size += step.value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        return { kind: "too-large" };
      }
      chunks.push(step.value);
    }
  } catch (error) {
    return { kind: "broken", message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { kind: "text", text: new TextDecoder().decode(bytes) };
}
