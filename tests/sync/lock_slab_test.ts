import { assert, assertEquals, assertFalse, assertStrictEquals, assertThrows } from "@std/assert";
import { Condition, Lock, reviveShared, RLock, SharedValue } from "../../sync/mod.ts";
import { mixedHandleIncrements } from "./_workers.ts";

const MiB = 2 ** 20;

Deno.test("SharedValue no longer carries a 64 KiB page: 30,000 grow RSS by under 100 MiB", () => {
  // Each carried a lock with its own 64 KiB WebAssembly memory: 6.2 KB of RSS apiece.
  const before = Deno.memoryUsage().rss;
  const values = Array.from({ length: 30_000 }, (_, i) => new SharedValue("int32", i));
  const grown = Deno.memoryUsage().rss - before;
  assert(grown < 100 * MiB, `30,000 values grew RSS by ${(grown / MiB).toFixed(1)} MiB`);
  assertEquals(values[29_999].value, 29_999);
});

Deno.test("Lock costs a few hundred bytes: 100,000 locks grow RSS by under 100 MiB", () => {
  // One 64 KiB WebAssembly memory per lock made this 528 MiB.
  const before = Deno.memoryUsage().rss;
  const locks = Array.from({ length: 100_000 }, () => new Lock());
  const grown = Deno.memoryUsage().rss - before;
  assert(grown < 100 * MiB, `100,000 locks grew RSS by ${(grown / MiB).toFixed(1)} MiB`);
  // Every one of them is its own lock.
  assert(locks[0].tryAcquire());
  assertFalse(locks[1].locked);
  assertFalse(locks[99_999].locked);
  locks[0].release();
});

Deno.test("Locks made by one thread share a page, each at its own byteOffset", () => {
  const first = new Lock();
  const second = new Lock();
  assertStrictEquals(second.buffer, first.buffer);
  assertEquals(second.byteOffset - first.byteOffset, 64); // one cache line each
  assert(first.tryAcquire());
  assertFalse(second.locked);
  assert(second.tryAcquire());
  first.release();
  assert(second.locked);
  second.release();
  // An RLock lives in a page of RLocks: a page's first word names its kind.
  const rlock = new RLock();
  assert(rlock.buffer !== first.buffer);
  // A fresh page starts when one is full (1,024 locks to a page).
  const pages = new Set(Array.from({ length: 2_048 }, () => new Lock().buffer));
  assert(pages.size >= 2);
});

Deno.test("Lock.from() and reviveShared() find a lock at its byteOffset", () => {
  new Lock(); // so that the lock below is not the page's first
  const lock = new Lock({ fifo: true });
  assert(lock.byteOffset > 0);
  const clone = structuredClone(lock);
  assertEquals(Object.keys(clone).sort(), ["buffer", "byteOffset", "memory"]);
  const copy = Lock.from(clone);
  assertEquals(copy.byteOffset, lock.byteOffset);
  assert(copy.fifo);
  const { rlock, condition } = reviveShared(structuredClone({
    rlock: (new RLock(), new RLock()),
    condition: (new RLock(), new Condition(new RLock())),
  }));
  assert(rlock instanceof RLock && rlock.byteOffset > 0);
  assert(condition instanceof Condition && condition.lock instanceof RLock);
  assert(copy.tryAcquire());
  assert(lock.locked);
  assertFalse(rlock.locked);
  copy.release();
  // The condition checks ownership on its lock's own words, not the page's first.
  condition.acquire();
  condition.acquire();
  condition.notifyAll();
  assertEquals(condition.wait(1), false);
  assertEquals((condition.lock as RLock).count, 2);
  condition.release();
  condition.release();
  assertFalse(condition.lock.locked);
});

Deno.test("Lock and RLock check the byteOffset they are given", () => {
  const lock = new Lock();
  const rlock = new RLock();
  assertThrows(() => new Lock(lock.buffer, 3), RangeError, "'byteOffset' must be a multiple of 16");
  assertThrows(() => new Lock(lock.buffer, -16), RangeError, "'byteOffset' must be an integer");
  assertThrows(() => new Lock(lock.buffer, 65_536), RangeError, "from 0 to 65520: received 65536");
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => Lock.from({ buffer: lock.buffer, byteOffset: "64" as any }),
    TypeError,
    "received '64'",
  );
  // Past the locks made so far the page is zero: no lock there.
  assertThrows(() => new Lock(lock.memory!, 65_472), TypeError, "untagged memory");
  assertThrows(() => new Lock(rlock.buffer, rlock.byteOffset), TypeError, "'RLock'");
  assertThrows(() => new RLock(lock.buffer, lock.byteOffset), TypeError, "'Lock'");
  assertThrows(() => Lock.from({ memory: lock.memory, byteOffset: 8 }), RangeError, "16");
  // A page holds many locks: without its offset a handle would get the page's first.
  assertThrows(() => new Lock(lock.buffer), TypeError, "'byteOffset' is missing");
  assertThrows(() => Lock.from({ buffer: lock.buffer }), TypeError, "up to 1024 locks");
  assertThrows(() => RLock.from({ memory: rlock.memory }), TypeError, "'byteOffset' is missing");
});

Deno.test("Lock at a byteOffset past the first guards increments across workers exactly", async () => {
  new Lock();
  const lock = new Lock();
  assert(lock.byteOffset > 0);
  const { count, used } = await mixedHandleIncrements(lock, 20_000);
  assertEquals(count, 80_000);
  assertEquals(used, ["memory", "buffer", "memory", "buffer"]);
  assertFalse(lock.locked);
});
