import { assertEquals } from "@std/assert";
import { interruptHandler, SECOND_INTERRUPT_MS } from "../../servers/_stress_interrupt.ts";

Deno.test("interruptHandler() stops the run on the first SIGINT and ignores its duplicate", () => {
  const controller = new AbortController();
  let clock = 5_000;
  let exits = 0;
  const onSigint = interruptHandler(controller, () => exits++, () => clock);
  onSigint();
  assertEquals(controller.signal.aborted, true);
  assertEquals(exits, 0);
  // `deno task` forwards the terminal's SIGINT: the same Ctrl+C arrives again.
  clock += 3;
  onSigint();
  assertEquals(exits, 0);
  clock += SECOND_INTERRUPT_MS - 4;
  onSigint();
  assertEquals(exits, 0);
});

Deno.test("interruptHandler() quits on a second Ctrl+C a moment later", () => {
  const controller = new AbortController();
  let clock = 0;
  let exits = 0;
  const onSigint = interruptHandler(controller, () => exits++, () => clock);
  onSigint();
  clock += SECOND_INTERRUPT_MS;
  onSigint();
  assertEquals(exits, 1);
});
