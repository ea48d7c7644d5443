/**
 * Private: the entry point of every `WorkerPool` worker.
 *
 * @module
 */

import { MSG_CLOSING, serializeError } from "./_protocol.ts";
import { Runner } from "./_runner.ts";

const scope = self as unknown as {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  addEventListener(type: string, listener: (event: Event) => void): void;
};

const runner = new Runner((message) => scope.postMessage(message));

// `self.close()` ends a worker without any event in the main thread: announce it.
const close = scope.close.bind(scope);
scope.close = () => {
  scope.postMessage({ t: MSG_CLOSING, id: runner.current, reason: "it called self.close()" });
  close();
};

// An uncaught error ends the worker: say why, with the error, then close.
function die(error: unknown): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  scope.postMessage({
    t: MSG_CLOSING,
    id: runner.current,
    reason: `uncaught ${message}`,
    e: error instanceof Error ? serializeError(error) : undefined,
  });
  close();
}
scope.addEventListener("error", (event) => {
  event.preventDefault();
  die((event as ErrorEvent).error ?? (event as ErrorEvent).message);
});
scope.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  die((event as PromiseRejectionEvent).reason);
});

scope.onmessage = (event: MessageEvent) => runner.handle(event.data);
