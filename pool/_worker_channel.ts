/**
 * Private: a `WorkerPool` worker seen from the main thread (a module Web Worker
 * with a shared control array).
 *
 * @module
 */

import type { Channel, ChannelEvents, ChannelFactory } from "./_channel.ts";
import { CTL_LENGTH, MSG_RESULTS } from "./_protocol.ts";

const WORKER_MAIN = new URL("./_worker_main.ts", import.meta.url);

/**
 * Deno's Web Worker keeps the process alive until it is terminated, and has no public
 * `unref()` (Deno 2.9.6). Its prototype holds the reference-counting method that
 * `node:worker_threads` calls for `ref()`/`unref()`, under a symbol with no
 * description: use it when it is there, so that an idle pool lets the process exit
 * (as Python's executors do at exit), and keep the worker referenced when it is not.
 */
const refWorker = (() => {
  for (const symbol of Object.getOwnPropertySymbols(Worker.prototype)) {
    if (symbol.description !== undefined && symbol.description !== "") continue;
    const method = (Worker.prototype as unknown as Record<symbol, unknown>)[symbol];
    if (typeof method === "function" && method.length === 1) {
      return (worker: Worker, keepAlive: boolean) => method.call(worker, keepAlive);
    }
  }
  return undefined;
})();

/** Makes the channel factory of a pool with an optional task module. */
export function workerChannel(module: string | undefined): ChannelFactory {
  // The worker loads the task module at once, in parallel with its own code.
  const entry = module === undefined
    ? WORKER_MAIN
    : new URL(`#${encodeURIComponent(module)}`, WORKER_MAIN);
  return (name: string, events: ChannelEvents): Channel => startWorker(entry, name, events);
}

function startWorker(entry: URL, name: string, events: ChannelEvents): Channel {
  if (
    entry.protocol === "file:" &&
    Deno.permissions.querySync({ name: "read", path: WORKER_MAIN }).state !== "granted"
  ) {
    // Else the worker fails to load, and Deno prints that on stderr besides the
    // pool's error.
    throw new Deno.errors.NotCapable(
      `Requires read access to "${WORKER_MAIN.pathname}", run again with the --allow-read flag`,
    );
  }
  const ctl = new Int32Array(new SharedArrayBuffer(CTL_LENGTH * 4));
  const worker = new Worker(entry, { type: "module", name });
  worker.onmessage = (event: MessageEvent) => events.message(event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    events.exit(`uncaught ${event.message ?? "error"}`);
  };
  worker.onmessageerror = () => {
    events.message({ t: MSG_RESULTS, r: [] });
  };
  // Deno counts references: each `false` must follow a `true` (a worker starts with one).
  let refed = true;
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    kill: () => worker.terminate(),
    ctl,
    hardKill: false,
    kind: "worker",
    ref(keepAlive: boolean): void {
      if (refWorker === undefined || keepAlive === refed) return;
      refed = keepAlive;
      refWorker(worker, keepAlive);
    },
  };
}
