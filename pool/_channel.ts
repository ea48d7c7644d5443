/**
 * Private: the seam between the dispatcher and one worker. `_worker_channel.ts`
 * (a Web Worker) and `_process_channel.ts` (a `deno` subprocess) implement it; the
 * tests implement it with fakes to drive the requeue and kill rules.
 *
 * @module
 */

import type { PoolMessage, WorkerMessage } from "./_protocol.ts";

/** Callbacks a channel calls. */
export interface ChannelEvents {
  /** A message from the worker. */
  message(message: WorkerMessage): void;
  /** The worker ended on its own (not by `kill()`), and why. */
  exit(reason: string): void;
}

/** One worker, seen from the main side. */
export interface Channel {
  /** Posts a message; throws a `DataCloneError` when it cannot. */
  post(message: PoolMessage, transfer: Transferable[]): void;
  /** Ends the worker now; the promise settles once it is gone and its resources are closed. */
  kill(): Promise<void> | void;
  /** The shared control array, or `undefined` when memory is not shared. */
  readonly ctl: Int32Array | undefined;
  /** Whether a cancelled running task ends its worker at once. */
  readonly hardKill: boolean;
  /**
   * Whether the worker answers `MSG_REVOKE` while it runs a task (a process, whose
   * inbox thread does), so that tasks it has not started can be taken back.
   */
  readonly revokes?: boolean;
  /** What kind of worker this is, for messages ("worker" or "process"). */
  readonly kind: string;
  /** Lets the worker keep the process alive (`true`) or not, when the channel can tell it. */
  ref?(keepAlive: boolean): void;
}

/** Creates a channel. */
export type ChannelFactory = (name: string, events: ChannelEvents) => Channel;
