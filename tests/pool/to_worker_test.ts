import { assertEquals, assertRejects } from "@std/assert";
import { toWorker } from "../../pool/mod.ts";

Deno.test("toWorker() runs a blocking function off the main thread", async () => {
  const fib = (n: number): number => {
    let [a, b] = [0, 1];
    for (let i = 0; i < n; i++) [a, b] = [b, a + b];
    return a;
  };
  assertEquals(await toWorker(fib, 30), 832040);
  const results = await Promise.all([1, 2, 3].map((n) => toWorker((x: number) => x * x, n)));
  assertEquals(results, [1, 4, 9]);
  // The test ends without shutting anything down: idle workers are already gone,
  // so nothing keeps the process alive (the sanitizers would report a leak).
});

Deno.test("toWorker() rejects with the function's error", async () => {
  await assertRejects(
    () =>
      Promise.resolve(toWorker((s: string) => {
        throw new TypeError(s);
      }, "bad")),
    TypeError,
    "bad",
  );
});
