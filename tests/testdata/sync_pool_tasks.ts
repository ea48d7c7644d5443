// Task module for the pool-initializer test: Python's
//   Pool(initializer=init, initargs=(counter,)) with tasks incrementing under the lock.
import type { SharedValue } from "../../sync/mod.ts";

let counter: SharedValue<"int32"> | undefined;

export function init(shared: SharedValue<"int32">): void {
  counter = shared;
}

export function increment(): number {
  return counter!.lock.withLock(() => {
    counter!.value = counter!.value + 1;
    return counter!.value;
  });
}

export function bump(shared: SharedValue<"int32">): SharedValue<"int32"> {
  shared.add(1);
  return shared;
}
