/**
 * Private: the task runner inside a pool's worker (a Web Worker or a `deno`
 * subprocess). It loads the task module, runs the initializer, runs batches of
 * tasks one at a time and sends their outcomes back in batches.
 *
 * @module
 */

import {
  claimTag,
  CTL_CLAIM,
  CTL_CLAIM_MASK,
  CTL_CURRENT,
  CTL_LENGTH,
  CTL_RING,
  CTL_RING_MASK,
  CTL_STOP,
  type InitFailedMessage,
  type InitMessage,
  KIND_CALL,
  MSG_INIT,
  MSG_INIT_FAILED,
  MSG_PROGRESS,
  MSG_READY,
  MSG_RESULTS,
  MSG_RUN,
  OUT_ERROR,
  OUT_OK,
  OUT_SKIPPED,
  OUT_THROWN,
  type ProgressMessage,
  type ReadyMessage,
  type ResultsMessage,
  type RunMessage,
  serializeError,
  TASK_STRIDE,
} from "./_protocol.ts";
import { MSG_SHADOW, type ShadowMessage, steal, stolenTag } from "./_slot.ts";
import { holdsShared } from "../sync/_walk_shared.ts";
import { getTaskContext } from "./task_context.ts";

const CONTEXT_KEY = Symbol.for("tandem.pool.taskContext");

// `sync/` loads when a task's arguments hold a `sync/` primitive, or once the worker
// idles after its first tasks, so that it does not delay a worker's first result: about
// 15 modules, 10–30 ms of a new worker's start.
let revive: (<T>(value: T) => T) | undefined;
let reviveLoading: Promise<void> | undefined;
let preload: ReturnType<typeof setTimeout> | undefined;
const PRELOAD_IDLE_MS = 100;
function loadRevive(): Promise<void> {
  return reviveLoading ??= import("../sync/revive.ts").then((m) => {
    revive = m.reviveShared;
  });
}
const FLUSH_EVERY = 3 * 512;
const FLUSH_AFTER_MS = 2;

type AnyFunction = (...args: unknown[]) => unknown;

/** Sends a message to the main side; throws a `DataCloneError` when it cannot. */
export type Post = (message: unknown) => void;

interface RunnerState {
  id: number;
  ctl: Int32Array;
  name: string;
  context: unknown;
  progress(id: number, value: unknown): void;
}

/** Runs tasks for one worker. */
export class Runner {
  #post: Post;
  #state: RunnerState;
  #module: Record<string, unknown> | undefined;
  #moduleUrl: string | undefined;
  #ready: Promise<void> | undefined;
  #fns = new Map<number, { fn: AnyFunction; name: string }>();
  #queue: unknown[] = [];
  #head = 0;
  /** The sequence number of the task at `#queue[0]` (see `CTL_CLAIM`). */
  #queueSeq = 0;
  /** Tasks received so far: the sequence number of the next one. */
  #received = 0;
  /** Copies of other threads' unstarted tasks, taken once this one's queue is empty. */
  #shadows: { ctl: Int32Array; q: unknown[] }[] = [];
  #draining = false;
  /** Whether it started its first batch. */
  #started = false;
  #eager = false;
  #loadError: unknown;
  #reportAll: boolean;
  #nextTurn: (() => Promise<void>) | undefined;
  /** The async task whose promise is awaited now, alone (see `#awaitAlone`), or 0. */
  #awaiting = 0;
  /** The first stray rejection seen while `#awaiting`. */
  #stray: { reason: unknown } | undefined;
  /** Synchronous tasks that ran since the last turn of the event loop: id and name. */
  #recent: [number, string][] = [];

  /**
   * @param post Sends a message to the main side.
   * @param ctl A local control array, replaced by the shared one of the init message.
   * @param preloaded The task module, when it is already loaded.
   * @param loadError Why the task module failed to load.
   * @param nextTurn Resolves after the event loop's next turn, when unhandled promise
   * rejections have been dispatched: given, an async task's stray rejection fails that
   * task (a process, which would die of it during a later task).
   * @param reportAll Report every outcome before the next task starts (a process: the
   * pool cannot see what it runs, and what it kills must not have run unreported tasks).
   */
  constructor(
    post: Post,
    ctl: Int32Array = new Int32Array(CTL_LENGTH),
    preloaded?: Record<string, unknown>,
    loadError?: unknown,
    reportAll = false,
    nextTurn?: () => Promise<void>,
  ) {
    this.#nextTurn = nextTurn;
    this.#post = post;
    this.#reportAll = reportAll;
    this.#module = preloaded;
    this.#loadError = loadError;
    this.#state = {
      id: 0,
      ctl,
      name: "",
      context: undefined,
      progress: (id, value) => this.#progress(id, value),
    };
    (globalThis as Record<symbol, unknown>)[CONTEXT_KEY] = this.#state;
  }

  /** The control array (for the process runner to mark cancellations). */
  get ctl(): Int32Array {
    return this.#state.ctl;
  }

  /** The id of the task running now, or 0. */
  get current(): number {
    return this.#state.id;
  }

  /** Handles one message from the main side. */
  handle(message: InitMessage | RunMessage | ShadowMessage): void {
    if (message.t === MSG_SHADOW) {
      if (message.fns) this.#compile(message.fns);
      this.#shadows.push({ ctl: new Int32Array(message.ctl), q: message.q });
      if (!this.#draining) this.#drain();
    } else if (message.t === MSG_RUN) {
      // A worker's first batch carries its init message.
      if (message.i) this.#ready = this.#init(message.i);
      // Tasks with a timeout: report each outcome before the next task starts, so
      // that the pool times only the task that runs.
      if (message.e) this.#eager = true;
      if (message.fns) this.#compile(message.fns);
      const q = message.q;
      if (this.#head === this.#queue.length) {
        this.#queue = q;
        this.#head = 0;
        this.#queueSeq = this.#received;
      } else {
        for (let i = 0; i < q.length; i++) this.#queue.push(q[i]);
      }
      this.#received += q.length / TASK_STRIDE;
      if (!this.#draining) this.#drain();
    } else if (message.t === MSG_INIT) {
      this.#ready = this.#init(message);
    }
  }

  #compile(fns: [number, string, string][]): void {
    for (const [id, src, name] of fns) {
      try {
        this.#fns.set(id, compile(src, name));
      } catch (error) {
        this.#fns.set(id, {
          fn: () => {
            throw error;
          },
          name,
        });
      }
    }
  }

  async #init(message: InitMessage): Promise<void> {
    this.#state.name = message.name;
    if (message.ctl) this.#state.ctl = new Int32Array(message.ctl);
    this.#moduleUrl = message.module;
    try {
      if (this.#loadError !== undefined) throw this.#loadError;
      if (message.module !== undefined && this.#module === undefined) {
        this.#module = await import(message.module);
      }
      if (message.initializer !== undefined) {
        const init = this.#module?.[message.initializer];
        if (typeof init !== "function") {
          throw new TypeError(
            `Cannot run initializer as module '${message.module}' has no exported function '${message.initializer}'`,
          );
        }
        const args = message.initArgs;
        if (revive === undefined && holdsShared(args)) await loadRevive();
        await init(...(revive === undefined ? args : revive(args)));
      }
      this.#post({ t: MSG_READY } satisfies ReadyMessage);
    } catch (error) {
      this.#post(
        {
          t: MSG_INIT_FAILED,
          e: error instanceof Error ? serializeError(error) : undefined,
          v: error instanceof Error ? undefined : String(error),
        } satisfies InitFailedMessage,
      );
      throw error;
    }
  }

  #resolve(ref: unknown): { fn: AnyFunction; name: string; inline: boolean } {
    if (typeof ref === "number") {
      const entry = this.#fns.get(ref);
      if (entry === undefined) throw new TypeError(`Cannot run task as function ${ref} is unknown`);
      return { fn: entry.fn, name: entry.name, inline: true };
    }
    const name = String(ref);
    if (this.#module === undefined) {
      throw new TypeError(
        `Cannot run task '${name}' as the pool has no module: pass a function or create the pool with a module`,
      );
    }
    const fn = this.#module[name];
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot run task as module '${this.#moduleUrl}' has no exported function '${name}'`,
      );
    }
    return { fn: fn as AnyFunction, name, inline: false };
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    if (preload !== undefined) {
      // Busy again: the preload waits for the next idle time (see the end of #drain).
      clearTimeout(preload);
      preload = undefined;
    }
    try {
      if (this.#ready) {
        await this.#ready;
        // Loaded: later batches start in the message's own turn, not a microtask later.
        this.#ready = undefined;
      }
    } catch {
      this.#draining = false;
      return;
    }
    if (!this.#started) {
      // A new thread's first batch was dealt before it was ready, and copies of other
      // threads' tasks (see `#shadows`) may follow it: take those in before starting,
      // so that it can take one the moment it is idle (one turn, once per worker).
      this.#started = true;
      await nextTask();
    }
    const state = this.#state;
    const ctl = state.ctl;
    let out: unknown[] = [];
    let last = performance.now();
    let lastRef: unknown = undefined;
    let resolved: { fn: AnyFunction; name: string; inline: boolean } | undefined;
    for (;;) {
      let id: number;
      let kind: number;
      let ref: unknown;
      let args: unknown[];
      if (this.#head < this.#queue.length) {
        const q = this.#queue;
        const i = this.#head;
        id = q[i] as number;
        kind = q[i + 1] as number;
        ref = q[i + 2];
        args = q[i + 3] as unknown[];
        q[i + 3] = undefined;
        this.#head = i + TASK_STRIDE;
        const claimed = claim(ctl, this.#queueSeq + i / TASK_STRIDE);
        if (claimed !== CLAIMED) {
          // The pool took it back for an idle worker, or a thread that held a copy
          // took it (the pool learns that here): it runs there.
          if (claimed === STOLEN) out.push(-id, OUT_SKIPPED, undefined);
          continue;
        }
      } else if (this.#shadows.length > 0) {
        // Idle: take another thread's unstarted task at once, without waiting for
        // the pool's thread to hand it over.
        const { ctl: owner, q } = this.#shadows.shift()!;
        if (!steal(owner, q[4] as number)) continue;
        // Taken: now report what was done before it (held back so as to take it first).
        if (out.length > 0) {
          out = this.#flush(out);
          last = performance.now();
        }
        id = q[0] as number;
        kind = q[1] as number;
        ref = q[2];
        args = q[3] as unknown[];
      } else {
        break;
      }
      if (Atomics.load(ctl, CTL_RING + (id & CTL_RING_MASK)) === id) {
        out.push(id, OUT_SKIPPED, undefined);
        continue;
      }
      if (Atomics.load(ctl, CTL_STOP) !== 0) {
        // The pool ended this worker (this thread outlived `terminate()` in a stuck
        // task) and gave the remaining tasks to another one: run none of them here.
        this.#queue = [];
        this.#head = 0;
        this.#queueSeq = this.#received;
        this.#shadows = [];
        this.#draining = false;
        return;
      }
      if ((this.#eager || this.#reportAll) && out.length > 0) {
        out = this.#flush(out);
        last = performance.now();
      }
      state.id = id;
      Atomics.store(ctl, CTL_CURRENT, id);
      try {
        if (ref !== lastRef || resolved === undefined) {
          // Another function may run long: report what is done first.
          if (out.length > 0) out = this.#flush(out);
          resolved = undefined;
          resolved = this.#resolve(ref);
          lastRef = ref;
        }
        const fn = resolved.fn;
        for (let a = 0; a < args.length; a++) {
          const arg = args[a];
          if (typeof arg === "object" && arg !== null) {
            if (revive === undefined && holdsShared(arg)) await loadRevive();
            if (revive !== undefined) args[a] = revive(arg);
          }
        }
        let value: unknown;
        if (kind === KIND_CALL) {
          value = fn(...args);
          if (isThenable(value)) {
            if (out.length > 0) out = this.#flush(out);
            value = this.#nextTurn === undefined
              ? await value
              : await this.#awaitAlone(id, resolved.name, value);
          } else if (this.#nextTurn !== undefined && this.#recent.length < 64) {
            this.#recent.push([id, resolved.name]);
          }
        } else {
          const inputs = args[0] as unknown[];
          const results = new Array(inputs.length);
          for (let k = 0; k < inputs.length; k++) {
            let v = fn(inputs[k]);
            if (isThenable(v)) {
              if (out.length > 0) out = this.#flush(out);
              v = await v;
            }
            results[k] = v;
          }
          value = results;
        }
        out.push(id, OUT_OK, value);
      } catch (error) {
        if (error instanceof Error) {
          out.push(id, OUT_ERROR, serializeError(explain(error, resolved)));
        } else {
          out.push(id, OUT_THROWN, error);
        }
      }
      state.id = 0;
      Atomics.store(ctl, CTL_CURRENT, 0);
      if (out.length >= FLUSH_EVERY) {
        out = this.#flush(out);
        last = performance.now();
      } else if (this.#head >= this.#queue.length && this.#shadows.length > 0) {
        // Take a copy first: reporting wakes the pool's thread, which may take this
        // thread's core for a while on a loaded machine (10 ms and more).
      } else {
        const now = performance.now();
        if (now - last > FLUSH_AFTER_MS) {
          out = this.#flush(out);
          last = now;
        }
      }
    }
    this.#queue = [];
    this.#head = 0;
    this.#queueSeq = this.#received;
    if (out.length > 0) this.#flush(out);
    this.#draining = false;
    this.#eager = false;
    if (revive === undefined && preload === undefined) {
      // Load sync/ once this worker idles, not as its last task ends: a pool shut down
      // then (a word count's) would spend its CPU on modules no task will use.
      const timer = setTimeout(() => {
        preload = undefined;
        loadRevive().catch(() => {});
      }, PRELOAD_IDLE_MS);
      Deno.unrefTimer(timer); // a subprocess ends when its input does, not later
      preload = timer;
    }
  }

  /**
   * Awaits an async task so that a promise rejection it leaves unhandled fails it: its
   * promise, then one turn of the event loop, where Deno dispatches rejections. After
   * synchronous tasks (whose rejections would be dispatched in that turn too), one
   * turn first, so that theirs are not charged to it.
   */
  async #awaitAlone(id: number, name: string, promise: PromiseLike<unknown>): Promise<unknown> {
    this.#stray = undefined;
    if (this.#recent.length > 0) {
      // A rejection dispatched now may be theirs or this task's synchronous part's:
      // `rejection()` names them all.
      this.#recent.push([id, name]);
      await this.#nextTurn!();
      this.#recent = [];
    }
    this.#awaiting = id;
    try {
      const value = await promise;
      await this.#nextTurn!();
      // Set by `rejection()` meanwhile (TypeScript cannot see that).
      const stray = this.#stray as { reason: unknown } | undefined;
      if (stray !== undefined) {
        throw new Error(
          `Task ${id} ('${name}') left an unhandled promise rejection: ${describe(stray.reason)}`,
          { cause: stray.reason },
        );
      }
      return value;
    } finally {
      this.#awaiting = 0;
      this.#stray = undefined;
    }
  }

  /**
   * Takes an unhandled promise rejection (a process's `unhandledrejection` event): it
   * fails the async task awaited now, or is reported on stderr with the synchronous
   * tasks that may have left it. Either way the process lives on, and no later task
   * is blamed for it.
   */
  rejection(reason: unknown): void {
    if (this.#awaiting !== 0) {
      this.#stray ??= { reason };
      return;
    }
    const recent = this.#recent;
    this.#recent = [];
    const by = recent.length === 0
      ? "a task"
      : recent.length === 1
      ? `task ${recent[0][0]} ('${recent[0][1]}')`
      : `one of tasks ${recent.map(([id, name]) => `${id} ('${name}')`).join(", ")}`;
    console.error(
      `Warning: ${by} in '${this.#state.name}' left an unhandled promise rejection: ${
        describe(reason)
      }`,
    );
  }

  #progress(id: number, value: unknown): void {
    const message: ProgressMessage = { t: MSG_PROGRESS, id, v: value };
    try {
      this.#post(message);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new DOMException(
        `Cannot report the progress of task ${id} to the pool: ${why}`,
        "DataCloneError",
      );
    }
  }

  #flush(out: unknown[]): unknown[] {
    try {
      this.#post({ t: MSG_RESULTS, r: out } satisfies ResultsMessage);
    } catch {
      // Some result cannot be cloned: send the outcomes one by one.
      for (let i = 0; i < out.length; i += 3) {
        try {
          this.#post(
            { t: MSG_RESULTS, r: [out[i], out[i + 1], out[i + 2]] } satisfies ResultsMessage,
          );
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          const clone = new DOMException(
            `Cannot send the result of task ${out[i]} back to the pool: ${message}`,
            "DataCloneError",
          );
          this.#post(
            {
              t: MSG_RESULTS,
              r: [out[i], OUT_ERROR, serializeError(clone)],
            } satisfies ResultsMessage,
          );
        }
      }
    }
    return [];
  }
}

/**
 * Claims task number `seq` of this worker before it starts: `REVOKED` when the pool
 * took it back (see `CTL_CLAIM`), `STOLEN` when a thread holding a copy took it; one
 * compare-and-swap against theirs.
 */
function claim(ctl: Int32Array, seq: number): number {
  const at = CTL_CLAIM + (seq & CTL_CLAIM_MASK);
  const revoked = claimTag(seq, true);
  const started = claimTag(seq, false);
  const stolen = stolenTag(seq);
  for (;;) {
    const word = Atomics.load(ctl, at);
    if (word === revoked) return REVOKED;
    if (word === stolen) return STOLEN;
    if (Atomics.compareExchange(ctl, at, word, started) === word) return CLAIMED;
  }
}
const CLAIMED = 0;
const REVOKED = 1;
const STOLEN = 2;

/**
 * Resolves in a later task of the event loop, after the messages already received:
 * through a message channel, as `setTimeout(0)` cost a new worker 6 ms here.
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(undefined);
    port2.close();
  });
}

function describe(reason: unknown): string {
  return reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function";
}

/** Turns the bare ReferenceError of a function that uses outer variables into a clear one. */
function explain(
  error: Error,
  resolved: { name: string; inline: boolean } | undefined,
): Error {
  if (resolved?.inline && error instanceof ReferenceError) {
    const match = /^(\S+) is not defined/.exec(error.message);
    if (match) {
      return new ReferenceError(
        `Cannot run function '${resolved.name}' in a worker as it uses '${
          match[1]
        }' from outside its body: a function sent to a worker must be self-contained (pass values as arguments or use a task module)`,
        { cause: error },
      );
    }
  }
  return error;
}

/**
 * Compiles a function sent by the pool. `getTaskContext` is in its scope, so that a
 * self-contained function can reach its signal and report progress with the name it
 * imported in the pool's thread.
 */
function compile(src: string, name: string): { fn: AnyFunction; name: string } {
  let fn: unknown;
  try {
    fn = new Function("getTaskContext", `return (${src}\n);`)(getTaskContext);
  } catch {
    // A method shorthand such as `double(x) { return 2 * x; }`.
    const holder = new Function("getTaskContext", `return ({${src}\n});`)(
      getTaskContext,
    ) as Record<string, unknown>;
    fn = Object.values(holder)[0];
  }
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot compile function '${name}' in the worker`);
  }
  return { fn: fn as AnyFunction, name };
}
