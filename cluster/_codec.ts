/**
 * Private: how values cross Redis. Arguments, results and progress values travel as
 * text (BullMQ stores job data and return values as JSON): JSON itself when that is
 * exact, else `node:v8` structured-clone bytes in base64, which keep `Date`, `Map`,
 * `Set`, typed arrays and `BigInt` as a `ProcessPool`'s pipe does. Errors are
 * first turned into plain records that keep their class name, message, stack,
 * cause and own properties, as a `ProcessPool` does.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { deserialize, serialize } from "node:v8";

/** The prefix of a value encoded as JSON text. */
const JSON_TAG = "j:";
/** The prefix of a value encoded as base64 `node:v8` bytes. */
const V8_TAG = "v:";
/** Deeper values go through `node:v8` (which also handles cycles). */
const MAX_JSON_DEPTH = 32;

/**
 * Whether `JSON.parse(JSON.stringify(value))` gives back an equal value: finite
 * numbers other than -0, strings, booleans, `null`, dense arrays and plain objects of
 * those. `node:v8`'s `serialize` costs ~45 µs a call under Deno 2.9.6 (JSON: ~2 µs for
 * a small argument list), so most tasks' arguments and results take this path.
 */
function jsonExact(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (depth > MAX_JSON_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !jsonExact(value[i], depth + 1)) return false;
        }
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) {
        if (!jsonExact((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * Encodes a value as text: JSON when that is exact (readable in dashboards),
 * else base64 `node:v8` bytes (`Date`, `Map`, `Set`, typed arrays, `BigInt`, …).
 *
 * @throws {DOMException} `DataCloneError` when `node:v8` cannot serialize it.
 */
export function encodeValue(value: unknown, what: string): string {
  if (jsonExact(value, 0)) return JSON_TAG + JSON.stringify(value);
  let bytes: Uint8Array;
  try {
    bytes = serialize(value);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new DOMException(`Cannot serialize ${what}: ${why}`, "DataCloneError");
  }
  return V8_TAG +
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Decodes what {@linkcode encodeValue} made. */
export function decodeValue(text: string): unknown {
  if (text.startsWith(JSON_TAG)) return JSON.parse(text.slice(JSON_TAG.length));
  if (text.startsWith(V8_TAG)) return deserialize(Buffer.from(text.slice(V8_TAG.length), "base64"));
  throw new TypeError(
    `Cannot decode a value as it is not a Tandem encoding: received '${text.slice(0, 20)}'`,
  );
}

/** An error as plain data (the record inside an encoded failure). */
export interface SerializedError {
  /** `error.name`. */
  name: string;
  /** `error.message`. */
  message: string;
  /** `error.stack`, if a string. */
  stack: string | undefined;
  /** Whether the error has a `cause` property. */
  hasCause: boolean;
  /** The cause: a nested `{ error }` for an `Error`, else the value itself. */
  cause?: { error: SerializedError } | { value: unknown };
  /** Own enumerable properties other than the above. */
  props: Record<string, unknown> | undefined;
  /** Whether it was a `DOMException`. */
  dom: boolean;
}

/** What a failed job leaves for the caller: an `Error`, or another thrown value. */
export type Failure = { error: SerializedError } | { value: unknown };

const MAX_CAUSE_DEPTH = 8;

/** Turns an error into a {@linkcode SerializedError}. */
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
    out.cause = cause instanceof Error && depth < MAX_CAUSE_DEPTH
      ? { error: serializeError(cause, depth + 1) }
      : { value: cloneable(cause) };
  }
  for (const key of Object.keys(error)) {
    if (key === "cause" || key === "stack" || key === "message" || key === "name") continue;
    (out.props ??= {})[key] = cloneable((error as unknown as Record<string, unknown>)[key]);
  }
  return out;
}

/** The value itself when `node:v8` can write it, else its string form. */
function cloneable(value: unknown): unknown {
  if (value === null || typeof value !== "object" && typeof value !== "function") return value;
  try {
    serialize(value);
    return value;
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

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true });
}

/** Rebuilds an error from a {@linkcode SerializedError}. */
export function deserializeError(data: SerializedError): Error {
  let error: Error;
  if (data.dom) {
    error = new DOMException(data.message, data.name);
  } else {
    const Class = ERROR_CLASSES[data.name] ?? Error;
    error = new Class(data.message);
    if (error.name !== data.name) define(error, "name", data.name);
  }
  if (data.stack !== undefined) define(error, "stack", data.stack);
  if (data.hasCause && data.cause !== undefined) {
    define(
      error,
      "cause",
      "error" in data.cause ? deserializeError(data.cause.error) : data.cause.value,
    );
  }
  if (data.props) Object.assign(error, data.props);
  return error;
}

/** Encodes why a task failed (an `Error` or any thrown value). */
export function encodeFailure(reason: unknown): string {
  const failure: Failure = reason instanceof Error
    ? { error: serializeError(reason) }
    : { value: cloneable(reason) };
  return encodeValue(failure, "a task's error");
}

/** Decodes what {@linkcode encodeFailure} made into the error (or value) to reject with. */
export function decodeFailure(text: string): unknown {
  const failure = decodeValue(text) as Failure;
  return "error" in failure ? deserializeError(failure.error) : failure.value;
}

/**
 * Describes the first `SharedArrayBuffer` in `value` (directly, under a typed array,
 * or inside a `sync/` object), or returns `undefined` when there is none. Walks what a
 * structured clone would copy: arrays, objects' own enumerable properties, `Map`s and
 * `Set`s, each object once.
 */
export function findShared(value: unknown): string | undefined {
  const seen = new Set<object>();
  const visit = (item: unknown, holder: string | undefined): string | undefined => {
    if (typeof item !== "object" || item === null || seen.has(item)) return undefined;
    seen.add(item);
    if (item instanceof SharedArrayBuffer) return holder ?? "a SharedArrayBuffer";
    if (ArrayBuffer.isView(item)) {
      return item.buffer instanceof SharedArrayBuffer
        ? holder ?? `${article(item.constructor.name)} over a SharedArrayBuffer`
        : undefined;
    }
    if (item instanceof ArrayBuffer || item instanceof Date || item instanceof RegExp) {
      return undefined;
    }
    const proto = Object.getPrototypeOf(item);
    const plain = proto === Object.prototype || proto === null || Array.isArray(item) ||
      item instanceof Map || item instanceof Set || item instanceof Error;
    const name = plain ? holder : holder ?? article(item.constructor?.name ?? "object");
    if (item instanceof Map) {
      for (const [key, entry] of item) {
        const found = visit(key, name) ?? visit(entry, name);
        if (found) return found;
      }
      return undefined;
    }
    if (item instanceof Set) {
      for (const entry of item) {
        const found = visit(entry, name);
        if (found) return found;
      }
      return undefined;
    }
    for (const key of Object.keys(item)) {
      const found = visit((item as Record<string, unknown>)[key], name);
      if (found) return found;
    }
    return undefined;
  };
  return visit(value, undefined);
}

/** "a Lock", "an Int32Array". */
function article(name: string): string {
  return `${/^[AEIOU]/i.test(name) ? "an" : "a"} ${name}`;
}
