/**
 * The identity of the current thread (the main thread or a Worker), and a way to ask
 * whether another thread is still alive.
 *
 * Deno has no thread id, so each thread draws a random 28-bit id. A Worker claims it by
 * taking the Web Lock `tandem.thread.<id>` (`navigator.locks`) with `ifAvailable` and
 * holding it for its whole life: a taken name means another live worker has the id, so
 * it draws again. The runtime releases a worker's Web Locks when the worker is
 * terminated, crashes or closes, so "the lock `tandem.thread.<id>` is no longer held"
 * means "thread `id` died". Ids of registered workers are odd; the main thread (which
 * must not hold a lock forever: a held Web Lock keeps Deno's event loop alive) and any
 * thread that could not register use even ids, and are never reported dead.
 *
 * @module
 */

interface LockManagerLike {
  request(
    name: string,
    options: { ifAvailable: boolean },
    callback: (lock: unknown) => unknown,
  ): Promise<unknown>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

const locks: LockManagerLike | undefined =
  (globalThis.navigator as unknown as { locks?: LockManagerLike } | undefined)?.locks;

/** True when this code runs inside a Worker. */
export const IS_WORKER: boolean =
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "function" &&
  globalThis instanceof
    (globalThis as unknown as { WorkerGlobalScope: new () => unknown }).WorkerGlobalScope;

/** Largest thread id plus one; ids leave bits 28..30 free for lock states. */
export const THREAD_ID_LIMIT = 1 << 28;

/** The Web Lock name that a registered worker holds for its lifetime. */
export function threadLockName(id: number): string {
  return `tandem.thread.${id}`;
}

function randomId(registered: boolean): number {
  const word = crypto.getRandomValues(new Uint32Array(1))[0] & (THREAD_ID_LIMIT - 1);
  const id = registered ? word | 1 : word & ~1;
  return id === 0 ? 2 : id;
}

function claim(id: number): Promise<boolean> {
  return new Promise((resolve) => {
    locks!.request(threadLockName(id), { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      // Hold the lock until this worker ends.
      return lock === null ? undefined : new Promise<never>(() => {});
    }).catch(() => resolve(false));
  });
}

async function allocate(): Promise<number> {
  if (IS_WORKER && locks !== undefined) {
    for (let attempt = 0; attempt < 16; attempt++) {
      const id = randomId(true);
      if (await claim(id)) return id;
    }
  }
  return randomId(false);
}

/** This thread's id: a positive integer below {@linkcode THREAD_ID_LIMIT}. */
export const THREAD_ID: number = await allocate();

/**
 * Tells whether the thread with this id is alive. Unregistered ids (even) are assumed
 * alive.
 */
export async function isThreadAlive(id: number): Promise<boolean> {
  if ((id & 1) === 0 || locks === undefined || id === THREAD_ID) return true;
  const name = threadLockName(id);
  const state = await locks.query();
  return (state.held ?? []).some((lock) => lock.name === name);
}
