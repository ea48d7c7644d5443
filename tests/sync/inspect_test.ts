import { assertEquals, assertStringIncludes } from "@std/assert";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  RLock,
  Semaphore,
  SharedArray,
  SharedValue,
} from "../../sync/mod.ts";

Deno.test("SharedValue prints its type and value, not its buffer", () => {
  const value = new SharedValue("int32", 8);
  assertEquals(Deno.inspect(value), "SharedValue<int32> 8");
  value.add(1);
  assertEquals(Deno.inspect(value), "SharedValue<int32> 9");
  assertEquals(
    Deno.inspect(new SharedValue("uint32", 4_000_000_000)),
    "SharedValue<uint32> 4000000000",
  );
  assertEquals(Deno.inspect(new SharedValue("float64", 1.5)), "SharedValue<float64> 1.5");
  assertEquals(Deno.inspect(new SharedValue("bigint64", -3n)), "SharedValue<bigint64> -3n");
  assertEquals(Deno.inspect({ hits: value }), "{ hits: SharedValue<int32> 9 }");
});

Deno.test("SharedArray prints its type and elements, cut when long", () => {
  assertEquals(
    Deno.inspect(new SharedArray("int32", [1, 2, 3])),
    'SharedArray { type: "int32", values: Int32Array(3) [ 1, 2, 3 ] }',
  );
  assertEquals(
    Deno.inspect(new SharedArray("bigint64", [5n])),
    'SharedArray { type: "bigint64", values: BigInt64Array(1) [ 5n ] }',
  );
  const long = Deno.inspect(new SharedArray("float64", 1_000));
  assertStringIncludes(long, "Float64Array(1000) [");
  assertStringIncludes(long, "... 900 more items");
});

Deno.test("Lock and RLock print their state", () => {
  const lock = new Lock();
  assertEquals(Deno.inspect(lock), "Lock { locked: false }");
  lock.acquire();
  assertEquals(Deno.inspect(lock), "Lock { locked: true }");
  lock.release();
  assertEquals(Deno.inspect(new Lock({ fifo: true })), "Lock { locked: false, fifo: true }");
  const rlock = new RLock();
  assertEquals(Deno.inspect(rlock), "RLock { locked: false }");
  rlock.acquire();
  rlock.acquire();
  assertEquals(Deno.inspect(rlock), "RLock { locked: true, owned: true, count: 2 }");
  rlock.release();
  rlock.release();
});

Deno.test("Condition, Event, Semaphore and Barrier print their state", () => {
  assertEquals(Deno.inspect(new Condition()), "Condition { lock: RLock { locked: false } }");
  const event = new Event();
  assertEquals(Deno.inspect(event), "Event { set: false }");
  event.set();
  assertEquals(Deno.inspect(event), "Event { set: true }");
  const semaphore = new Semaphore(3);
  semaphore.acquire();
  assertEquals(Deno.inspect(semaphore), "Semaphore { value: 2 }");
  assertEquals(Deno.inspect(new BoundedSemaphore(2)), "BoundedSemaphore { value: 2, bound: 2 }");
  const barrier = new Barrier(3);
  barrier.abort();
  assertEquals(Deno.inspect(barrier), "Barrier { parties: 3, waiting: 0, broken: true }");
});
