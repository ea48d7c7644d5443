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
import { inboxUrl, revokeTasks, SHARED_LENGTH, writeFrame } from "./_process_inbox.ts";
import {
  CTL_LENGTH,
  CTL_RING,
  CTL_RING_MASK,
  MSG_CANCEL,
  MSG_HANDOVER,
  MSG_RESULTS,
  MSG_REVOKE,
  MSG_REVOKED,
  type PoolMessage,
  type RevokedMessage,
} from "./_protocol.ts";
import { Runner } from "./_runner.ts";

/**
 * Resolves after a turn of the event loop, once unhandled promise rejections were
 * dispatched: 30 µs, where `setTimeout(0)` costs 2.3 ms once nested (Deno 2.9.6).
 */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Serves the pool until stdin closes. Stdin is read here until the inbox thread
 * (see `_process_inbox.ts`) is up, then by it, so that the pool's revokes are
 * answered while a task runs here.
 *
 * @param module The task module's namespace, if the pool has one.
 */
export async function startProcessWorker(module?: Record<string, unknown>): Promise<void> {
  for (const method of ["log", "info", "debug", "dir", "table"] as const) {
    // deno-lint-ignore no-explicit-any
    (console as any)[method] = console.error;
  }
  // The control array (claim words, cancel ring) and the stdout lock, shared with
  // the inbox thread.
  const buffer = new SharedArrayBuffer(SHARED_LENGTH * 4);
  const shared = new Int32Array(buffer);
  const ctl = new Int32Array(buffer, 0, CTL_LENGTH);
  let startInbox: (() => void) | undefined;
  const post = (message: unknown) => {
    writeFrame(shared, encodeFrame(message));
    if (startInbox !== undefined && (message as { t: number }).t === MSG_RESULTS) {
      // The inbox starts once the first outcome is out: its start (a new isolate,
      // about 40 ms of CPU) would otherwise delay the process's first result.
      setTimeout(startInbox, 0);
      startInbox = undefined;
    }
  };
  const runner = new Runner(post, ctl, module, undefined, true, nextTurn);
  // A stray rejection would end the process during whichever task runs next, which
  // would take the blame: the runner charges it to the task that left it instead.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    runner.rejection(event.reason);
  });
  const decoder = new FrameDecoder();
  let handedOver = false;
  const handle = (message: PoolMessage): void => {
    if (message.t === MSG_CANCEL) {
      const id = message.r[0];
      Atomics.store(ctl, CTL_RING + (id & CTL_RING_MASK), id);
    } else if (message.t === MSG_REVOKE) {
      // Before the handover: this thread reads stdin, so it is not in a task.
      post({ t: MSG_REVOKED, r: revokeTasks(ctl, message.r) } satisfies RevokedMessage);
    } else if (message.t === MSG_HANDOVER) {
      handedOver = true;
    } else {
      runner.handle(message);
    }
  };
  let inbox: Worker | undefined;
  startInbox = () => {
    inbox = new Worker(inboxUrl(), { type: "module", name: "tandem-inbox" });
    inbox.onmessage = (event: MessageEvent) => {
      // The pool closed stdin: leave.
      if (event.data === null) Deno.exit(0);
      for (const message of decoder.push(event.data as Uint8Array)) {
        handle(message as PoolMessage);
      }
    };
    inbox.postMessage(buffer);
  };
  // Read until the handover frame and the end of any frame it came with: no read
  // is pending once the inbox starts reading.
  const chunk = new Uint8Array(64 * 1024);
  while (!handedOver || decoder.buffered > 0) {
    const n = await Deno.stdin.read(chunk);
    if (n === null) Deno.exit(0);
    for (const message of decoder.push(chunk.slice(0, n))) handle(message as PoolMessage);
  }
  inbox!.postMessage("read");
}

if (import.meta.main) await startProcessWorker();
