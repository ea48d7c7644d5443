/**
 * Private: the inbox thread of a `ProcessPool` worker. A process busy in a
 * synchronous task cannot read its stdin, so one thread of it does nothing else:
 * it reads every frame the pool sends, answers a revoke at once, marks a cancel at
 * once, and forwards the rest (run and init messages, undecoded) to the process's
 * main thread, which runs the tasks.
 *
 * ```text
 *  pool ── stdin ──► inbox thread ── MSG_REVOKE: CAS on the claim words ─► MSG_REVOKED ─┐
 *                         │         ── MSG_CANCEL: cancel ring                           │
 *                         └─ other frames (bytes) ─► main thread: Runner ─► outcomes ─────┴─► stdout ─► pool
 * ```
 *
 * Both threads write whole frames to stdout under one lock word, so that a revoke's
 * answer never lands inside a batch of outcomes. The thread starts from a `data:`
 * URL, so it needs no read permission, and its body uses nothing from outside it.
 *
 * It takes about 40 ms to start on a loaded 2-core machine: meanwhile the main
 * thread reads stdin itself, so that a new process's first task does not wait for
 * it. Once up, the inbox says so (`MSG_INBOX_UP`); the pool answers with
 * `MSG_HANDOVER`, after which the main thread reads no more (it issues no read
 * past that frame, so no byte is lost between them) and tells the inbox to read;
 * the inbox then says `MSG_INBOX_READING`. Until then the pool hands the process
 * one task at a time: a main thread busy in a task could not give any back.
 *
 * @module
 */

import { MAGIC, MAGIC_FLAT } from "./_frames.ts";
import {
  CTL_CLAIM,
  CTL_CLAIM_MASK,
  CTL_LENGTH,
  CTL_RING,
  CTL_RING_MASK,
  MSG_CANCEL,
  MSG_INBOX_READING,
  MSG_INBOX_UP,
  MSG_REVOKE,
  MSG_REVOKED,
} from "./_protocol.ts";
import { revokeClaim } from "./_slot.ts";

/** Index of the stdout lock word, after the control array, in the shared buffer. */
export const OUT_LOCK = CTL_LENGTH;
/** Length in 32-bit words of the buffer a process shares with its inbox thread. */
export const SHARED_LENGTH = CTL_LENGTH + 1;

/** What the inbox's body needs to know, passed in as JSON. */
interface InboxConstants {
  magic: number;
  magicFlat: number;
  revoke: number;
  revoked: number;
  up: number;
  reading: number;
  cancel: number;
  claim: number;
  claimMask: number;
  ring: number;
  ringMask: number;
  lock: number;
}

/**
 * The inbox thread's body, started from its source text: it gets the shared buffer
 * in its first message, then serves stdin until it closes (then posts `null`).
 */
function inboxMain(k: InboxConstants): void {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent) => void) | null;
    postMessage(message: unknown, transfer?: Transferable[]): void;
  };
  // The claim word of task `seq` once started (or, `revoked`, taken back): a copy of
  // `claimTag()` in `_protocol.ts` (this body can import nothing); the ProcessPool
  // tests in tests/pool/dispatch_test.ts fail if the two disagree.
  const tag = (seq: number, revoked: boolean): number =>
    ((seq & 0x3fffffff) << 1 | (revoked ? 1 : 0)) + 1 | 0;
  const revoke = (shared: Int32Array, seq: number): boolean => {
    const at = k.claim + (seq & k.claimMask);
    const started = tag(seq, false);
    const revoked = tag(seq, true);
    for (;;) {
      const word = Atomics.load(shared, at);
      if (word === started || word === -started) return false;
      if (Atomics.compareExchange(shared, at, word, revoked) === word) return true;
    }
  };
  const write = (shared: Int32Array, bytes: Uint8Array): void => {
    while (Atomics.compareExchange(shared, k.lock, 0, 1) !== 0) {
      Atomics.wait(shared, k.lock, 1, 10);
    }
    try {
      let offset = 0;
      while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
    } finally {
      Atomics.store(shared, k.lock, 0);
      Atomics.notify(shared, k.lock, 1);
    }
  };
  // A compact frame `{ t, r: seqs }`, as `encodeFrame()` writes it.
  const answer = (t: number, seqs: number[]): Uint8Array => {
    const frame = new Uint8Array(8 + 12 + 9 * seqs.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, k.magicFlat, true);
    view.setUint32(4, frame.length - 8, true);
    view.setFloat64(8, t, true);
    view.setUint32(16, seqs.length, true);
    for (let i = 0; i < seqs.length; i++) view.setFloat64(20 + 9 * i + 1, seqs[i], true);
    return frame;
  };
  const serve = async (shared: Int32Array): Promise<void> => {
    let rest = new Uint8Array(0);
    let foreign = false;
    for await (const chunk of Deno.stdin.readable) {
      let bytes: Uint8Array = chunk;
      if (rest.length > 0) {
        bytes = new Uint8Array(rest.length + chunk.length);
        bytes.set(rest);
        bytes.set(chunk, rest.length);
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const parts: Uint8Array[] = [];
      let offset = 0;
      let from = 0;
      while (!foreign && bytes.length - offset >= 8) {
        const magic = view.getUint32(offset, true);
        if (magic !== k.magic && magic !== k.magicFlat) {
          // Not a frame: the main thread's decoder says so.
          foreign = true;
          break;
        }
        const size = view.getUint32(offset + 4, true);
        if (bytes.length - offset - 8 < size) break;
        const t = magic === k.magicFlat && size >= 12 ? view.getFloat64(offset + 8, true) : -1;
        if (t === k.revoke || t === k.cancel) {
          if (offset > from) parts.push(bytes.subarray(from, offset));
          const values: number[] = [];
          const count = view.getUint32(offset + 16, true);
          for (let i = 0, at = offset + 20; i < count && at + 9 <= offset + 8 + size; i++) {
            values.push(view.getFloat64(at + 1, true));
            at += 9;
          }
          if (t === k.cancel) {
            for (const id of values) Atomics.store(shared, k.ring + (id & k.ringMask), id);
          } else {
            write(shared, answer(k.revoked, values.filter((seq) => revoke(shared, seq))));
          }
          from = offset + 8 + size;
        }
        offset += 8 + size;
      }
      const end = foreign ? bytes.length : offset;
      if (end > from) parts.push(bytes.subarray(from, end));
      rest = end < bytes.length ? bytes.slice(end) : new Uint8Array(0);
      if (parts.length > 0) {
        let size = 0;
        for (const part of parts) size += part.length;
        const out = new Uint8Array(size);
        size = 0;
        for (const part of parts) {
          out.set(part, size);
          size += part.length;
        }
        scope.postMessage(out, [out.buffer]);
      }
    }
    scope.postMessage(null);
  };
  // First the shared buffer: say it is up (the pool answers the main thread with a
  // handover); then, once the main thread read that handover, stdin.
  scope.onmessage = (event: MessageEvent) => {
    const shared = new Int32Array(event.data as SharedArrayBuffer);
    scope.onmessage = () => {
      scope.onmessage = null;
      write(shared, answer(k.reading, []));
      serve(shared).catch(() => scope.postMessage(null));
    };
    write(shared, answer(k.up, []));
  };
}

/** The `data:` URL the inbox thread starts from. */
export function inboxUrl(): string {
  const constants: InboxConstants = {
    magic: MAGIC,
    magicFlat: MAGIC_FLAT,
    revoke: MSG_REVOKE,
    revoked: MSG_REVOKED,
    up: MSG_INBOX_UP,
    reading: MSG_INBOX_READING,
    cancel: MSG_CANCEL,
    claim: CTL_CLAIM,
    claimMask: CTL_CLAIM_MASK,
    ring: CTL_RING,
    ringMask: CTL_RING_MASK,
    lock: OUT_LOCK,
  };
  return "data:application/javascript," +
    encodeURIComponent(`(${inboxMain.toString()})(${JSON.stringify(constants)});`);
}

/**
 * Writes a whole frame to stdout from the main thread, under the lock it shares
 * with the inbox thread (one compare-and-swap when the inbox is not writing).
 */
export function writeFrame(shared: Int32Array, bytes: Uint8Array): void {
  while (Atomics.compareExchange(shared, OUT_LOCK, 0, 1) !== 0) {
    Atomics.wait(shared, OUT_LOCK, 1, 10);
  }
  try {
    let offset = 0;
    while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
  } finally {
    Atomics.store(shared, OUT_LOCK, 0);
    Atomics.notify(shared, OUT_LOCK, 1);
  }
}

/**
 * Takes back the tasks of sequence numbers `seqs` that have not started (the main
 * thread's answer to a revoke that came before the handover).
 *
 * @returns The sequence numbers taken back.
 */
export function revokeTasks(ctl: Int32Array, seqs: readonly number[]): number[] {
  return seqs.filter((seq) => revokeClaim(ctl, seq));
}
