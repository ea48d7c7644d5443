/**
 * Private: the slabs that `Lock` and `RLock` words live in, and the checks of a lock's
 * memory when a handle is rebuilt from it.
 *
 * A shared WebAssembly memory is at least one 64 KiB page, and V8 reserves address
 * space and bookkeeping for each one: a memory per lock cost 5.4 KB of RSS and 36 µs
 * to create (100,000 locks: 528 MiB and 3.4 s). So each thread carves its locks out of
 * one-page slabs: a slab holds 1,024 records of 64 bytes, one cache line each, so that
 * threads busy with two different locks never write to the same line. A lock is then
 * a slab (its `buffer`, and its `memory` where WebAssembly is available) and the
 * `byteOffset` of its record; a structured clone carries all three. 100,000 locks now
 * take 29 MiB of RSS (304 bytes each) and ~0.2 µs each to make.
 *
 * A slab holds records of one kind only (`Lock` or `RLock`): its first word, the tag
 * of its first record, names the kind of every lock in it, which is what
 * `reviveShared` and `Condition.from` read. Records are never reused, since a clone in
 * another thread may still use one; the garbage collector frees a slab once no handle
 * refers to it (so one long-lived lock keeps its 64 KiB page alive).
 *
 * ```
 *  slab (one 64 KiB page)
 *  ├─ record 0   bytes 0..63      TAG STATE FLAGS COUNT  (48 bytes of padding)
 *  ├─ record 1   bytes 64..127    TAG STATE FLAGS COUNT
 *  └─ … record 1023
 * ```
 *
 * @module
 */

import { checkInteger } from "./_checks.ts";
import { BYTES, FLAG_FIFO, FLAGS } from "./_futex.ts";
import { bufferFrom, KIND, TAG_BASE } from "./_shared.ts";
import { isWasmMemory, newCasMemory, PAGE_BYTES } from "./_wasm_cas.ts";

/** Bytes of one lock record: a cache line. */
export const RECORD_BYTES = 64;

/** The memory of a `Lock` or `RLock`: a slab, and where its record starts. */
export interface LockMemory {
  /** The slab's bytes (the WebAssembly memory's buffer when there is one). */
  buffer: SharedArrayBuffer;
  /** The slab as a shared WebAssembly memory, or `undefined` (then `Atomics` only). */
  memory: WebAssembly.Memory | undefined;
  /** Byte offset of the lock's record in `buffer`. */
  byteOffset: number;
  /**
   * An Int32 view of all of `buffer`: the lock's words are at `byteOffset / 4` on. One
   * view serves every lock of a slab: a view per lock made a lock 477 bytes instead of
   * 304, and tripled the garbage collector's share of making one.
   */
  i32: Int32Array;
}

/** The slab this thread is filling, per kind. */
interface Slab {
  buffer: SharedArrayBuffer;
  memory: WebAssembly.Memory | undefined;
  i32: Int32Array;
  next: number;
}

const slabs: { Lock?: Slab; RLock?: Slab } = {};

function newSlab(): Slab {
  const memory = newCasMemory();
  const buffer = memory === undefined
    ? new SharedArrayBuffer(PAGE_BYTES)
    : memory.buffer as unknown as SharedArrayBuffer;
  return { buffer, memory, i32: new Int32Array(buffer), next: 0 };
}

/** Takes a fresh, tagged record of `kind` from this thread's slab. */
function newRecord(kind: "Lock" | "RLock", fifo: boolean): LockMemory {
  let slab = slabs[kind];
  if (slab === undefined || slab.next === PAGE_BYTES) slab = slabs[kind] = newSlab();
  const byteOffset = slab.next;
  slab.next += RECORD_BYTES;
  const word = byteOffset >> 2;
  if (fifo) slab.i32[word + FLAGS] = FLAG_FIFO;
  // The tag goes last: a record is a lock once tagged. Plain writes are enough, as the
  // record reaches another thread only through postMessage.
  slab.i32[word] = TAG_BASE + KIND[kind];
  return { buffer: slab.buffer, memory: slab.memory, byteOffset, i32: slab.i32 };
}

/**
 * The memory of a new lock (options, or nothing), or of an existing one (its slab's
 * buffer or WebAssembly memory, and the record's byte offset, checked).
 */
export function lockMemory(
  kind: "Lock" | "RLock",
  arg: { fifo?: boolean } | SharedArrayBuffer | WebAssembly.Memory | undefined,
  byteOffset: number | undefined,
): LockMemory {
  let buffer: SharedArrayBuffer;
  let memory: WebAssembly.Memory | undefined;
  if (arg instanceof SharedArrayBuffer) {
    buffer = arg;
  } else if (isWasmMemory(arg)) {
    const bytes = arg.buffer;
    if (!(bytes instanceof SharedArrayBuffer)) {
      throw new TypeError(
        `Cannot use the WebAssembly.Memory for ${kind} as it is not shared: pass the 'memory' of a ${kind}`,
      );
    }
    buffer = bytes;
    memory = arg;
  } else {
    return newRecord(kind, arg?.fifo === true);
  }
  if (buffer.byteLength % 4 !== 0) check(buffer, kind, byteOffset); // throws
  const i32 = new Int32Array(buffer);
  // The common case, a clone's own offset, in a few comparisons: reviving a lock for
  // each pool task must stay cheap. Anything else gets the full checks and messages.
  if (
    !(typeof byteOffset === "number" && byteOffset >= 0 && byteOffset % BYTES === 0 &&
      byteOffset + BYTES <= buffer.byteLength && i32[byteOffset >> 2] === TAG_BASE + KIND[kind])
  ) check(buffer, kind, byteOffset);
  return { buffer, memory, byteOffset: byteOffset ?? 0, i32 };
}

/** Throws the error of a `byteOffset` that names no record of `kind` in `buffer`. */
function check(
  buffer: SharedArrayBuffer,
  kind: "Lock" | "RLock",
  byteOffset: number | undefined,
): void {
  const action = `Cannot rehydrate ${kind}`;
  const at = checkInteger(byteOffset, "byteOffset", action, 0, {
    min: 0,
    max: Math.max(0, buffer.byteLength - BYTES),
  });
  if (at % BYTES !== 0) {
    throw new RangeError(
      `${action} as 'byteOffset' must be a multiple of ${BYTES}: received ${at}`,
    );
  }
  bufferFrom({ buffer }, kind, at + BYTES, at);
  // Without an offset, a page of locks would silently give its first lock: refuse.
  if (byteOffset === undefined && buffer.byteLength > RECORD_BYTES) {
    throw new TypeError(
      `${action} as its 'byteOffset' is missing: its memory holds up to ${
        buffer.byteLength / RECORD_BYTES
      } locks, pass the lock's 'byteOffset' with it`,
    );
  }
}

/**
 * What a cloned lock `message` carries: its WebAssembly memory when it has one (the
 * fast path survives the clone; its `buffer` is then not looked at), else its
 * `buffer` (checked with the record, at the message's `byteOffset`, by `lockMemory`).
 */
export function lockMemoryFrom(
  message: unknown,
  kind: "Lock" | "RLock",
): SharedArrayBuffer | WebAssembly.Memory {
  const clone = message as { memory?: unknown; buffer?: unknown } | null | undefined;
  const memory = clone?.memory;
  if (isWasmMemory(memory)) return memory;
  const buffer = clone?.buffer;
  // Only throws for a missing buffer.
  return buffer instanceof SharedArrayBuffer ? buffer : bufferFrom(message, kind, BYTES);
}

/** The `byteOffset` of a cloned lock `message` (checked by `lockMemory`). */
export function byteOffsetOf(message: unknown): number | undefined {
  return (message as { byteOffset?: number } | null | undefined)?.byteOffset;
}
