/**
 * Private: layout constants and checks shared by every `sync/` primitive.
 *
 * Every primitive owns one `SharedArrayBuffer` whose first Int32 word is a tag
 * (`TAG_BASE + kind`), so a structured-cloned handle can be recognised and checked.
 *
 * @module
 */

/** High half of every tag word ("TD"). */
export const TAG_BASE = 0x54440000;

/** Kinds of primitive, stored in the low half of the tag word. */
export const KIND = {
  Lock: 1,
  RLock: 2,
  Semaphore: 3,
  BoundedSemaphore: 4,
  Condition: 5,
  Event: 6,
  Barrier: 7,
  SharedValue: 8,
  SharedArray: 9,
} as const;

/** Name of a kind. */
export type KindName = keyof typeof KIND;

/** Slice between owner-liveness checks and keep-alive ticks of async waits, in ms. */
export const TICK_MS = 100;

/**
 * Reads the kind tag of a buffer (of the record at `byteOffset`, for the lock slabs of
 * `_lock_slab.ts`), or 0 when it carries none or `byteOffset` is not a word inside it.
 */
export function kindOf(buffer: SharedArrayBuffer, byteOffset = 0): number {
  if (!(byteOffset >= 0 && byteOffset % 4 === 0 && byteOffset + 4 <= buffer.byteLength)) return 0;
  const tag = Atomics.load(new Int32Array(buffer, byteOffset, 1), 0);
  return (tag & 0xffff0000) === TAG_BASE ? tag & 0xffff : 0;
}

/** Allocates a tagged buffer of `bytes` bytes (rounded up to 8). */
export function allocate(kind: KindName, bytes: number): SharedArrayBuffer {
  return tag(new SharedArrayBuffer(Math.ceil(bytes / 8) * 8), kind);
}

/** Writes the tag of `kind` into a new primitive's `buffer`, and returns the buffer. */
export function tag(buffer: SharedArrayBuffer, kind: KindName): SharedArrayBuffer {
  new Int32Array(buffer)[0] = TAG_BASE + KIND[kind];
  return buffer;
}

/**
 * Checks that `message` is a structured clone (or live instance) of kind `kind` (at
 * `byteOffset` of its buffer: a multiple of 4) and returns its buffer.
 */
export function bufferFrom(
  message: unknown,
  kind: KindName,
  minBytes: number,
  byteOffset = 0,
): SharedArrayBuffer {
  const buffer = (message as { buffer?: unknown } | null | undefined)?.buffer;
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new TypeError(
      `Cannot rehydrate ${kind} as the message has no 'buffer' SharedArrayBuffer: received ${
        describe(message)
      }`,
    );
  }
  const found = kindOf(buffer, byteOffset);
  if (found !== KIND[kind] || buffer.byteLength < minBytes) {
    const name = Object.entries(KIND).find(([, value]) => value === found)?.[0];
    throw new TypeError(
      `Cannot rehydrate ${kind} as the buffer holds another primitive: received '${
        name ?? "untagged memory"
      }'`,
    );
  }
  return buffer;
}

/**
 * The `lock` field of a cloned value that carries its own lock (`SharedValue`,
 * `SharedArray`), checked to be an object (`Lock.from` checks the rest).
 */
export function lockMessage(message: unknown, kind: KindName): unknown {
  const lock = (message as { lock?: unknown }).lock;
  if (lock === null || typeof lock !== "object") {
    throw new TypeError(
      `Cannot rehydrate ${kind} as the message has no 'lock': received ${describe(lock)}`,
    );
  }
  return lock;
}

/** Converts and checks a timeout in milliseconds; `undefined` means forever. */
export function toTimeout(what: string, timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return Infinity;
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(
      `Cannot ${what} as 'timeoutMs' must be a non-negative number: received ${
        describe(timeoutMs)
      }`,
    );
  }
  return timeoutMs;
}

/** Short description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : `an object`;
}
