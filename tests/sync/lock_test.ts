import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { Event, Lock, OwnerDiedError, RLock, Semaphore, SharedValue } from "../../sync/mod.ts";
import { wasmCas } from "../../sync/_wasm_cas.ts";
import {
  acquireBehindDeadHolder,
  holdInDeadWorker,
  mixedHandleIncrements,
  TestWorker,
  Workers,
} from "./_workers.ts";

Deno.test("Lock.acquire() and release() toggle locked", () => {
  const lock = new Lock();
  assertFalse(lock.locked);
  assert(lock.acquire());
  assert(lock.locked);
  assertFalse(lock.tryAcquire());
  assertFalse(lock.acquire(0));
  assertFalse(lock.acquire(5));
  lock.release();
  assertFalse(lock.locked);
});

Deno.test("Lock.release() throws on an unlocked lock", () => {
  const lock = new Lock();
  assertThrows(() => lock.release(), RangeError, "Cannot release lock as it is not locked");
});

Deno.test("Lock.acquire() rejects a negative or NaN timeout", () => {
  const lock = new Lock();
  lock.acquire();
  assertThrows(() => lock.acquire(-1), RangeError, "received -1");
  assertThrows(() => lock.acquire(NaN), RangeError, "received NaN");
  lock.release();
});

Deno.test("Lock.acquire() and acquireAsync() reject a bad timeout even when free", async () => {
  for (const lock of [new Lock(), new RLock(), new Semaphore(1)]) {
    const name = lock.constructor.name;
    assertThrows(() => lock.acquire(-1), RangeError, "received -1", name);
    // deno-lint-ignore no-explicit-any
    assertThrows(() => lock.acquire("5" as any), RangeError, "received '5'", name);
    await assertRejects(() => lock.acquireAsync(NaN), RangeError, "received NaN", name);
    lock.acquire(); // still free: nothing was taken by the rejected calls
    lock.release();
  }
  {
    const lock = new Lock();
    lock.acquire();
    // A bad timeout rejects the promise rather than throwing synchronously.
    const pending = lock.acquireAsync(-1);
    await assertRejects(() => pending, RangeError, "received -1");
    lock.release();
  }
  await assertRejects(() => new Event().waitAsync(-1), RangeError, "received -1");
});

Deno.test("Lock.from() gives the same lock, not a copy", () => {
  const lock = new Lock();
  const copy = Lock.from(structuredClone(lock));
  assert(copy.tryAcquire());
  assert(lock.locked);
  lock.release();
  assertFalse(copy.locked);
  assertThrows(() => Lock.from({}), TypeError, "'buffer'");
  assertThrows(() => Lock.from(new SharedValue("int32")), TypeError, "'SharedValue'");
});

Deno.test("Lock lives in a shared WebAssembly memory that a clone carries along", () => {
  const lock = new Lock();
  assert(lock.memory instanceof WebAssembly.Memory);
  assertStrictEquals(lock.memory!.buffer, lock.buffer);
  const clone = Lock.from(structuredClone(lock));
  assert(clone.memory instanceof WebAssembly.Memory);
  assertEquals(clone.byteOffset, lock.byteOffset);
  // Built from the bare buffer, a lock has no memory and uses Atomics: the same lock.
  const bare = new Lock(lock.buffer, lock.byteOffset);
  assertEquals(bare.memory, undefined);
  assert(Lock.from({ buffer: lock.buffer, byteOffset: lock.byteOffset }).memory === undefined);
  assert(new Lock(lock.memory!, lock.byteOffset).tryAcquire());
  assert(bare.locked && clone.locked);
  bare.release();
  assertFalse(lock.locked);
  const untagged = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  assertThrows(() => new Lock(untagged), TypeError, "untagged memory");
  assertThrows(() => Lock.from({ memory: untagged }), TypeError, "untagged memory");
  assertThrows(() => new Lock(new RLock().memory!), TypeError, "'RLock'");
  assertThrows(() => new Lock(new WebAssembly.Memory({ initial: 1 })), TypeError, "not shared");
});

Deno.test("The WebAssembly compare-and-swap of a lock acts on the lock word", () => {
  // Without it the locks would stay on Atomics, correct but slower: check it directly.
  const lock = new Lock();
  const instantiated = wasmCas(lock.memory!);
  assert(instantiated !== undefined, "the module instantiates over a lock's memory");
  const cas = instantiated!;
  const state = lock.byteOffset + 4; // the STATE word is at byte 4 of the lock's record
  assertEquals(cas(state, 0, 7), 0);
  const word = new Int32Array(lock.buffer, lock.byteOffset, 4);
  assertEquals(Atomics.load(word, 1), 7);
  assert(lock.locked);
  assertEquals(cas(state, 5, 9), 7); // no swap when the word differs
  assertEquals(cas(state, 7, 0), 7);
  assertFalse(lock.locked);
  assertEquals(
    wasmCas(new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true })),
    undefined,
  );
  // Past its first 64 uses a handle takes the WebAssembly path, and still excludes.
  for (let i = 0; i < 100; i++) {
    assert(lock.tryAcquire());
    assertFalse(lock.tryAcquire());
    lock.release();
  }
});

Deno.test("Lock guards exactly across workers whether they use its memory or its buffer", async () => {
  // Past its first uses a handle switches to WebAssembly's compare-and-swap; handles
  // built from the bare buffer stay on Atomics. All four must exclude each other.
  const lock = new Lock();
  const { count, used } = await mixedHandleIncrements(lock, 50_000);
  assertEquals(used, ["memory", "buffer", "memory", "buffer"]);
  assertEquals(count, 200_000);
  assertFalse(lock.locked);
});

Deno.test("Lock.acquireAsync() waits for a worker while the event loop keeps running", async () => {
  const lock = new Lock();
  const worker = new TestWorker();
  try {
    assertEquals(await worker.call("hold", { lock }), "held");
    assert(lock.locked);
    let timerFired = false;
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        timerFired = true;
        resolve();
      }, 20)
    );
    const acquired = lock.acquireAsync(60_000);
    let settled = false;
    acquired.then(() => settled = true, () => settled = true);
    await timer;
    assert(timerFired);
    assertFalse(settled, "acquireAsync() settled while the worker held the lock");
    assertEquals(await worker.call("release", { lock }), "released");
    assert(await acquired);
    lock.release();
  } finally {
    worker.terminate();
  }
  assert(worker.terminated);
});

Deno.test("Lock.acquireAsync() times out on its own timer and can be aborted", async () => {
  const lock = new Lock();
  lock.acquire();
  assertFalse(await lock.acquireAsync(30));
  const controller = new AbortController();
  const pending = lock.acquireAsync(undefined, { signal: controller.signal });
  setTimeout(() => controller.abort(), 10);
  await assertRejects(() => pending, DOMException, "aborted");
  await assertRejects(() => lock.acquireAsync(10, { signal: AbortSignal.abort() }), DOMException);
  lock.release();
  // A wake-up meant for the aborted waiter is not lost.
  assert(await lock.acquireAsync(1000));
  lock.release();
});

Deno.test("Lock.hold() and holdAsync() release at the end of the scope", async () => {
  const lock = new Lock();
  {
    using _guard = lock.hold();
    assert(lock.locked);
    assertThrows(() => lock.hold(0), DOMException, "not acquired in time");
  }
  assertFalse(lock.locked);
  {
    await using _guard = await lock.holdAsync(1000);
    assert(lock.locked);
    await assertRejects(() => lock.holdAsync(5), DOMException, "not acquired in time");
  }
  assertFalse(lock.locked);
});

Deno.test("Lock.withLock() releases when the section throws", () => {
  const lock = new Lock();
  assertThrows(
    () =>
      lock.withLock(() => {
        throw new Error("boom");
      }),
    Error,
    "boom",
  );
  assertFalse(lock.locked);
});

Deno.test("Lock.acquireAsync() reports a holder that died, then recovers", async () => {
  const lock = new Lock();
  const worker = await holdInDeadWorker(lock);
  assert(worker.terminated);
  await assertRejects(() => lock.acquireAsync(30_000), OwnerDiedError, "owner died");
  assertFalse(lock.locked);
  assert(await lock.acquireAsync(1000));
  lock.release();
});

Deno.test("Lock.acquire() blocked in a worker (no timeout) reports a holder that died", async () => {
  const lock = new Lock();
  using workers = new Workers(2);
  const [holder, waiter] = workers.all;
  const reply = await acquireBehindDeadHolder(lock, holder, waiter);
  assertFalse(reply.ok);
  assertEquals(reply.error?.name, "OwnerDiedError");
  assertFalse(lock.locked);
  // The lock works again, for the waiter too.
  assertEquals(await waiter.call("acquireTimeout", { lock, timeoutMs: 1000 }), true);
  assert(lock.acquire(0));
  lock.release();
});

Deno.test("Lock.acquire() blocked in a worker behind a live holder for long gets the lock", async () => {
  // The waiter starts a watchdog after 200 ms; the holder is alive, so it must not
  // fire. Release only once the watchdog waits for the holder's Web Lock.
  const lock = new Lock();
  using workers = new Workers(2);
  const [holder, waiter] = workers.all;
  assertEquals(await holder.call("hold", { lock }), "held");
  let settled = false;
  const reply = waiter.call("acquireTimeout", { lock }).finally(() => settled = true);
  const locks = (navigator as unknown as {
    locks: { query(): Promise<{ pending?: { name?: string }[] }> };
  }).locks;
  const watching = async () =>
    ((await locks.query()).pending ?? []).some((request) =>
      request.name?.startsWith("tandem.thread.")
    );
  for (let tries = 0; !(await watching()); tries++) {
    assert(tries < 600, "the waiter started no watchdog within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  assertFalse(settled, "the waiter still waits for the live holder");
  assertEquals(await holder.call("release", { lock }), "released");
  assertEquals(await reply, true);
  assertFalse(lock.locked);
});

Deno.test("Lock.acquire() blocked on the main thread reports a holder that died", async () => {
  const lock = new Lock();
  await holdInDeadWorker(lock);
  assertThrows(() => lock.acquire(30_000), OwnerDiedError, "owner died");
  assertFalse(lock.locked);
  assert(lock.acquire(0));
  lock.release();
});

Deno.test("Lock with fifo: true guards increments from 4 workers exactly", async () => {
  const counter = new SharedValue("int32", 0);
  // The counter's own lock is barging; use a FIFO lock by swapping it in the message.
  const fair = new Lock({ fifo: true });
  assert(fair.fifo);
  using workers = new Workers(4);
  await Promise.all(
    workers.all.map((w) =>
      w.call("increment", {
        counter: { ...structuredClone(counter), lock: fair },
        n: 20_000,
        mode: "lock",
      })
    ),
  );
  assertEquals(counter.value, 80_000);
});

Deno.test("Lock.acquire() in a worker blocks while the main thread holds the lock", async () => {
  const lock = new Lock();
  const worker = new TestWorker();
  try {
    lock.acquire();
    assertEquals(await worker.call("acquireTimeout", { lock, timeoutMs: 30 }), false);
    const waiting = worker.call("acquireTimeout", { lock, timeoutMs: 60_000 });
    setTimeout(() => lock.release(), 20);
    assertEquals(await waiting, true);
    assertFalse(lock.locked);
  } finally {
    worker.terminate();
  }
  assert(worker.terminated);
});

/** Waits until a thread sleeps on the lock (its WAITERS bit, bit 30 of word 1, is set). */
async function untilWaiter(lock: Lock): Promise<void> {
  const word = new Int32Array(lock.buffer, lock.byteOffset, 4);
  while ((Atomics.load(word, 1) & (1 << 30)) === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("Lock with fifo: true hands the lock to the waiter instead of a barging thread", async () => {
  const lock = new Lock({ fifo: true });
  const worker = new TestWorker();
  try {
    // The worker must be asleep in acquire() when we release; its WAITERS bit is set
    // just before it sleeps, so give it time, and retry if we released too early
    // (then nobody was asleep yet and taking the lock back is correct).
    let handedOver = false;
    for (let attempt = 0; attempt < 5 && !handedOver; attempt++) {
      lock.acquire();
      const waiting = worker.call("acquireTimeout", { lock, timeoutMs: 60_000 });
      await untilWaiter(lock);
      await new Promise((resolve) => setTimeout(resolve, 50));
      lock.release();
      handedOver = !lock.tryAcquire();
      if (!handedOver) lock.release();
      assertEquals(await waiting, true);
    }
    assert(handedOver, "the lock was handed to the sleeping worker");
    assertFalse(lock.locked);
  } finally {
    worker.terminate();
  }
  assert(worker.terminated);
});
