// Copyright 2026 the Tandem authors. MIT license.
// When runStress closes a second: as soon as every worker has passed it (each sends every
// second, empty ones too), not a fixed 3 s later, and still exactly.

import { assert, assertEquals } from "@std/assert";
import { runStress, type StressSecond } from "../../servers/stress.ts";
import { liveWorkers } from "../../servers/_stress_live.ts";
import { startRawTarget } from "./stress_targets.ts";

Deno.test("runStress() hands a second to onSecond while the run still goes", async () => {
  await using target = startRawTarget();
  const events: string[] = [];
  const seconds: StressSecond[] = [];
  let latencies = 0;
  const report = await runStress(
    // 2 workers at 5 requests/s: each has empty seconds, which must not hold a close up.
    { url: target.url, rate: 5, duration: 1_600, concurrency: 2, workers: 2 },
    {
      onProgress: (p) => events.push(`progress ${p.elapsedMs}`),
      onSecond: (second, latency) => {
        events.push(`second ${second.second}`);
        seconds.push(second);
        latencies += latency.total;
      },
    },
  );
  assertEquals(liveWorkers.count, 0);
  // Exact as before: the seconds are the report's, every response in one of them.
  assertEquals(seconds, report.timeline);
  assertEquals(latencies, report.successes);
  // Second 0 closed within a tick of its end (1.0 s), so progress of the running run
  // (elapsedMs below the final one) followed it; with a fixed 3 s lag it closed at the end.
  const at = events.indexOf("second 0");
  assert(at >= 0, events.join(", "));
  const later = events.slice(at + 1).filter((e) => e.startsWith("progress "));
  assert(
    later.some((e) => Number(e.slice(9)) < report.durationMs),
    `events: ${events.join(", ")}`,
  );
});
