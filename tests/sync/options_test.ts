import { assertThrows } from "@std/assert";
import { Barrier, BoundedSemaphore, Condition, Semaphore, SharedArray } from "../../sync/mod.ts";

// The sync/ counts are checked by sync/_checks.ts, as every layer's options are: the
// range in the message, RangeError for a number out of it, TypeError for a non-number.
Deno.test("sync/ primitives check their counts with the shared integer checks", () => {
  assertThrows(
    () => new Barrier(0),
    RangeError,
    "Cannot create Barrier as 'parties' must be an integer from 1 to 1073741823: received 0",
  );
  assertThrows(() => new Barrier("2" as never), TypeError, "received '2'");
  assertThrows(
    () => new Semaphore(2 ** 30),
    RangeError,
    "Cannot create Semaphore as 'value' must be an integer from 0 to 1073741823: received 1073741824",
  );
  assertThrows(() => new BoundedSemaphore(-1), RangeError, "Cannot create BoundedSemaphore as");
  assertThrows(
    () => new Semaphore(1).release(1.5),
    RangeError,
    "Cannot release semaphore as 'n' must be a positive integer: received 1.5",
  );
  assertThrows(
    () => new SharedArray("int32", 2 ** 29),
    RangeError,
    "Cannot create SharedArray as 'length' must be an integer from 0 to 268435456: received 536870912",
  );
  const condition = new Condition();
  condition.withLock(() => {
    assertThrows(
      () => condition.notify(-1),
      RangeError,
      "Cannot notify condition as 'n' must be a non-negative integer: received -1",
    );
    assertThrows(() => condition.notify("1" as never), TypeError, "received '1'");
  });
});
