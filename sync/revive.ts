/**
 * `reviveShared`: rehydration of `sync/` primitives after a structured clone.
 *
 * @module
 */

import { KIND, kindOf } from "./_shared.ts";
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
  return walk(value, undefined) as T;
}

function walk(value: object, seen: Map<object, unknown> | undefined): unknown {
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype) {
    const buffer = (value as { buffer?: unknown }).buffer;
    if (buffer instanceof SharedArrayBuffer) {
      const from = revivers[kindOf(buffer)];
      if (from !== undefined) {
        const revived = from(value);
        seen?.set(value, revived);
        return revived;
      }
    }
  } else if (!Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set)) {
    return value;
  }
  // A container: visit its items once, remembering what each object became.
  if (seen === undefined) {
    if (Array.isArray(value) ? !hasObject(value) : isFlatRecord(value)) return value;
    seen = new Map();
  }
  seen.set(value, value);
  const visit = (item: unknown): unknown => {
    if (typeof item !== "object" || item === null) return item;
    return seen!.has(item) ? seen!.get(item) : walk(item, seen);
  };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === "object" && item !== null) {
        const next = visit(item);
        if (next !== item) value[i] = next;
      }
    }
  } else if (value instanceof Map) {
    for (const [key, item] of value) {
      const next = visit(item);
      if (next !== item) value.set(key, next);
    }
  } else if (value instanceof Set) {
    for (const item of [...value]) {
      const next = visit(item);
      if (next !== item) {
        value.delete(item);
        value.add(next);
      }
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key in record) {
      const item = record[key];
      if (typeof item === "object" && item !== null) {
        const next = visit(item);
        if (next !== item) record[key] = next;
      }
    }
  }
  return value;
}

function hasObject(items: unknown[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item === "object" && item !== null) return true;
  }
  return false;
}

function isFlatRecord(value: object): boolean {
  if (value instanceof Map || value instanceof Set) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === "object" && item !== null) return false;
  }
  return true;
}
