/**
 * Private: the entry point of every `ProcessPool` worker (a `deno` subprocess).
 * Messages arrive on stdin and leave on stdout as frames; the console goes to
 * stderr so that task output cannot corrupt the frames.
 *
 * The pool starts it through a `data:` module that imports the task module
 * statically (so no read permission is needed to load it) and calls
 * {@linkcode startProcessWorker}; without a task module it runs as the main module.
 *
 * @module
 */

import { encodeFrame, FrameDecoder } from "./_frames.ts";
import { setImmediate } from "node:timers";
import { CTL_RING, CTL_RING_MASK, MSG_CANCEL, type PoolMessage } from "./_protocol.ts";
import { Runner } from "./_runner.ts";

/**
 * Resolves after a turn of the event loop, once unhandled promise rejections were
 * dispatched: 30 µs, where `setTimeout(0)` costs 2.3 ms once nested (Deno 2.9.6).
 */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Serves the pool over stdin/stdout until stdin closes.
 *
 * @param module The task module's namespace, if the pool has one.
 */
export async function startProcessWorker(module?: Record<string, unknown>): Promise<void> {
  const stdout = Deno.stdout;
  for (const method of ["log", "info", "debug", "dir", "table"] as const) {
    // deno-lint-ignore no-explicit-any
    (console as any)[method] = console.error;
  }
  const writeAll = (bytes: Uint8Array): void => {
    let offset = 0;
    while (offset < bytes.length) offset += stdout.writeSync(bytes.subarray(offset));
  };
  const runner = new Runner(
    (message) => writeAll(encodeFrame(message)),
    undefined,
    module,
    undefined,
    true,
    nextTurn,
  );
  // A stray rejection would end the process during whichever task runs next, which
  // would take the blame: the runner charges it to the task that left it instead.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    runner.rejection(event.reason);
  });
  const decoder = new FrameDecoder();
  for await (const chunk of Deno.stdin.readable) {
    for (const message of decoder.push(chunk) as PoolMessage[]) {
      if (message.t === MSG_CANCEL) {
        Atomics.store(runner.ctl, CTL_RING + (message.id & CTL_RING_MASK), message.id);
      } else {
        runner.handle(message);
      }
    }
  }
  // The pool closed stdin: leave.
  Deno.exit(0);
}

if (import.meta.main) await startProcessWorker();
