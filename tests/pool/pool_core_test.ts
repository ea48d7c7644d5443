// The dispatcher's requeue, kill and steal rules, driven through its ChannelFactory
// seam by fake workers whose every move the test decides.
import { assertEquals, assertMatch } from "@std/assert";
import type { Channel, ChannelEvents } from "../../pool/_channel.ts";
import { PoolCore } from "../../pool/_pool_core.ts";
import {
  claimTag,
  CTL_CLAIM,
  CTL_CLAIM_MASK,
  CTL_CURRENT,
  CTL_LENGTH,
  MSG_READY,
  MSG_RESULTS,
  MSG_RUN,
  OUT_OK,
  OUT_SKIPPED,
  type PoolMessage,
  type RunMessage,
  TASK_STRIDE,
} from "../../pool/_protocol.ts";
import { MSG_SHADOW, type ShadowMessage, steal } from "../../pool/_slot.ts";
import { rejection } from "../_util.ts";
import { until, within } from "./_helpers.ts";

/** A worker that runs nothing by itself: the test claims, starts and reports tasks. */
class FakeWorker implements Channel {
  readonly name: string;
  readonly events: ChannelEvents;
  readonly ctl: Int32Array | undefined;
  readonly hardKill: boolean;
  readonly kind: string;
  /** Tasks received, in order: id and sequence number. */
  readonly tasks: { id: number; seq: number }[] = [];
  killed = false;
  /** Settles `kill()` for a process (the pool then reads out what it wrote). */
  endKill: () => void = () => {};
  /** Called with each run message after its tasks are recorded. */
  onRun: (worker: FakeWorker) => void = () => {};

  constructor(name: string, events: ChannelEvents, process: boolean) {
    this.name = name;
    this.events = events;
    this.ctl = process ? undefined : new Int32Array(new SharedArrayBuffer(CTL_LENGTH * 4));
    this.hardKill = process;
    this.kind = process ? "process" : "worker";
  }

  post(message: PoolMessage): void {
    if (message.t !== MSG_RUN) return;
    const run = message as RunMessage;
    if (run.i) queueMicrotask(() => this.events.message({ t: MSG_READY }));
    for (let i = 0; i < run.q.length; i += TASK_STRIDE) {
      this.tasks.push({ id: run.q[i] as number, seq: this.tasks.length });
    }
    queueMicrotask(() => this.onRun(this));
  }

  kill(): Promise<void> | void {
    this.killed = true;
    if (this.hardKill) return new Promise<void>((resolve) => this.endKill = resolve);
  }

  /** Claims task `seq` as the runner does: false when the pool took it back. */
  claim(seq: number): boolean {
    const at = CTL_CLAIM + (seq & CTL_CLAIM_MASK);
    const word = Atomics.load(this.ctl!, at);
    if (word === claimTag(seq, true)) return false;
    return Atomics.compareExchange(this.ctl!, at, word, claimTag(seq, false)) === word;
  }

  /** Starts task `seq` (claims it and marks it current). */
  start(seq: number): boolean {
    if (this.ctl === undefined) return true;
    if (!this.claim(seq)) return false;
    Atomics.store(this.ctl, CTL_CURRENT, this.tasks[seq].id);
    return true;
  }

  /** Reports task ids as done with `value`. */
  report(ids: number[], value: unknown = "done"): void {
    if (this.ctl) Atomics.store(this.ctl, CTL_CURRENT, 0);
    this.events.message({ t: MSG_RESULTS, r: ids.flatMap((id) => [id, OUT_OK, value]) });
  }
}

function fakePool(size: number, process = false, options = {}) {
  const workers: FakeWorker[] = [];
  const core = new PoolCore(
    (name, events) => {
      const worker = new FakeWorker(name, events, process);
      workers.push(worker);
      return worker;
    },
    undefined,
    { size, ...options },
  );
  return { core, workers };
}

/** A worker that runs each task it can claim at once and reports it. */
function eager(worker: FakeWorker): void {
  let next = 0;
  worker.onRun = () => {
    const done: number[] = [];
    for (; next < worker.tasks.length; next++) {
      if (worker.start(next)) done.push(worker.tasks[next].id);
    }
    if (done.length > 0) worker.report(done);
  };
}

Deno.test("PoolCore: a thread that dies fails its running task and requeues the rest elsewhere", async () => {
  const { core, workers } = fakePool(2);
  const tasks = Array.from({ length: 6 }, (_, i) => core.submit("f", [i], undefined));
  await until(() => workers.length === 2 && workers[0].tasks.length === 3, 5_000, "the deal");
  const [a, b] = workers;
  eager(b);
  b.onRun(b);
  // A starts its first task and dies in it.
  a.start(0);
  const running = a.tasks[0].id;
  a.events.exit("killed by a test");
  assertEquals(a.killed, true);
  const error = await rejection(tasks[running - 1]);
  assertMatch(error.message, /died: killed by a test/);
  // A's other two tasks ran on B (or a replacement), each once.
  const others = tasks.filter((_, i) => i !== running - 1);
  for (const worker of workers.slice(2)) eager(worker), worker.onRun(worker);
  assertEquals(await within(Promise.all(others), 5_000, "the requeued tasks"), [
    "done",
    "done",
    "done",
    "done",
    "done",
  ]);
  await core.shutdown();
});

Deno.test("PoolCore: a killed process is read out before its tasks run again, and runs none twice", async () => {
  const { core, workers } = fakePool(1, true, { cancelGrace: 10 });
  const first = core.submit("f", [1], undefined);
  const second = core.submit("f", [2], undefined);
  await until(() => workers.length === 1 && workers[0].tasks.length >= 1, 5_000, "the deal");
  const p = workers[0];
  // A process gets one task until tasks are measured: the second waits in the pool.
  assertEquals(p.tasks.length, 1);
  first.cancel();
  // Cancelling the running task kills the process at once; nothing runs again until
  // it is read out.
  assertEquals(p.killed, true);
  // It had finished the task after all (its outcome was still in the pipe).
  p.report([p.tasks[0].id], "late");
  p.endKill();
  await until(() => workers.length === 2, 5_000, "a new process");
  eager(workers[1]);
  workers[1].onRun(workers[1]);
  assertEquals(await within(second, 5_000, "the second task"), "done");
  assertEquals(first.state, "cancelled");
  assertEquals(core.stats.terminated, 1);
  const done = core.shutdown();
  workers[1].endKill();
  await done;
});

Deno.test("PoolCore: an idle thread takes back the unstarted tasks of a busy one", async () => {
  const { core, workers } = fakePool(2);
  const long = core.submit("f", ["long"], undefined);
  const quick = Array.from({ length: 6 }, (_, i) => core.submit("f", [i], undefined));
  await until(() => workers.length === 2 && workers[1].tasks.length > 0, 5_000, "the deal");
  const [a, b] = workers;
  // A runs the long task and never gets further; B runs whatever it can claim.
  assertEquals(a.start(0), true);
  eager(b);
  b.onRun(b);
  assertEquals(
    await within(Promise.all(quick), 5_000, "the quick tasks"),
    Array(6).fill("done"),
  );
  assertEquals(long.state, "running");
  // What A was dealt behind the long task is revoked: it will skip those.
  for (let seq = 1; seq < a.tasks.length; seq++) assertEquals(a.claim(seq), false);
  a.report([a.tasks[0].id]);
  assertEquals(await long, "done");
  await core.shutdown();
});

Deno.test("PoolCore: a task a thread claimed first is not taken back", async () => {
  const { core, workers } = fakePool(2);
  const tasks = Array.from({ length: 4 }, (_, i) => core.submit("f", [i], undefined));
  await until(() => workers.length === 2 && workers[0].tasks.length === 2, 5_000, "the deal");
  const [a, b] = workers;
  // A claims both of its tasks (the second one just before an idle B would steal it).
  a.start(0);
  a.claim(1);
  eager(b);
  b.onRun(b);
  await until(() => core.stats.completed === 2, 5_000, "B's own tasks");
  // B is idle, but both of A's tasks stay A's: nothing runs twice.
  assertEquals(b.tasks.length, 2);
  a.report([a.tasks[0].id, a.tasks[1].id], "A");
  assertEquals(await Promise.all(tasks), ["A", "done", "A", "done"]);
  await core.shutdown();
});

Deno.test("PoolCore: a task whose buffers were transferred stays with its thread", async () => {
  const { core, workers } = fakePool(2);
  const long = core.submit("f", ["long"], undefined);
  const quick = core.submit("f", [1], undefined);
  const buffer = new ArrayBuffer(8);
  const moved = core.submit("f", [buffer], { transfer: [buffer] });
  await until(() => workers.length === 2 && workers[1].tasks.length > 0, 5_000, "the deal");
  const [a, b] = workers;
  // A holds the long task and the one with a transfer; B runs its own and idles.
  assertEquals(a.tasks.length, 2);
  a.start(0);
  eager(b);
  b.onRun(b);
  assertEquals(await quick, "done");
  await until(() => core.stats.busy === 1, 5_000, "B to idle");
  // B took nothing: the transferred buffer lives in A now.
  assertEquals(b.tasks.length, 1);
  assertEquals(a.claim(1), true);
  a.report([a.tasks[0].id, a.tasks[1].id], "A");
  assertEquals(await Promise.all([long, moved]), ["A", "A"]);
  await core.shutdown();
});

Deno.test("PoolCore: a thread holding only its running task takes a busy one's next task from a copy, with no round trip", async () => {
  // The README tour: fib(32), fib(25), fib(20) on 2 threads, dealt before either is
  // ready. fib(20) waits behind fib(32); B must run it as soon as fib(25) ends, not
  // after the pool's thread heard of that and handed it over (10–40 ms under load).
  const workers: FakeWorker[] = [];
  const copies: { worker: number; message: ShadowMessage }[] = [];
  const core = new PoolCore(
    (name, events) => {
      const worker = new FakeWorker(name, events, false);
      const index = workers.length;
      const post = worker.post.bind(worker);
      worker.post = (message: PoolMessage) => {
        const copy = message as unknown as ShadowMessage;
        if (copy.t === MSG_SHADOW) copies.push({ worker: index, message: copy });
        post(message);
      };
      workers.push(worker);
      return worker;
    },
    undefined,
    { size: 2 },
  );
  const tasks = [32, 25, 20].map((n) => core.submit("fib", [n], undefined));
  await until(() => copies.length === 1, 5_000, "a copy of fib(20) for B");
  const [a, b] = workers;
  assertEquals(a.tasks.map((task) => task.id), [1, 3]);
  assertEquals(b.tasks.map((task) => task.id), [2]);
  assertEquals(copies[0].worker, 1);
  assertEquals(copies[0].message.q[0], 3);
  assertEquals(copies[0].message.q[3], [20]);
  assertEquals(copies[0].message.ctl, a.ctl!.buffer);
  a.start(0);
  b.start(0);
  b.report([2], 75025);
  await until(() => core.stats.completed === 1, 5_000, "fib(25)");
  // The pool leaves fib(20) to B's copy instead of taking it back and resending it.
  assertEquals(b.tasks.length, 1);
  // B's runner takes it (A then skips it and says so), runs and reports it.
  assertEquals(
    steal(new Int32Array(copies[0].message.ctl), copies[0].message.q[4] as number),
    true,
  );
  b.report([3], 6765);
  assertEquals(await tasks[2], 6765);
  a.events.message({ t: MSG_RESULTS, r: [-3, OUT_SKIPPED, undefined] });
  assertEquals(tasks[0].state, "running");
  a.report([1], 2178309);
  assertEquals(await Promise.all(tasks), [2178309, 75025, 6765]);
  assertEquals(core.stats.completed, 3);
  assertEquals(core.stats.busy, 0);
  await core.shutdown();
});

Deno.test("PoolCore: a thread that dies running a task it took from a copy fails that task alone", async () => {
  const { core, workers } = fakePool(2);
  const tasks = [32, 25, 20].map((n) => core.submit("fib", [n], undefined));
  await until(() => workers.length === 2 && workers[1].tasks.length === 1, 5_000, "the deal");
  const [a, b] = workers;
  a.start(0);
  b.start(0);
  b.report([2], 75025);
  // B takes fib(20) from its copy (sequence number 1 in A), then dies in it.
  assertEquals(steal(a.ctl!, 1), true);
  b.events.exit("killed by a test");
  assertMatch((await rejection(tasks[2])).message, /Cannot complete task 3 .* died/);
  a.report([1], 2178309);
  assertEquals(await tasks[0], 2178309);
  assertEquals(await tasks[1], 75025);
  await core.shutdown();
});
