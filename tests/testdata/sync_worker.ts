// Worker fixture for tests/sync: runs one command per message and answers with a
// message `{ id, ok, value?, error? }`. Every shared primitive arrives cloned and is
// rehydrated with `reviveShared`.
import { reviveShared } from "../../sync/mod.ts";
import type { Lock, SharedValue } from "../../sync/mod.ts";

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
  hold(command) {
    const lock = command.lock as Lock;
    lock.acquire();
    return "held";
  },
  release(command) {
    (command.lock as Lock).release();
    return "released";
  },
  tryRelease(command) {
    try {
      (command.lock as Lock).release();
      return "released";
    } catch (error) {
      return (error as Error).name;
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
