/**
 * `reviveShared`: rehydration of `sync/` primitives after a structured clone.
 *
 * @module
 */

import { KIND } from "./_shared.ts";
import { walkShared } from "./_walk_shared.ts";
import { Barrier } from "./barrier.ts";
import { BoundedSemaphore } from "./bounded_semaphore.ts";
import { Condition } from "./condition.ts";
import { Event } from "./event.ts";
import { Lock } from "./lock.ts";
import { RLock } from "./rlock.ts";
import { Semaphore } from "./semaphore.ts";
import { SharedArray } from "./shared_array.ts";
import { SharedValue } from "./shared_value.ts";

type Reviver = (message: unknown) => unknown;

const revivers: (Reviver | undefined)[] = [];
revivers[KIND.Lock] = Lock.from;
revivers[KIND.RLock] = RLock.from;
revivers[KIND.Semaphore] = Semaphore.from;
revivers[KIND.BoundedSemaphore] = BoundedSemaphore.from;
revivers[KIND.Condition] = Condition.from;
revivers[KIND.Event] = Event.from;
revivers[KIND.Barrier] = Barrier.from;
revivers[KIND.SharedValue] = SharedValue.from;
revivers[KIND.SharedArray] = SharedArray.from;

/**
 * Walks a value that crossed a thread boundary (a `postMessage` payload, a task's
 * arguments or result) and turns every cloned `sync/` primitive back into a working
 * object of its class, sharing the same memory as the original.
 *
 * A cloned primitive is a plain object whose `buffer` is a `SharedArrayBuffer` starting
 * with a Tandem type tag. Arrays, plain objects, `Map`s and `Set`s are searched (and
 * updated in place); primitives, typed arrays and class instances are returned as they
 * are, so the cost for plain numbers and strings is one `typeof` check. Cycles are
 * followed once.
 *
 * @param value The structured-cloned value.
 * @returns The value with every primitive rehydrated (plain data is returned as is).
 *
 * @example Plain data passes through
 * ```ts
 * import { reviveShared } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(reviveShared({ a: [1, 2] }), { a: [1, 2] });
 * ```
 *
 * @example A lock inside a message
 * ```ts
 * import { Lock, reviveShared } from "@tandem/tandem/sync";
 * import { assert } from "@std/assert";
 *
 * const lock = new Lock();
 * const { lock: same } = reviveShared(structuredClone({ lock }));
 * assert(same instanceof Lock);
 * lock.acquire();
 * assert(same.locked);
 * lock.release();
 * ```
 */
export function reviveShared<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  return walkShared(value, (message, kind) => revivers[kind]?.(message)) as T;
}
