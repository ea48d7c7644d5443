/**
 * Private: the entry point of every `WorkerPool` worker. The task module's URL
 * comes in this module's URL hash, so that it loads in parallel with the runner.
 *
 * @module
 */

import type { ClosingMessage } from "./_protocol.ts";

// Keep messages that arrive while the modules load.
const early: unknown[] = [];
(self as unknown as { onmessage: (event: MessageEvent) => void }).onmessage = (event) =>
  early.push(event.data);

const hash = new URL(import.meta.url).hash;
const taskModule = hash.length > 1 ? decodeURIComponent(hash.slice(1)) : undefined;
const [{ Runner }, { MSG_CLOSING, serializeError }, loaded] = await Promise.all([
  import("./_runner.ts"),
  import("./_protocol.ts"),
  taskModule === undefined ? undefined : import(taskModule).then(
    (m) => ({ module: m as Record<string, unknown> }),
    (error) => ({ error }),
  ),
]);

const scope = self as unknown as {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  addEventListener(type: string, listener: (event: Event) => void): void;
};

const runner = new Runner(
  (message) => scope.postMessage(message),
  undefined,
  loaded && "module" in loaded ? loaded.module : undefined,
  loaded && "error" in loaded ? loaded.error : undefined,
);

// `self.close()` ends a worker without any event in the main thread: announce it.
const close = scope.close.bind(scope);
scope.close = () => {
  scope.postMessage(
    {
      t: MSG_CLOSING,
      id: runner.current,
      reason: "it called self.close()",
    } satisfies ClosingMessage,
  );
  close();
};

// `Deno.exit()` in a worker ends the worker without any event in the main thread
// either: announce it with its code, so that only the task that called it fails.
const exit = Deno.exit;
Deno.exit = (code?: number): never => {
  const status = code ?? Deno.exitCode;
  scope.postMessage(
    {
      t: MSG_CLOSING,
      id: runner.current,
      reason: `exited with code ${status} (a task called Deno.exit())`,
    } satisfies ClosingMessage,
  );
  return exit(status);
};

// An uncaught error ends the worker: say why, with the error, then close.
function die(error: unknown): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  scope.postMessage(
    {
      t: MSG_CLOSING,
      id: runner.current,
      reason: `uncaught ${message}`,
      e: error instanceof Error ? serializeError(error) : undefined,
    } satisfies ClosingMessage,
  );
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
for (const message of early) runner.handle(message as Parameters<typeof runner.handle>[0]);
