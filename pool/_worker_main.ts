/**
 * Private: the entry point of every `WorkerPool` worker.
 *
 * @module
 */

import { MSG_CLOSING } from "./_protocol.ts";
import { Runner } from "./_runner.ts";

const scope = self as unknown as {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: MessageEvent) => void) | null;
};

const runner = new Runner((message) => scope.postMessage(message));

// `self.close()` ends a worker without any event in the main thread: announce it.
const close = scope.close.bind(scope);
scope.close = () => {
  scope.postMessage({ t: MSG_CLOSING, id: runner.current });
  close();
};

scope.onmessage = (event: MessageEvent) => runner.handle(event.data);
