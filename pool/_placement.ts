/**
 * Private: where queued tasks go, as pure functions of what the dispatcher knows
 * about its workers, so that the rules can be tested on fake workers:
 *
 * - {@linkcode workerCap}: how many tasks one worker may hold (batching);
 * - {@linkcode planDeal}: which worker gets each queued task;
 * - {@linkcode planSteal}: which idle worker takes back tasks from which busy one.
 *
 * @module
 */

/** Most tasks in one message. */
export const BATCH_MAX = 512;
/** Most tasks handed to one worker and not finished. */
export const WORKER_CAP = 1024;
/**
 * How much measured work a worker may hold beyond the task it runs, in ms: enough to
 * hide a message's round trip (about 60 µs per task for a thread, 290 µs for a
 * process, in bench:pool) without holding back much from an idle worker.
 */
export const HOLD_MS = 4;

/**
 * Tasks one worker may hold: about {@linkcode HOLD_MS} of work at the measured
 * average. A thread may hold many before anything is measured, since idle threads
 * take back what it has not started ({@linkcode planSteal}). A process gives tasks
 * back only through a message round trip (its inbox thread answers it): it gets one
 * at a time until tasks are measured short, and while a few tasks wait (at most 2 per
 * worker), since holding them would gain little against a round trip per steal.
 *
 * @param avgTaskMs The average time per task so far, or 0 when none was measured.
 * @param canRevoke Whether tasks handed to the worker can be taken back at once (a thread).
 * @param backlog Tasks waiting in the pool's queue per worker.
 */
export function workerCap(avgTaskMs: number, canRevoke: boolean, backlog = Infinity): number {
  if (!canRevoke && backlog <= 2) return 1;
  if (avgTaskMs <= 0) return canRevoke ? WORKER_CAP : 1;
  return Math.max(canRevoke ? 2 : 1, Math.min(WORKER_CAP, Math.round(HOLD_MS / avgTaskMs)));
}

/** What {@linkcode planDeal} needs to know of a worker. */
export interface DealView {
  /** Tasks it holds. */
  load: number;
  /** Tasks it may still get (0: none). */
  room: number;
  /** Whether it has run one task longer than {@linkcode HOLD_MS}: fed last. */
  stalled: boolean;
}

/**
 * Picks a worker for each of up to `count` queued tasks, in queue order: the least
 * loaded first, then round-robin, so that long tasks hidden in a burst of tiny ones
 * spread over the workers instead of piling onto one. A worker gets at most
 * {@linkcode BATCH_MAX} in one plan (one message); a stalled worker gets tasks only
 * when no other has room.
 *
 * @param views The workers.
 * @param count The number of queued tasks.
 * @returns The index in `views` of the worker of each task; shorter than `count`
 * when the workers are full.
 */
export function planDeal(views: readonly DealView[], count: number): number[] {
  let targets: number[] = [];
  for (let i = 0; i < views.length; i++) {
    if (views[i].room > 0 && !views[i].stalled) targets.push(i);
  }
  if (targets.length === 0) {
    for (let i = 0; i < views.length; i++) if (views[i].room > 0) targets.push(i);
  }
  targets = targets.sort((a, b) => views[a].load - views[b].load);
  const room = targets.map((i) => Math.min(views[i].room, BATCH_MAX));
  let open = room.length;
  const plan: number[] = [];
  let k = 0;
  while (open > 0 && plan.length < count) {
    while (room[k] === 0) k = (k + 1) % targets.length;
    plan.push(targets[k]);
    if (--room[k] === 0) open--;
    k = (k + 1) % targets.length;
  }
  return plan;
}

/** What {@linkcode planSteal} needs to know of a worker. */
export interface StealView {
  /** Whether it is ready, holds nothing and may get tasks. */
  idle: boolean;
  /** Tasks it holds and has not started (0 for a worker that cannot give tasks back). */
  unstarted: number;
}

/** An idle worker takes `count` unstarted tasks of a busy one, oldest first. */
export interface Steal {
  thief: number;
  victim: number;
  count: number;
}

/**
 * Pairs an idle worker with the worker holding the most unstarted tasks; the idle
 * one takes half of them (at least one), so that a burst of tiny tasks rebalances in
 * a few messages. `undefined` when no worker is idle or none holds unstarted tasks.
 *
 * @param views The workers.
 */
export function planSteal(views: readonly StealView[]): Steal | undefined {
  const thief = views.findIndex((view) => view.idle);
  if (thief < 0) return undefined;
  let victim = -1;
  for (let i = 0; i < views.length; i++) {
    if (views[i].unstarted > 0 && (victim < 0 || views[i].unstarted > views[victim].unstarted)) {
      victim = i;
    }
  }
  if (victim < 0) return undefined;
  return { thief, victim, count: Math.ceil(views[victim].unstarted / 2) };
}
