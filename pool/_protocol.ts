/**
 * Private: the message protocol between a pool and its workers (threads or
 * processes), and the error (de)serialization that keeps `name`, `message`,
 * `stack`, `cause` and own enumerable properties across the boundary.
 *
 * @module
 */

/** Main → worker: load the task module and run the initializer. */
export const MSG_INIT = 0;
/** Main → worker: a batch of tasks. */
export const MSG_RUN = 1;
/** Main → worker: a task was cancelled (for async tasks in a process). */
export const MSG_CANCEL = 2;
/**
 * Main → process: take back unstarted tasks by sequence number (see
 * {@linkcode CTL_CLAIM}); a process's inbox thread answers with
 * {@linkcode MSG_REVOKED} at once, even while a task runs.
 */
export const MSG_REVOKE = 3;
/**
 * Main → process: its inbox thread is up (see {@linkcode MSG_INBOX_UP}): the main
 * thread reads no more of stdin after this frame, and the inbox thread reads the rest.
 */
export const MSG_HANDOVER = 4;

/** Worker → main: a batch of results. */
export const MSG_RESULTS = 10;
/** Worker → main: the module loaded and the initializer ran. */
export const MSG_READY = 11;
/** Worker → main: loading the module or the initializer failed. */
export const MSG_INIT_FAILED = 12;
/** Worker → main: the worker is closing itself (`self.close()`). */
export const MSG_CLOSING = 13;
/** Worker → main: a running task reported progress (`TaskContext.progress`). */
export const MSG_PROGRESS = 14;
/** Process → main: the tasks of a {@linkcode MSG_REVOKE} it took back (not started). */
export const MSG_REVOKED = 15;
/**
 * Process → main: its inbox thread started (about 40 ms after the process, which
 * reads stdin itself meanwhile so as not to wait for it); answered by
 * {@linkcode MSG_HANDOVER}.
 */
export const MSG_INBOX_UP = 16;
/**
 * Process → main: its inbox thread reads stdin now (after the handover), so that a
 * revoke is answered while a task runs: until then the pool hands it one task at a
 * time, as nothing it holds could be taken back.
 */
export const MSG_INBOX_READING = 17;

/** Task kind: call the function once with the arguments. */
export const KIND_CALL = 0;
/** Task kind: call the function once per element of `args[0]`. */
export const KIND_MAP = 1;

/** Outcome codes in a result batch. */
export const OUT_OK = 0;
/** The task threw an `Error` (serialized). */
export const OUT_ERROR = 1;
/** The task threw a value that is not an `Error`. */
export const OUT_THROWN = 2;
/** The task was skipped because it was cancelled before it started. */
export const OUT_SKIPPED = 3;

/** Entries per task in a {@linkcode RunMessage}'s `q`: id, kind, ref, args. */
export const TASK_STRIDE = 4;
/** Entries per outcome in a {@linkcode ResultsMessage}'s `r`: id, code, value. */
export const RESULT_STRIDE = 3;
/** Index of the id of the task running now (0 when idle). */
export const CTL_CURRENT = 0;
/** Index of the cancellation reason code of the current task. */
export const CTL_REASON = 1;
/** First index of the ring of cancelled task ids. */
export const CTL_RING = 2;
/** Mask of the ring of cancelled task ids. */
export const CTL_RING_MASK = 4095;
/**
 * Index of the stop flag: set when the pool ends the worker, so that a thread that
 * outlives `terminate()` (stuck in a task) starts none of the tasks after it.
 */
export const CTL_STOP = CTL_RING + CTL_RING_MASK + 1;
/**
 * First index of the ring of claim words, one per task a worker was handed (by its
 * sequence number in that worker, masked with {@linkcode CTL_CLAIM_MASK}). A worker
 * claims a task before it starts it and the pool revokes one to hand it to an idle
 * worker, each with one compare-and-swap, so that exactly one of them wins: see
 * {@linkcode claimTag}. A worker holds at most 1,024 unfinished tasks and never
 * more than 2,048 sequence numbers apart, so live tasks never share a word.
 */
export const CTL_CLAIM = CTL_STOP + 1;
/** Mask of the ring of claim words. */
export const CTL_CLAIM_MASK = 4095;
/**
 * Index of the id of the last task that read its signal: a task that polls it is on
 * its way out once cancelled, so the pool does not warn that it ignores its signal.
 */
export const CTL_POLLED = CTL_CLAIM + CTL_CLAIM_MASK + 1;
/** Number of slots in a worker's shared control array. */
export const CTL_LENGTH = CTL_POLLED + 1;

/**
 * The claim word of a worker's task number `seq`, once the worker started it
 * (`revoked` false) or once the pool took it back (`revoked` true). Distinct for
 * 2³⁰ sequence numbers, so that a word left by an older task never matches.
 */
export function claimTag(seq: number, revoked: boolean): number {
  return ((seq & 0x3fffffff) << 1 | (revoked ? 1 : 0)) + 1 | 0;
}

/** Main → worker: what the worker loads first (sent alone or in its first run message). */
export interface InitMessage {
  t: typeof MSG_INIT;
  module: string | undefined;
  initializer: string | undefined;
  initArgs: unknown[];
  ctl: SharedArrayBuffer | undefined;
  name: string;
}

/** A function sent to a worker: its id in the pool, source text and name. */
export type FunctionDef = [id: number, source: string, name: string];

/**
 * Main → worker: a batch of tasks. The batch is flat for speed: `q` holds
 * {@linkcode TASK_STRIDE} entries per task, `id, kind, ref, args`, where `kind` is
 * {@linkcode KIND_CALL} or {@linkcode KIND_MAP} and `ref` is an export name or the id
 * of a function in `fns` (or sent before). A worker numbers the tasks it is handed
 * 0, 1, 2… in arrival order: its claim words use these numbers.
 */
export interface RunMessage {
  t: typeof MSG_RUN;
  q: unknown[];
  /** Functions this worker has not seen yet. */
  fns?: FunctionDef[];
  /** Report each outcome before the next task starts (a task of the batch has a timeout). */
  e?: 1;
  /** The init message, when this is the worker's first batch. */
  i?: InitMessage;
}

/**
 * Main → process worker: a task was cancelled (a process shares no memory with the
 * pool), as `r: [id]`: a compact frame that the process's inbox thread reads and
 * marks in the cancel ring at once.
 */
export interface CancelMessage {
  t: typeof MSG_CANCEL;
  r: [id: number];
}

/**
 * Main → process worker: take back the tasks of these sequence numbers if they have
 * not started; answered by a {@linkcode RevokedMessage}.
 */
export interface RevokeMessage {
  t: typeof MSG_REVOKE;
  r: number[];
}

/** Main → process: stdin goes to the inbox thread from here on (`r` is empty). */
export interface HandoverMessage {
  t: typeof MSG_HANDOVER;
  r: [];
}

/** Every message the pool sends to a worker. */
export type PoolMessage =
  | InitMessage
  | RunMessage
  | CancelMessage
  | RevokeMessage
  | HandoverMessage;

/**
 * Worker → main: outcomes, flat for speed: `r` holds {@linkcode RESULT_STRIDE}
 * entries per task, `id, code, value`, where `code` is one of the `OUT_*` codes and
 * `value` the result, a {@linkcode SerializedError}, a thrown value or `undefined`.
 */
export interface ResultsMessage {
  t: typeof MSG_RESULTS;
  r: unknown[];
}

/** Worker → main: the module loaded and the initializer ran. */
export interface ReadyMessage {
  t: typeof MSG_READY;
}

/** Worker → main: the module or the initializer failed: `e` if it threw an `Error`, else `v`. */
export interface InitFailedMessage {
  t: typeof MSG_INIT_FAILED;
  e: SerializedError | undefined;
  v: string | undefined;
}

/** Worker → main: the worker is about to end, and why (`e`: the uncaught error). */
export interface ClosingMessage {
  t: typeof MSG_CLOSING;
  /** The task running then, or 0. */
  id: number;
  reason: string;
  e?: SerializedError;
}

/** Worker → main: what a running task passed to `TaskContext.progress()`. */
export interface ProgressMessage {
  t: typeof MSG_PROGRESS;
  /** The task id. */
  id: number;
  /** The value, structured-cloned. */
  v: unknown;
}

/**
 * Process → main: the sequence numbers of a {@linkcode RevokeMessage} that were
 * taken back (the others had started); none of these will run there.
 */
export interface RevokedMessage {
  t: typeof MSG_REVOKED;
  r: number[];
}

/** Process → main: its inbox thread is up, or reads stdin now (`r` is empty). */
export interface InboxUpMessage {
  t: typeof MSG_INBOX_UP | typeof MSG_INBOX_READING;
  r: [];
}

/** Every message a worker sends to the pool. */
export type WorkerMessage =
  | InboxUpMessage
  | RevokedMessage
  | ResultsMessage
  | ReadyMessage
  | InitFailedMessage
  | ClosingMessage
  | ProgressMessage;

/** A serialized error. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  cause?: unknown;
  hasCause: boolean;
  props: Record<string, unknown> | undefined;
  dom: boolean;
}

/**
 * Turns an error into plain data that survives a structured clone, keeping its
 * name, message, stack, cause (recursively) and own enumerable properties.
 */
export function serializeError(error: Error, depth = 0): SerializedError {
  const out: SerializedError = {
    name: String(error.name),
    message: String(error.message),
    stack: typeof error.stack === "string" ? error.stack : undefined,
    hasCause: "cause" in error,
    props: undefined,
    dom: error instanceof DOMException,
  };
  if (out.hasCause) {
    const cause = error.cause;
    out.cause = cause instanceof Error && depth < 8
      ? { __tandemError: serializeError(cause, depth + 1) }
      : safeClone(cause);
  }
  for (const key of Object.keys(error)) {
    if (key === "cause" || key === "stack" || key === "message" || key === "name") continue;
    (out.props ??= {})[key] = safeClone((error as unknown as Record<string, unknown>)[key]);
  }
  return out;
}

function safeClone(value: unknown): unknown {
  if (value === null || typeof value !== "object" && typeof value !== "function") return value;
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

const ERROR_CLASSES: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an error serialized by {@linkcode serializeError}. */
export function deserializeError(data: SerializedError): Error {
  let error: Error;
  if (data.dom) {
    error = new DOMException(data.message, data.name);
  } else {
    const Class = ERROR_CLASSES[data.name] ?? Error;
    error = new Class(data.message);
    if (error.name !== data.name) {
      Object.defineProperty(error, "name", {
        value: data.name,
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
  }
  if (data.stack !== undefined) {
    Object.defineProperty(error, "stack", {
      value: data.stack,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (data.hasCause) {
    const cause = data.cause as { __tandemError?: SerializedError } | undefined;
    Object.defineProperty(error, "cause", {
      value: cause !== null && typeof cause === "object" && cause.__tandemError
        ? deserializeError(cause.__tandemError)
        : cause,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (data.props) Object.assign(error, data.props);
  return error;
}
