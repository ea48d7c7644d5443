import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { asCompleted } from "../../pool/mod.ts";

function later<T>(value: T, ms: number): { promise: Promise<T>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<T>((resolve) => timer = setTimeout(() => resolve(value), ms));
  return { promise, cancel: () => clearTimeout(timer) };
}

Deno.test("asCompleted() yields values fastest first", async () => {
  const a = later("a", 80);
  const b = later("b", 1);
  const c = later("c", 30);
  const order: string[] = [];
  for await (const value of asCompleted([a.promise, b.promise, c.promise])) order.push(value);
  assertEquals(order, ["b", "c", "a"]);
});

Deno.test("asCompleted() throws a rejection at its turn", async () => {
  const ok = later("ok", 1);
  const failing = Promise.reject(new Error("failed"));
  const seen: string[] = [];
  await assertRejects(
    async () => {
      for await (const value of asCompleted([ok.promise, failing])) seen.push(value);
    },
    Error,
    "failed",
  );
  ok.cancel();
});

Deno.test("asCompleted() with settled yields records and never throws", async () => {
  const results = await Array.fromAsync(
    asCompleted([Promise.resolve(1), Promise.reject(new Error("x")), 3], { settled: true }),
  );
  assertEquals(results.length, 3);
  const byIndex = results.sort((a, b) => a.index - b.index);
  assertEquals(byIndex[0], { index: 0, status: "fulfilled", value: 1 });
  assertEquals(byIndex[1].status, "rejected");
  assertEquals(byIndex[2], { index: 2, status: "fulfilled", value: 3 });
});

Deno.test("asCompleted() throws a TimeoutError for what is still pending", async () => {
  const slow = later("slow", 2_000);
  const fast = later("fast", 1);
  const seen: string[] = [];
  const error = await assertRejects(async () => {
    for await (const value of asCompleted([slow.promise, fast.promise], { timeout: 50 })) {
      seen.push(value);
    }
  }, DOMException);
  assertEquals((error as DOMException).name, "TimeoutError");
  assertEquals(seen, ["fast"]);
  slow.cancel();
});

Deno.test("asCompleted() returns at once on break while an async source is still pulling", async () => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => open = resolve);
  let closed!: () => void;
  const sourceClosed = new Promise<void>((resolve) => closed = resolve);
  let gateOpened = false;
  async function* source(): AsyncGenerator<number> {
    try {
      yield 1;
      await gate;
      yield Promise.reject(new Error("late")) as unknown as number;
    } finally {
      closed();
    }
  }
  for await (const value of asCompleted(source())) {
    assertEquals(value, 1);
    break;
  }
  // The loop ended although the source is still waiting on its gate.
  assertEquals(gateOpened, false);
  gateOpened = true;
  open();
  await sourceClosed;
});

Deno.test("asCompleted() refuses a timeout that setTimeout cannot honour", () => {
  assertThrows(() => asCompleted([], { timeout: -1 }), RangeError, "'timeout'");
  assertThrows(() => asCompleted([], { timeout: 3e9 }), RangeError, "from 0 to 2147483647");
});

Deno.test("asCompleted() stops on abort and leaves no unhandled rejection after break", async () => {
  const controller = new AbortController();
  const slow = later("slow", 2_000);
  const iterator = asCompleted([slow.promise], { signal: controller.signal });
  const next = iterator.next();
  controller.abort(new Error("stop"));
  await assertRejects(() => next, Error, "stop");
  slow.cancel();
  // An early break over rejections that settle later.
  const rejecting = later(0, 10);
  const failing = rejecting.promise.then(() => {
    throw new Error("late");
  });
  for await (const value of asCompleted([Promise.resolve(1), failing])) {
    assertEquals(value, 1);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 30));
});

Deno.test("asCompleted() accepts an async iterable", async () => {
  const source = async function* (): AsyncGenerator<number> {
    yield 1;
    await Promise.resolve();
    yield 2;
  };
  const values = await Array.fromAsync(asCompleted(source()));
  assertEquals(values.sort(), [1, 2]);
  assertEquals(await Array.fromAsync(asCompleted([])), []);
});
