/**
 * Private: a `WorkerPool` worker seen from the main thread (a module Web Worker
 * with a shared control array).
 *
 * @module
 */

import type { Channel, ChannelEvents, ChannelFactory } from "./_pool_core.ts";
import { CTL_LENGTH, MSG_RESULTS } from "./_protocol.ts";

const WORKER_MAIN = new URL("./_worker_main.ts", import.meta.url);

/** Makes the channel factory of a pool with an optional task module. */
export function workerChannel(module: string | undefined): ChannelFactory {
  // The worker loads the task module at once, in parallel with its own code.
  const entry = module === undefined
    ? WORKER_MAIN
    : new URL(`#${encodeURIComponent(module)}`, WORKER_MAIN);
  return (name: string, events: ChannelEvents): Channel => startWorker(entry, name, events);
}

function startWorker(entry: URL, name: string, events: ChannelEvents): Channel {
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
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    kill: () => worker.terminate(),
    ctl,
    hardKill: false,
    kind: "worker",
  };
}
