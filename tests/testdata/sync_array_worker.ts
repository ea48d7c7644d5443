// Worker fixture for tests/sync/shared_array_test.ts and barrier_test.ts: runs one
// command per message and answers `{ id, ok, value?, error? }` (the protocol of
// tests/sync/_workers.ts). Shared primitives arrive cloned and are revived with
// `reviveShared`.
import { Barrier, reviveShared } from "../../sync/mod.ts";
import type { SharedArray } from "../../sync/mod.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}
const scope = self as unknown as WorkerScope;

type Command = { id: number; op: string; [key: string]: unknown };

const commands: Record<string, (command: Command) => unknown> = {
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
