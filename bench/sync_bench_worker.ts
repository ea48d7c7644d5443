// Worker for bench/sync_workers_bench.ts.
import { reviveShared } from "../sync/mod.ts";
import { bareAcquire, bareRelease } from "./sync_bare_lock.ts";
import type { Barrier, Lock, SharedArray, SharedValue } from "../sync/mod.ts";

interface Scope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}
const scope = self as unknown as Scope;

scope.onmessage = (event: MessageEvent) => {
  const message = reviveShared(event.data) as {
    op: string;
    n: number;
    lock: Lock;
    counter: SharedValue<"int32">;
    raw: SharedArray<"int32">;
    bare: SharedArray<"int32">;
    flags: SharedArray<"int32">;
    times: SharedArray<"float64">;
    shares: SharedArray<"int32">;
    index: number;
    barrier: Barrier;
  };
  const { op, n } = message;
  if (op === "lockRaw") {
    const lock = message.lock;
    const view = message.raw.view;
    for (let i = 0; i < n; i++) {
      lock.acquire();
      view[0]++;
      lock.release();
    }
  } else if (op === "lockValue") {
    const counter = message.counter;
    const lock = counter.lock;
    for (let i = 0; i < n; i++) {
      lock.acquire();
      counter.value = counter.value + 1;
      lock.release();
    }
  } else if (op === "bare") {
    const word = message.bare.view;
    const view = message.raw.view;
    for (let i = 0; i < n; i++) {
      bareAcquire(word);
      view[0]++;
      bareRelease(word);
    }
  } else if (op === "share") {
    // n lock-guarded increments; shares[index] counts this worker's, shares[2] holds
    // the last holder + 1 and shares[3] counts how often the lock changed hands.
    const lock = message.lock;
    const view = message.raw.view;
    const shares = message.shares.view;
    const index = message.index;
    message.barrier.wait();
    for (let i = 0; i < n; i++) {
      lock.acquire();
      view[0]++;
      shares[index]++;
      if (shares[2] !== index + 1) {
        if (shares[2] !== 0) shares[3]++;
        shares[2] = index + 1;
      }
      lock.release();
    }
  } else if (op === "latency") {
    // Odd rounds are bare: flags[0] is bumped instead of the lock being released. See
    // the latency bench for the flags.
    const lock = message.lock;
    const flags = message.flags.view;
    const times = message.times.view;
    for (let round = 1; round <= n; round++) {
      const bare = round % 2 === 1;
      if (!bare) lock.acquire();
      Atomics.store(flags, 3, round);
      Atomics.notify(flags, 3);
      while (Atomics.load(flags, 1) !== round) Atomics.wait(flags, 1, round - 1, 1000);
      times[round - 1] = performance.timeOrigin + performance.now();
      if (bare) {
        Atomics.add(flags, 0, 1);
        Atomics.notify(flags, 0);
      } else {
        lock.release();
      }
      // Wait until the main thread is done with this round.
      while (Atomics.load(flags, 2) !== round) Atomics.wait(flags, 2, round - 1, 1000);
    }
  }
  scope.postMessage("done");
};
