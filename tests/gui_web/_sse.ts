// Copyright 2026 the Tandem authors. MIT license.
// Test helpers: a GUI client over fetch with a real Server-Sent Events parse.

import { ServerSentEventParseStream } from "@std/http/server-sent-event-parse-stream";
import type { GuiServer } from "../../gui_web/gui_server.ts";

/** A parsed server-sent event. */
export interface Sse {
  event?: string;
  data?: string;
  id?: string;
  retry?: number;
}

/** Generous deadline for anything that waits on the loaded test machine. */
export const WAIT_MS = 30_000;

/** The events the GUI ends a run with. */
export const FINAL_EVENTS = ["done", "cancelled", "error"];

/**
 * Races a promise against {@linkcode WAIT_MS}.
 *
 * @param promise The promise.
 * @returns Its value.
 */
export async function within<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${WAIT_MS} ms`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Headers of a same-origin request from the GUI's page.
 *
 * @param gui The server.
 * @returns The headers.
 */
export function sameOrigin(gui: GuiServer): Record<string, string> {
  return { origin: new URL(gui.url).origin, "content-type": "application/json" };
}

/**
 * Posts a run request.
 *
 * @param gui The server.
 * @param body The JSON body, or a string sent as is.
 * @param headers Headers that replace the same-origin ones.
 * @returns The status and the parsed JSON answer.
 */
export async function postRun(
  gui: GuiServer,
  body: unknown,
  headers: Record<string, string> = sameOrigin(gui),
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL("/api/runs", gui.url), {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * Starts a run and returns its id, failing unless the server answered `201`.
 *
 * @param gui The server.
 * @param body The run request.
 * @returns The run's id.
 */
export async function startRun(
  gui: GuiServer,
  body: unknown = { url: "http://127.0.0.1:9/", requests: 100, concurrency: 4 },
): Promise<string> {
  const { status, body: answer } = await postRun(gui, body);
  if (status !== 201) throw new Error(`Expected 201: received ${status} ${JSON.stringify(answer)}`);
  return answer.id as string;
}

/** An open event stream of one run. */
export class EventClient implements AsyncDisposable {
  readonly response: Response;
  readonly #reader: ReadableStreamDefaultReader<Sse> | undefined;
  readonly #abort: AbortController;

  private constructor(response: Response, abort: AbortController) {
    this.response = response;
    this.#abort = abort;
    this.#reader = response.body === null
      ? undefined
      : (response.body.pipeThrough(new ServerSentEventParseStream()) as ReadableStream<Sse>)
        .getReader();
  }

  /**
   * Opens the events of a run.
   *
   * @param gui The server.
   * @param id The run's id.
   * @param lastEventId Sent as `Last-Event-ID`.
   * @returns The client.
   */
  static async open(gui: GuiServer, id: string, lastEventId?: string): Promise<EventClient> {
    const abort = new AbortController();
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    const response = await fetch(new URL(`/api/runs/${id}/events`, gui.url), {
      headers,
      signal: abort.signal,
    });
    return new EventClient(response, abort);
  }

  /**
   * Reads the next event that carries data.
   *
   * @returns The event, or `undefined` at the end of the stream.
   */
  async next(): Promise<Sse | undefined> {
    if (this.#reader === undefined) return undefined;
    while (true) {
      const { done, value } = await within(this.#reader.read());
      if (done) return undefined;
      if (value.data !== undefined) return value;
    }
  }

  /**
   * Reads events up to and including the final one, then checks the stream ends.
   *
   * @returns Every data event read, the final one last.
   */
  async untilFinal(): Promise<Sse[]> {
    const seen: Sse[] = [];
    while (true) {
      const event = await this.next();
      if (event === undefined) throw new Error("The stream ended before a final event");
      seen.push(event);
      if (FINAL_EVENTS.includes(event.event ?? "")) break;
    }
    if (await this.next() !== undefined) {
      throw new Error("The stream went on after the final event");
    }
    return seen;
  }

  /** Closes the stream as a browser tab would. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#reader?.cancel().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Waits until a condition holds, polling.
 *
 * @param condition The condition.
 * @returns When it holds.
 */
export async function until(condition: () => boolean): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > end) throw new Error("Timed out waiting for a condition");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
