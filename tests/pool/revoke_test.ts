// The dispatcher's revoke round trip with processes (MSG_REVOKE answered by a
// process's inbox thread), driven by fake processes whose every move the test decides.
import { assertEquals } from "@std/assert";
import type { Channel, ChannelEvents } from "../../pool/_channel.ts";
import { PoolCore } from "../../pool/_pool_core.ts";
import {
  MSG_INBOX_READING,
  MSG_READY,
  MSG_RESULTS,
  MSG_REVOKE,
  MSG_REVOKED,
  MSG_RUN,
  OUT_OK,
  type PoolMessage,
  type RunMessage,
  TASK_STRIDE,
} from "../../pool/_protocol.ts";
import { until, within } from "./_helpers.ts";

/** A process whose inbox reads at once; it runs nothing by itself. */
class FakeProcess implements Channel {
  readonly events: ChannelEvents;
  readonly ctl = undefined;
  readonly hardKill = true;
  readonly revokes = true;
  readonly kind = "process";
  /** Tasks received, in order: id and sequence number. */
  readonly tasks: { id: number; seq: number }[] = [];
  /** The sequence numbers of each revoke asked of it. */
  readonly asked: number[][] = [];

  constructor(events: ChannelEvents) {
    this.events = events;
  }

  post(message: PoolMessage): void {
    if (message.t === MSG_REVOKE) {
      this.asked.push(message.r);
    } else if (message.t === MSG_RUN) {
      const run = message as RunMessage;
      if (run.i) {
        queueMicrotask(() => {
          this.events.message({ t: MSG_READY });
          this.events.message({ t: MSG_INBOX_READING, r: [] });
        });
      }
      for (let i = 0; i < run.q.length; i += TASK_STRIDE) {
        this.tasks.push({ id: run.q[i] as number, seq: this.tasks.length });
      }
    }
  }

  kill(): Promise<void> {
    return Promise.resolve();
  }

  report(ids: number[]): void {
    this.events.message({ t: MSG_RESULTS, r: ids.flatMap((id) => [id, OUT_OK, "done"]) });
  }
}

Deno.test("PoolCore: a process that gave back all it held after reporting the rest gets tasks again", async () => {
  const processes: FakeProcess[] = [];
  const core = new PoolCore(
    (_name, events) => {
      const process = new FakeProcess(events);
      processes.push(process);
      return process;
    },
    undefined,
    { size: 2 },
  );
  const first = Array.from({ length: 6 }, (_, i) => core.submit("f", [i], undefined));
  // One task each until their inboxes read, then the rest: three each.
  await until(
    () => processes.length === 2 && processes.every((p) => p.tasks.length === 3),
    5_000,
    "the deal",
  );
  const [a, b] = processes;
  // A's first task runs longer than 4 ms: an idle process asks for all it holds.
  await new Promise((resolve) => setTimeout(resolve, 10));
  b.report(b.tasks.map((task) => task.id));
  await until(() => a.asked.length === 1, 5_000, "the revoke");
  assertEquals(a.asked[0], [a.tasks[1].seq, a.tasks[2].seq]);
  // A reports its first task, then says it gave back the other two (it never started
  // them): it holds nothing now, and must not be left out of later deals.
  a.report([a.tasks[0].id]);
  a.events.message({ t: MSG_REVOKED, r: a.asked[0] });
  // A process reports only what it ran (an empty report would hide the defect).
  const run = (process: FakeProcess, from: number) => {
    const ids = process.tasks.slice(from).map((task) => task.id);
    if (ids.length > 0) process.report(ids);
  };
  await until(() => a.tasks.length + b.tasks.length === 8, 5_000, "the tasks given back");
  run(a, 3);
  run(b, 3);
  assertEquals(await within(Promise.all(first), 5_000, "the first tasks"), Array(6).fill("done"));
  const before = a.tasks.length;
  const more = Array.from({ length: 4 }, (_, i) => core.submit("f", [i], undefined));
  await until(() => a.tasks.length + b.tasks.length === 12, 5_000, "the next deal");
  assertEquals(a.tasks.length > before, true, "A got tasks again");
  run(a, before);
  run(b, 8 - before);
  assertEquals(await within(Promise.all(more), 5_000, "the next tasks"), Array(4).fill("done"));
  await core.shutdown();
});
