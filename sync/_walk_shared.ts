/**
 * Private: the walk behind `reviveShared`, and {@linkcode holdsShared}, which tells
 * whether a value needs it (so a pool's worker loads the `sync/` classes only for
 * arguments that carry a primitive).
 *
 * @module
 */

import { kindOf } from "./_shared.ts";

/**
 * Called with each plain object whose `buffer` is a tagged `SharedArrayBuffer` (the
 * structured clone of a `sync/` primitive of kind `kind`): returns what replaces it, or
 * `undefined` to walk it as a plain record.
 */
export type Found = (message: object, kind: number) => unknown;

/**
 * Walks a structured-cloned value (arrays, plain objects, `Map`s and `Set`s, each
 * visited once) and replaces, in place, each cloned primitive with what `found` returns.
 */
export function walkShared(value: object, found: Found): unknown {
  return walk(value, undefined, found);
}

/**
 * Whether `value` holds the structured clone of a `sync/` primitive anywhere that
 * `reviveShared` looks. Cheap for plain data: no `sync/` class needs to be loaded.
 */
export function holdsShared(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  let holds = false;
  walk(value, undefined, (message) => {
    holds = true;
    return message; // unchanged: nothing is replaced
  });
  return holds;
}

function walk(
  value: object,
  seen: Map<object, unknown> | undefined,
  found: Found,
): unknown {
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype) {
    const buffer = (value as { buffer?: unknown }).buffer;
    if (buffer instanceof SharedArrayBuffer) {
      const kind = kindOf(buffer);
      const revived = kind === 0 ? undefined : found(value, kind);
      if (revived !== undefined) {
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
    return seen!.has(item) ? seen!.get(item) : walk(item, seen, found);
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
