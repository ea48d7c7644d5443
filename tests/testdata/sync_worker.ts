// Worker fixture for tests/sync: runs one command per message and answers with a
// message `{ id, ok, value?, error? }`. Every shared primitive arrives cloned and is
// rehydrated with `reviveShared`.
import { Barrier, reviveShared } from "../../sync/mod.ts";
import type {
  Condition,
  Event,
  Lock,
  RLock,
  Semaphore,
  SharedArray,
  SharedValue,
} from "../../sync/mod.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}
const scope = self as unknown as WorkerScope;

type Command = { id: number; op: string; [key: string]: unknown };

const commands: Record<string, (command: Command) => unknown> = {
  increment(command) {
    const counter = command.counter as SharedValue<"int32">;
    const n = command.n as number;
    const mode = command.mode as string;
    const lock = counter.lock;
    if (mode === "lock") {
      for (let i = 0; i < n; i++) {
        lock.acquire();
        counter.value = counter.value + 1;
        lock.release();
      }
    } else if (mode === "withLock") {
      for (let i = 0; i < n; i++) lock.withLock(() => counter.value = counter.value + 1);
    } else if (mode === "add") {
      for (let i = 0; i < n; i++) counter.add(1);
    } else {
      for (let i = 0; i < n; i++) counter.value = counter.value + 1;
    }
    return counter.value;
  },
  // `n` times: takes `lock` (a Lock or RLock) `depth` times, bumps `counts[0]` with a
  // plain, racy increment, and releases as often. Reports what this thread's handle ran
  // on: its WebAssembly memory or only the bare buffer.
  guardedIncrement(command) {
    const lock = command.lock as Lock | RLock;
    const counts = (command.counts as SharedArray<"int32">).view;
    const n = command.n as number;
    const depth = (command.depth as number | undefined) ?? 1;
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < depth; d++) lock.acquire();
      // A read-pause-write increment: without mutual exclusion it loses updates.
      const before = counts[0];
      for (let k = 0; k < 16; k++) Atomics.pause?.();
      counts[0] = before + 1;
      for (let d = 0; d < depth; d++) lock.release();
    }
    return lock.memory === undefined ? "buffer" : "memory";
  },
  hold(command) {
    const lock = command.lock as Lock;
    lock.acquire();
    return "held";
  },
  racyIncrement(command) {
    // `value = value + 1` split at the barrier: every party reads before any writes.
    const counter = command.counter as SharedValue<"int32">;
    const read = counter.value;
    (command.barrier as Barrier).wait(60_000);
    counter.value = read + 1;
    return read;
  },
  acquireTimeout(command) {
    const lock = command.lock as Lock;
    const acquired = lock.acquire(command.timeoutMs as number);
    if (acquired) lock.release();
    return acquired;
  },
  release(command) {
    (command.lock as Lock).release();
    return "released";
  },
  rlockDepth(command) {
    const lock = command.lock as RLock;
    const depth = command.depth as number;
    let deepest = 0;
    const recurse = (level: number): void => {
      lock.acquire();
      try {
        deepest = Math.max(deepest, lock.count);
        if (level < depth) recurse(level + 1);
      } finally {
        lock.release();
      }
    };
    recurse(1);
    return { deepest, lockedAfter: lock.locked };
  },
  produce(command) {
    // Queue layout: [head, tail, taken, ...slots] in an int32 SharedArray.
    const condition = command.condition as Condition;
    const queue = (command.queue as SharedArray<"int32">).view;
    const capacity = queue.length - 3;
    for (const item of command.items as number[]) {
      condition.withLock(() => {
        condition.waitFor(() => queue[1] - queue[0] < capacity);
        queue[3 + (queue[1] % capacity)] = item;
        queue[1]++;
        condition.notifyAll();
      });
    }
    return "produced";
  },
  consume(command) {
    const condition = command.condition as Condition;
    const queue = (command.queue as SharedArray<"int32">).view;
    const seen = command.seen as SharedArray<"int32">;
    const total = command.total as number;
    const capacity = queue.length - 3;
    let mine = 0;
    for (;;) {
      const item = condition.withLock(() => {
        condition.waitFor(() => queue[1] > queue[0] || queue[2] >= total);
        if (queue[1] === queue[0]) return -1;
        const value = queue[3 + (queue[0] % capacity)];
        queue[0]++;
        queue[2]++;
        condition.notifyAll();
        return value;
      });
      if (item < 0) return mine;
      seen.add(item, 1);
      mine++;
    }
  },
  barrierWait(command) {
    const barrier = command.barrier as Barrier;
    const arrived = command.arrived as SharedArray<"int32">;
    Atomics.add(arrived.view, 0, 1);
    const index = barrier.wait(command.timeoutMs as number | undefined);
    // Every party must have arrived before any is released.
    return { index, arrivedWhenReleased: Atomics.load(arrived.view, 0) };
  },
  eventWait(command) {
    return (command.event as Event).wait(command.timeoutMs as number | undefined);
  },
  semaphoreWork(command) {
    const semaphore = command.semaphore as Semaphore;
    const inside = command.inside as SharedArray<"int32">;
    let most = 0;
    for (let i = 0; i < (command.n as number); i++) {
      semaphore.acquire();
      const now = Atomics.add(inside.view, 0, 1) + 1;
      most = Math.max(most, now);
      Atomics.sub(inside.view, 0, 1);
      semaphore.release();
    }
    return most;
  },
  tryRelease(command) {
    try {
      (command.lock as Lock).release();
      return "released";
    } catch (error) {
      return (error as Error).name;
    }
  },
  // Reads every element by index, writes `element * 10 + 1` back by index, and reports
  // what the index operations saw (and the out-of-range errors) in this worker.
  arrayIndex(command) {
    const array = command.array as SharedArray<"int32">;
    const read: number[] = [];
    for (let i = 0; i < array.length; i++) read.push(array[i]);
    for (let i = 0; i < array.length; i++) array[i] = array[i] * 10 + 1;
    const errors: string[] = [];
    try {
      array[array.length];
    } catch (error) {
      errors.push((error as Error).name);
    }
    try {
      array[-1] = 0;
    } catch (error) {
      errors.push((error as Error).name);
    }
    return { read, iterated: [...array], isArray: array.constructor.name, errors };
  },
  // Waits on a barrier whose handle here has an action; the action records whether all
  // other parties were still waiting when it ran.
  barrierAction(command) {
    const arrived = command.arrived as SharedArray<"int32">;
    const actions = command.actions as SharedArray<"int32">;
    const parties = command.parties as number;
    let ranHere = false;
    const barrier = Barrier.from(command.barrier, {
      action: () => {
        ranHere = true;
        actions.add(0, 1);
        // Released parties bump slot 1; none may have passed yet.
        actions.set(2, Atomics.load(arrived.view, 1));
        if (command.fail) throw new RangeError("action failed on purpose");
      },
    });
    Atomics.add(arrived.view, 0, 1);
    try {
      const index = barrier.wait(command.timeoutMs as number);
      Atomics.add(arrived.view, 1, 1);
      return { index, ranHere, parties };
    } catch (error) {
      return { ranHere, error: (error as Error).name, message: (error as Error).message };
    }
  },
};

scope.onmessage = (event: MessageEvent) => {
  const command = reviveShared(event.data as Command);
  try {
    const value = commands[command.op](command);
    scope.postMessage({ id: command.id, ok: true, value });
  } catch (error) {
    scope.postMessage({
      id: command.id,
      ok: false,
      error: { name: (error as Error).name, message: (error as Error).message },
    });
  }
};
