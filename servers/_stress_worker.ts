/**
 * Worker entry of the stress tester: runs one {@linkcode runEngine} in its own event
 * loop and reports back by `postMessage` (plus live counts in shared memory).
 *
 * Messages in: `{ type: "start", config, progress, startEpoch }`.
 * Messages out: `{ type: "ready" }`, `{ type: "second", data }`, `{ type: "done", result }`,
 * `{ type: "error", message }`.
 *
 * @module
 */

import { SharedArray } from "../sync/shared_array.ts";
import { type EngineConfig, runEngine } from "./_stress_engine.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

interface StartMessage {
  type: "start";
  config: EngineConfig;
  progress: unknown;
  startEpoch: number;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (event: MessageEvent<StartMessage>) => {
  const { config, progress, startEpoch } = event.data;
  try {
    const result = await runEngine(
      config,
      SharedArray.from<"uint32">(progress).view,
      startEpoch,
      (data) => {
        const transfer = [data.histogram.counts.buffer as ArrayBuffer];
        if (data.service) transfer.push(data.service.counts.buffer as ArrayBuffer);
        scope.postMessage({ type: "second", data }, transfer);
      },
    );
    const transfer = [result.histogram.counts.buffer as ArrayBuffer];
    if (result.service) transfer.push(result.service.counts.buffer as ArrayBuffer);
    for (const e of result.endpoints ?? []) {
      transfer.push(e.histogram.counts.buffer as ArrayBuffer);
      if (e.service) transfer.push(e.service.counts.buffer as ArrayBuffer);
    }
    scope.postMessage({ type: "done", result }, transfer);
  } catch (error) {
    scope.postMessage({
      type: "error",
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
};
scope.postMessage({ type: "ready" });
