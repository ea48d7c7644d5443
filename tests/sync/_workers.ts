// Test helper: a set of fixture workers that can be sent commands and that are all
// terminated (and counted) on disposal.
import { SharedArray } from "../../sync/mod.ts";

/** Reply of the fixture worker. */
export interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { name: string; message: string };
}

/** One fixture worker. */
export class TestWorker {
  readonly worker: Worker;
  #next = 0;
  #pending = new Map<number, (reply: Reply) => void>();
  terminated = false;

  constructor(url: URL = new URL("../testdata/sync_worker.ts", import.meta.url)) {
    this.worker = new Worker(url, { type: "module" });
    this.worker.onmessage = (event: MessageEvent<Reply>) => {
      const resolve = this.#pending.get(event.data.id);
      this.#pending.delete(event.data.id);
      resolve?.(event.data);
    };
  }

  /** Sends a command and resolves with the reply. */
  send(op: string, args: Record<string, unknown> = {}): Promise<Reply> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.worker.postMessage({ id, op, ...args });
    });
  }

  /** Sends a command, and returns the value or throws the error of the reply. */
  async call(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const reply = await this.send(op, args);
    if (!reply.ok) throw new Error(`${reply.error!.name}: ${reply.error!.message}`);
    return reply.value;
  }

  terminate(): void {
    this.worker.terminate();
    this.terminated = true;
  }
}

/** A group of workers, all terminated when disposed. */
export class Workers implements Disposable {
  readonly all: TestWorker[];

  constructor(count: number, url?: URL) {
    this.all = Array.from({ length: count }, () => new TestWorker(url));
  }

  get allTerminated(): boolean {
    return this.all.every((worker) => worker.terminated);
  }

  [Symbol.dispose](): void {
    for (const worker of this.all) if (!worker.terminated) worker.terminate();
  }
}

/**
 * Has a fresh worker take `lock`, then terminates it (the lock's owner is dead), and
 * returns that worker.
 */
export async function holdInDeadWorker(lock: unknown): Promise<TestWorker> {
  const worker = new TestWorker();
  try {
    const held = await worker.call("hold", { lock });
    if (held !== "held") throw new Error(`The worker did not take the lock: ${held}`);
  } finally {
    worker.terminate();
  }
  return worker;
}

/**
 * Has `waiter` (a fixture worker) call `acquire()` with no timeout on `lock`, held by
 * `holder`, then terminates the holder; resolves with the waiter's reply. A test-level
 * guard fails the test instead of hanging if the waiter is never told.
 */
export async function acquireBehindDeadHolder(
  lock: unknown,
  holder: TestWorker,
  waiter: TestWorker,
): Promise<Reply> {
  const held = await holder.call("hold", { lock });
  if (held !== "held") throw new Error(`The holder did not take the lock: ${held}`);
  const reply = waiter.send("acquireTimeout", { lock });
  // Let the waiter fall asleep on the lock first (the outcome is the same if not).
  await new Promise((resolve) => setTimeout(resolve, 50));
  holder.terminate();
  let guard: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    guard = setTimeout(
      () => reject(new Error("The blocked acquire() was not told its lock's owner died")),
      30_000,
    );
  });
  try {
    return await Promise.race([reply, stuck]);
  } finally {
    clearTimeout(guard);
  }
}

/**
 * Four workers each take `lock` `depth` times around `n` racy increments of one shared
 * counter: two through the lock's clone (its WebAssembly memory), two through a handle
 * built from its bare buffer (Atomics). Returns the final count and what each used.
 */
export async function mixedHandleIncrements(
  lock: { buffer: SharedArrayBuffer; byteOffset: number },
  n: number,
  depth = 1,
): Promise<{ count: number; used: unknown[] }> {
  const counts = new SharedArray("int32", 1);
  using workers = new Workers(4);
  const used = await Promise.all(
    workers.all.map((w, i) =>
      w.call("guardedIncrement", {
        lock: i % 2 === 0 ? lock : { buffer: lock.buffer, byteOffset: lock.byteOffset },
        counts,
        n,
        depth,
      })
    ),
  );
  return { count: counts.get(0), used };
}
