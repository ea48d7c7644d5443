import { assertEquals, assertRejects } from "@std/assert";
import { wait } from "../../pool/mod.ts";

function later<T>(value: T, ms: number, fail = false): { promise: Promise<T>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<T>((resolve, reject) =>
    timer = setTimeout(() => fail ? reject(new Error(String(value))) : resolve(value), ms)
  );
  promise.catch(() => {});
  return { promise, cancel: () => clearTimeout(timer) };
}

Deno.test("wait() returns all done by default", async () => {
  const a = later(1, 1);
  const b = later(2, 20, true);
  const { done, pending } = await wait([a.promise, b.promise]);
  assertEquals(done.size, 2);
  assertEquals(pending.size, 0);
});

Deno.test("wait() with FIRST_COMPLETED returns after the first settles", async () => {
  const slow = later("slow", 5_000);
  const fast = later("fast", 1);
  const { done, pending } = await wait([slow.promise, fast.promise], {
    returnWhen: "FIRST_COMPLETED",
  });
  assertEquals([...done], [fast.promise]);
  assertEquals([...pending], [slow.promise]);
  slow.cancel();
});

Deno.test("wait() with FIRST_EXCEPTION returns at the first rejection", async () => {
  const slow = later("slow", 5_000);
  const ok = later("ok", 1);
  const bad = later("bad", 20, true);
  const { done, pending } = await wait([slow.promise, ok.promise, bad.promise], {
    returnWhen: "FIRST_EXCEPTION",
  });
  assertEquals(done.size, 2);
  assertEquals([...pending], [slow.promise]);
  slow.cancel();
});

Deno.test("wait() returns what is done when the timeout passes", async () => {
  const slow = later("slow", 5_000);
  const { done, pending } = await wait([slow.promise], { timeout: 20 });
  assertEquals(done.size, 0);
  assertEquals(pending.size, 1);
  slow.cancel();
  await assertRejects(() => wait([], { timeout: -1 }), RangeError, "'timeout'");
  await assertRejects(() => wait([], { timeout: 2 ** 31 }), RangeError, "from 0 to 2147483647");
  await assertRejects(
    () => wait([], { returnWhen: "SOMETIMES" as "ALL_COMPLETED" }),
    RangeError,
    "'returnWhen'",
  );
});
