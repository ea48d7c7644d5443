// Uncontended costs of the sync/ locks against a bare three-state futex lock written
// here (Atomics.compareExchange + Atomics.sub/notify), the yardstick.
// Each iteration runs OPS acquire/release pairs, so divide the time by OPS (printed
// at the end as ns per pair and as ratios).
//
//   flock /tmp/tandem-bench.lock deno bench bench/sync_bench.ts
import { Lock, reviveShared, RLock, Semaphore, SharedValue } from "../sync/mod.ts";
import { bareAcquire, bareRelease } from "./sync_bare_lock.ts";

const OPS = 1_000;

/** The bare futex lock (see sync_bare_lock.ts). */
class BareFutexLock {
  readonly #i32 = new Int32Array(new SharedArrayBuffer(4));

  acquire(): void {
    bareAcquire(this.#i32);
  }

  release(): void {
    bareRelease(this.#i32);
  }
}

const bare = new BareFutexLock();
const lock = new Lock();
const fair = new Lock({ fifo: true });
const rlock = new RLock();
const semaphore = new Semaphore(1);
let sink = 0;
const section = (): void => {
  sink++;
};

const group = "uncontended acquire+release (x1000)";

Deno.bench({ name: "bare futex lock", group, baseline: true }, () => {
  for (let i = 0; i < OPS; i++) {
    bare.acquire();
    bare.release();
  }
});

Deno.bench({ name: "Lock acquire/release", group }, () => {
  for (let i = 0; i < OPS; i++) {
    lock.acquire();
    lock.release();
  }
});

Deno.bench({ name: "Lock fifo acquire/release", group }, () => {
  for (let i = 0; i < OPS; i++) {
    fair.acquire();
    fair.release();
  }
});

Deno.bench({ name: "RLock acquire/release", group }, () => {
  for (let i = 0; i < OPS; i++) {
    rlock.acquire();
    rlock.release();
  }
});

// Many locks through the same call sites. Locks made by one thread share a page and so
// one WebAssembly instance; clones (each with its own memory object, as a worker gets
// them) each have their own, so V8 sees a different function at each call
// (megamorphic), unlike the benches above.
const many = Array.from({ length: 8 }, () => new Lock());
const manyClones = many.map((lock) => Lock.from(structuredClone(lock)));
const manyBare = Array.from({ length: 8 }, () => new BareFutexLock());

Deno.bench(
  { name: "bare futex lock, 8 in turn", group: "8 locks in turn (x1000)", baseline: true },
  () => {
    for (let i = 0; i < OPS; i++) {
      const l = manyBare[i & 7];
      l.acquire();
      l.release();
    }
  },
);

Deno.bench({ name: "Lock, 8 in turn", group: "8 locks in turn (x1000)" }, () => {
  for (let i = 0; i < OPS; i++) {
    const l = many[i & 7];
    l.acquire();
    l.release();
  }
});

Deno.bench({ name: "Lock clones, 8 in turn", group: "8 locks in turn (x1000)" }, () => {
  for (let i = 0; i < OPS; i++) {
    const l = manyClones[i & 7];
    l.acquire();
    l.release();
  }
});

Deno.bench({ name: "Lock.withLock(fn)", group }, () => {
  for (let i = 0; i < OPS; i++) lock.withLock(section);
});

Deno.bench({ name: "Lock.hold() with using", group }, () => {
  for (let i = 0; i < OPS; i++) {
    using _guard = lock.hold();
    sink++;
  }
});

Deno.bench({ name: "Semaphore acquire/release", group }, () => {
  for (let i = 0; i < OPS; i++) {
    semaphore.acquire();
    semaphore.release();
  }
});

Deno.bench({ name: "await Lock.acquireAsync()/release", group }, async () => {
  for (let i = 0; i < OPS; i++) {
    await lock.acquireAsync();
    lock.release();
  }
});

// What making a primitive costs (each lock used to take a 64 KiB WebAssembly memory:
// ~36 µs and 5.4 KB of RSS). The yardstick is the smallest shared word one can make.
const create = "create (x1000)";
const made: unknown[] = new Array(OPS);

Deno.bench(
  { name: "new Int32Array(new SharedArrayBuffer(16))", group: create, baseline: true },
  () => {
    for (let i = 0; i < OPS; i++) made[i] = new Int32Array(new SharedArrayBuffer(16));
  },
);

Deno.bench({ name: "new Lock()", group: create }, () => {
  for (let i = 0; i < OPS; i++) made[i] = new Lock();
});

Deno.bench({ name: "new RLock()", group: create }, () => {
  for (let i = 0; i < OPS; i++) made[i] = new RLock();
});

Deno.bench({ name: "new SharedValue('int32')", group: create }, () => {
  for (let i = 0; i < OPS; i++) made[i] = new SharedValue("int32");
});

Deno.bench({ name: "new Lock() then acquire/release", group: create }, () => {
  for (let i = 0; i < OPS; i++) {
    const l = new Lock();
    l.acquire();
    l.release();
    made[i] = l;
  }
});

const revive = "reviveShared() of cloned task arguments (x1000)";
const numbers = structuredClone([1, 2, "three"]);
const record = structuredClone([{ id: 1, name: "a", tags: ["x", "y"] }]);
const withValue = structuredClone([new SharedValue("int32", 0), 5]);

Deno.bench({ name: "revive [1, 2, 'three']", group: revive, baseline: true }, () => {
  for (let i = 0; i < OPS; i++) reviveShared(numbers);
});

Deno.bench({ name: "revive [{ id, name, tags: [...] }]", group: revive }, () => {
  for (let i = 0; i < OPS; i++) reviveShared(record);
});

Deno.bench({ name: "revive [cloned SharedValue, 5]", group: revive }, () => {
  for (let i = 0; i < OPS; i++) reviveShared(withValue.slice());
});

globalThis.addEventListener("unload", () => {
  if (sink < 0) console.log(sink);
});
