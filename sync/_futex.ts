/**
 * Private: the futex lock word shared by `Lock` and `RLock`, and their slow paths.
 *
 * The STATE word is 0 when free, else the owner's thread id plus a WAITERS bit when a
 * thread may be asleep on it (the classic three-state futex lock, with the owner kept
 * in the word so `RLock` can check ownership and a dead owner can be detected).
 *
 * A blocking acquire spins briefly before it sleeps (see `spin`), and sleeps in slices:
 * when the same registered owner held the lock through a whole slice, a watchdog worker
 * (`_owner_watchdog.ts`) waits for that owner's death.
 *
 * @module
 */

import { describe, TICK_MS } from "./_shared.ts";
import { isThreadAlive, THREAD_ID } from "./_thread.ts";
import { waitSlice } from "./_wait.ts";
import { OwnerDiedError } from "./errors.ts";
import { type OwnerWatch, watchOwner } from "./_owner_watchdog.ts";

// Int32 word layout of a lock's record (see `_lock_slab.ts`; word 0 is its tag).
export const STATE = 1;
/** Byte offset of the STATE word in the record, for the WebAssembly compare-and-swap. */
export const STATE_BYTE = STATE * 4;
/** Flags set at creation (FLAG_FIFO). */
export const FLAGS = 2;
/** Recursion count of an `RLock` (only its owner touches it). */
export const COUNT = 3;
/** Bytes of a record's words (the slab pads each record to a cache line). */
export const BYTES = 16;

// The STATE word: 0 = free; otherwise the owner's thread id, plus WAITERS when a
// thread may be sleeping. HANDOFF and OWNER_DIED are special states.
export const WAITERS = 1 << 30;
const HANDOFF = 1 << 29;
const OWNER_DIED = 1 << 28;
export const OWNER_MASK = (1 << 28) - 1;

/** Whether the lock word at `STATE` of `i32` is held by this thread. */
export function ownedHere(i32: Int32Array): boolean {
  const v = Atomics.load(i32, STATE);
  return v !== 0 && (v & OWNER_MASK) === THREAD_ID;
}
/** FLAGS bit of a lock that hands itself to the longest waiter. */
export const FLAG_FIFO = 1;
/** Longest sleep on a HANDOFF state before taking it anyway, in ms. */
const HANDOFF_WAIT_MS = 10;
/**
 * Slice of a blocking wait: after a whole slice with the same registered owner, a
 * watchdog worker checks that the owner is alive (see `_owner_watchdog.ts`).
 */
const WATCH_SLICE_MS = 200;

// The bounded spin of a blocking acquire before it sleeps: SPIN_CHECKS looks at the
// lock word, with a doubling number of CPU pauses in between (SPIN_FIRST_PAUSES up to
// SPIN_MAX_PAUSES). A pause takes ~35 ns here, so the whole spin lasts about 50 µs,
// the order of a futex sleep and wake-up. Spacing the checks out leaves the holder's
// cache line alone, so it keeps the lock for long runs (few handoffs), and a waiter that
// takes the lock while spinning never set WAITERS, so its release stays a single CAS.
const SPIN_CHECKS = 8;
const SPIN_FIRST_PAUSES = 32;
const SPIN_MAX_PAUSES = 256;

/** A CPU spin-wait hint (`Atomics.pause`, ES2025), or nothing where it is missing. */
const pause: () => void = typeof (Atomics as { pause?: unknown }).pause === "function"
  ? (Atomics as unknown as { pause: () => void }).pause
  : () => {};

/**
 * Checks between owner-liveness queries of an asynchronous waiter, in slices of
 * `TICK_MS`: the first after the same owner held the lock through two whole slices
 * (200 ms, as the blocking path's `WATCH_SLICE_MS`), then every two slices. Each check
 * is a `navigator.locks.query()` listing every Web Lock of the process, so a waiter
 * behind a long critical section makes five a second rather than ten.
 */
const CHECK_SLICES = 2;

/**
 * The slow paths of `Lock` and `RLock`, over the Int32 words of one lock record (a view
 * whose index 0 is the record's tag). Made on first contention, not with the lock.
 */
export class FutexCore {
  readonly i32: Int32Array;
  readonly fifo: boolean;

  constructor(i32: Int32Array) {
    this.i32 = i32;
    this.fifo = (i32[FLAGS] & FLAG_FIFO) !== 0;
  }

  /**
   * One contended attempt. Returns 0 when acquired, else the state to wait on (with
   * WAITERS set). `woken` allows taking a FIFO handoff.
   */
  contend(woken: boolean): number {
    const i32 = this.i32;
    for (;;) {
      let v = Atomics.load(i32, STATE);
      if (v === 0) {
        if (Atomics.compareExchange(i32, STATE, 0, THREAD_ID | WAITERS) === 0) return 0;
        continue;
      }
      if (v === HANDOFF) {
        if (!woken) return v;
        if (Atomics.compareExchange(i32, STATE, HANDOFF, THREAD_ID | WAITERS) === HANDOFF) {
          return 0;
        }
        continue;
      }
      if (v === OWNER_DIED) {
        if (Atomics.compareExchange(i32, STATE, OWNER_DIED, 0) === OWNER_DIED) {
          Atomics.notify(i32, STATE, 1);
          throw new OwnerDiedError(
            "Cannot acquire lock as its owner died while holding it: the lock is released again and protected data may be inconsistent",
          );
        }
        continue;
      }
      if ((v & WAITERS) === 0) {
        if (Atomics.compareExchange(i32, STATE, v, v | WAITERS) !== v) continue;
        v |= WAITERS;
      }
      return v;
    }
  }

  /**
   * Spins for a short, bounded time (test and test-and-set: loads, and a CAS only when
   * the word reads free). Returns whether the lock was taken.
   */
  spin(taken: number): boolean {
    const i32 = this.i32;
    let pauses = SPIN_FIRST_PAUSES;
    for (let check = 0; check < SPIN_CHECKS; check++) {
      for (let i = 0; i < pauses; i++) pause();
      if (pauses < SPIN_MAX_PAUSES) pauses *= 2;
      if (
        Atomics.load(i32, STATE) === 0 &&
        Atomics.compareExchange(i32, STATE, 0, taken) === 0
      ) return true;
    }
    return false;
  }

  acquireSlow(timeoutMs: number): boolean {
    const i32 = this.i32;
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
    let woken = false;
    let slept = false;
    let watch: OwnerWatch | undefined;
    try {
      for (;;) {
        // Spin before each sleep, except for a non-blocking attempt and for a FIFO
        // waiter that was woken (it may take the handoff right away). Once this thread
        // slept, it may have been woken in place of another sleeper, so it takes the
        // lock with WAITERS set to pass the wake-up on at release.
        if (
          timeoutMs !== 0 && !(woken && this.fifo) &&
          this.spin(slept ? THREAD_ID | WAITERS : THREAD_ID)
        ) return true;
        const v = this.contend(woken);
        if (v === 0) return true;
        const remaining = deadline - performance.now();
        if (remaining <= 0) return false;
        // A handoff meant for a waiter that gave up would strand the lock: wait on it
        // for a bounded time, then take it as if woken. Other states are waited on in
        // slices, to check the owner between them.
        const slice = Math.min(remaining, v === HANDOFF ? HANDOFF_WAIT_MS : WATCH_SLICE_MS);
        const outcome = Atomics.wait(i32, STATE, v, slice);
        slept = true;
        woken = outcome === "ok" || (outcome === "timed-out" && v === HANDOFF);
        if (outcome !== "timed-out" || v === HANDOFF) continue;
        // Held through a whole slice: unless a watchdog already watches this owner,
        // start one that turns the state into OWNER_DIED should the owner die.
        const owner = v & OWNER_MASK;
        if ((owner & 1) === 1 && owner !== THREAD_ID && watch?.owner !== owner) {
          watch?.stop();
          watch = watchOwner(i32, STATE, owner, OWNER_MASK, OWNER_DIED);
        }
      }
    } finally {
      watch?.stop();
    }
  }

  async acquireAsyncSlow(timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
    const i32 = this.i32;
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
    let woken = false;
    let lastOwner = -1;
    // Whole slices through which `lastOwner` held the lock since the last check.
    let slices = 0;
    for (;;) {
      signal?.throwIfAborted();
      const v = this.contend(woken);
      if (v === 0) return true;
      const remaining = deadline - performance.now();
      if (remaining <= 0) return false;
      const outcome = await waitSlice(i32, STATE, v, Math.min(remaining, TICK_MS), signal);
      woken = outcome !== "not-equal";
      if (outcome !== "timed-out") continue;
      // Still locked after a whole slice: every CHECK_SLICES slices of one owner, ask
      // whether it is alive.
      const owner = v & OWNER_MASK;
      if (v === HANDOFF || owner !== lastOwner) {
        lastOwner = v === HANDOFF ? -1 : owner;
        slices = 1;
        continue;
      }
      if (++slices < CHECK_SLICES) continue;
      slices = 0;
      if (!(await isThreadAlive(owner))) {
        if (Atomics.compareExchange(i32, STATE, v, OWNER_DIED) === v) {
          Atomics.notify(i32, STATE);
        }
      }
    }
  }

  releaseSlow(owned: boolean): void {
    const i32 = this.i32;
    for (;;) {
      const v = Atomics.load(i32, STATE);
      if (v === 0 || v === HANDOFF || v === OWNER_DIED) {
        throw new RangeError("Cannot release lock as it is not locked");
      }
      if (owned && (v & OWNER_MASK) !== THREAD_ID) {
        throw new RangeError(
          `Cannot release lock as this thread does not own it: owner is thread ${
            v & OWNER_MASK
          }, this is thread ${THREAD_ID}`,
        );
      }
      if ((v & WAITERS) !== 0 && this.fifo) {
        if (Atomics.compareExchange(i32, STATE, v, HANDOFF) !== v) continue;
        if (Atomics.notify(i32, STATE, 1) === 0) {
          // Nobody was asleep yet: free the lock, and wake anyone who fell asleep on
          // HANDOFF in between.
          if (Atomics.compareExchange(i32, STATE, HANDOFF, 0) === HANDOFF) {
            Atomics.notify(i32, STATE, 1);
          }
        }
        return;
      }
      if (Atomics.compareExchange(i32, STATE, v, 0) !== v) continue;
      if ((v & WAITERS) !== 0) Atomics.notify(i32, STATE, 1);
      return;
    }
  }
}

/** Builds the `TimeoutError` thrown by `hold()`. */
export function timeoutError(what: string, timeoutMs: number | undefined): DOMException {
  return new DOMException(
    `Cannot hold ${what} as it was not acquired in time: waited ${describe(timeoutMs)} ms`,
    "TimeoutError",
  );
}

/**
 * Takes the bare three-state futex lock at `i32[index]` (0 free, 1 locked, 2 locked
 * with waiters). For the tiny internal critical sections of `Barrier`; blocks even on
 * the main thread, which Deno allows.
 */
export function lockWord(i32: Int32Array, index: number): void {
  let v = Atomics.compareExchange(i32, index, 0, 1);
  if (v === 0) return;
  if (v !== 2) v = Atomics.exchange(i32, index, 2);
  while (v !== 0) {
    Atomics.wait(i32, index, 2);
    v = Atomics.exchange(i32, index, 2);
  }
}

/** Releases the lock taken by {@linkcode lockWord}. */
export function unlockWord(i32: Int32Array, index: number): void {
  if (Atomics.sub(i32, index, 1) !== 1) {
    Atomics.store(i32, index, 0);
    Atomics.notify(i32, index, 1);
  }
}
