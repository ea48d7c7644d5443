// Copyright 2026 the Tandem authors. MIT license.

import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  arrivalsBy,
  connectionCloseMs,
  connectionOpenMs,
  connectionsAt,
  constantProfile,
  intendedStartMs,
  type LoadShapeOptions,
  normalizeLoadShape,
  rateAt,
  shardStartMs,
  shareProfile,
} from "../../servers/_load_profile.ts";
import { parseConcurrencyFlag, parseRateFlag, parseStagesFlag } from "../../servers/_load_flags.ts";

const stages = (text: string) => normalizeLoadShape(parseStagesFlag(text)).rate!;

Deno.test("normalizeLoadShape() refuses bad values with the option's name", () => {
  const cases: [LoadShapeOptions, ErrorConstructor | RangeErrorConstructor, string][] = [
    [
      { rate: NaN },
      RangeError,
      "Cannot run stress as 'rate' must be a number above 0 and at most 10000000: received NaN",
    ],
    [
      { rate: -1 },
      RangeError,
      "Cannot run stress as 'rate' must be a number above 0 and at most 10000000: received -1",
    ],
    [
      { rate: "100" as unknown as number },
      TypeError,
      "Cannot run stress as 'rate' must be a number or a ramp { from, to, overMs }: received '100'",
    ],
    [
      { rate: { from: 1, to: 0, overMs: 1000 } },
      RangeError,
      "Cannot run stress as 'rate.to' must be a number above 0 and at most 10000000: received 0",
    ],
    [
      { rate: { from: -1, to: 5, overMs: 1000 } },
      RangeError,
      "Cannot run stress as 'rate.from' must be a number from 0 to 10000000: received -1",
    ],
    [
      { rate: { from: 1, to: 5, overMs: 0 } },
      RangeError,
      "Cannot run stress as 'rate.overMs' must be a number above 0 and at most 86400000: received 0",
    ],
    [
      { rate: { from: 1, to: 5, over: 10 } as unknown as number },
      TypeError,
      "Cannot run stress as 'rate' must be a ramp { from, to, overMs }: received 'over'",
    ],
    [
      { stages: [] },
      TypeError,
      "Cannot run stress as 'stages' must be a non-empty array of { durationMs, rate }: received an empty array",
    ],
    [
      { stages: [{ durationMs: 1000, rate: 5 }, { durationMs: -1, rate: 5 }] },
      RangeError,
      "Cannot run stress as 'stages[1].durationMs' must be a number above 0 and at most 86400000: received -1",
    ],
    [
      { stages: [{ durationMs: 1000, rate: Infinity }] },
      RangeError,
      "Cannot run stress as 'stages[0].rate' must be a number from 0 to 10000000: received Infinity",
    ],
    [
      { stages: [{ durationMs: 1000, rate: 0 }] },
      RangeError,
      "Cannot run stress as 'stages' must reach a rate above 0: received only rates of 0",
    ],
    [
      { stages: [{ durationMs: 86_400_000, rate: 1 }, { durationMs: 1, rate: 1 }] },
      RangeError,
      "Cannot run stress as 'stages' must last at most 86400000 ms in all: received 86400001",
    ],
    [
      { rate: 5, stages: [{ durationMs: 1000, rate: 5 }] },
      TypeError,
      "Cannot run stress as 'rate' and 'stages' exclude each other: received both",
    ],
    [
      { rate: 5, startRate: 1 },
      TypeError,
      "Cannot run stress as 'startRate' works only with 'stages': received 'startRate' 1",
    ],
    [
      { stages: [{ durationMs: 1000, rate: 5 }], duration: 1000 },
      TypeError,
      "Cannot run stress as 'stages' sets the run length and excludes 'duration': received both",
    ],
    [
      { stages: [{ durationMs: 1000, rate: 5 }], requests: 10 },
      TypeError,
      "Cannot run stress as 'stages' sets the run length and excludes 'requests': received both",
    ],
    [
      { rate: 5, concurrency: { from: 1, to: 5, overMs: 1000 } },
      TypeError,
      "Cannot run stress as a ramp of 'concurrency' (closed model) excludes 'rate': received both",
    ],
    [
      { concurrency: { from: 1.5, to: 5, overMs: 1000 } },
      RangeError,
      "Cannot run stress as 'concurrency.from' must be an integer from 0 to 10000: received 1.5",
    ],
    [
      { concurrency: { from: 10, to: 0, overMs: 1000 } },
      RangeError,
      "Cannot run stress as 'concurrency.to' must be an integer from 1 to 10000: received 0",
    ],
    [
      { concurrency: 0 },
      RangeError,
      "Cannot run stress as 'concurrency' must be an integer from 1 to 10000: received 0",
    ],
  ];
  for (const [options, ErrorClass, message] of cases) {
    assertThrows(() => normalizeLoadShape(options), ErrorClass, message);
  }
});

Deno.test("normalizeLoadShape() picks the run length", () => {
  assertEquals(normalizeLoadShape({}).durationMs, 5_000);
  assertEquals(normalizeLoadShape({}).rate, undefined);
  assertEquals(normalizeLoadShape({ duration: 1_000 }).durationMs, 1_000);
  assertEquals(normalizeLoadShape({ requests: 10 }).durationMs, undefined);
  // A ramp without -d runs for the ramp (at least 5 s); with -d, -d wins.
  assertEquals(normalizeLoadShape({ rate: { from: 1, to: 9, overMs: 30_000 } }).durationMs, 30_000);
  assertEquals(normalizeLoadShape({ rate: { from: 1, to: 9, overMs: 1_000 } }).durationMs, 5_000);
  assertEquals(
    normalizeLoadShape({ rate: { from: 1, to: 9, overMs: 30_000 }, duration: 10_000 }).durationMs,
    10_000,
  );
  assertEquals(
    normalizeLoadShape({ concurrency: { from: 1, to: 9, overMs: 8_000 } }).durationMs,
    8_000,
  );
  assertEquals(normalizeLoadShape(parseStagesFlag("30s:500,2m:2000,30s:0")).durationMs, 180_000);
});

Deno.test("rateAt() and arrivalsBy() follow --rate 100:2000/30s then hold", () => {
  const rate = normalizeLoadShape({ rate: parseRateFlag("100:2000/30s") }).rate!;
  assertEquals(rateAt(rate, -5), 100);
  assertEquals(rateAt(rate, 0), 100);
  assertEquals(rateAt(rate, 10_000), 733.3333333333334);
  assertEquals(rateAt(rate, 30_000), 2000);
  assertEquals(rateAt(rate, 3_600_000), 2000);
  assertEquals(arrivalsBy(rate, 0), 0);
  assertEquals(arrivalsBy(rate, 1_000), 100 + 63.333333333333336 / 2);
  assertEquals(arrivalsBy(rate, 30_000), (100 + 2000) / 2 * 30);
  assertEquals(arrivalsBy(rate, 40_000), 31_500 + 20_000);
});

Deno.test("rateAt() and arrivalsBy() follow stages, from 0 or from a start rate", () => {
  const rate = stages("30s:500,2m:2000,30s:0");
  assertEquals(
    [0, 15_000, 30_000, 90_000, 150_000, 165_000, 180_000, 999_000].map((t) => rateAt(rate, t)),
    [0, 250, 500, 1250, 2000, 1000, 0, 0],
  );
  const total = 500 / 2 * 30 + (500 + 2000) / 2 * 120 + 2000 / 2 * 30;
  assertEquals(arrivalsBy(rate, 180_000), total);
  assertEquals(arrivalsBy(rate, 500_000), total);
  const started = stages("100,10s:100");
  assertEquals(rateAt(started, 0), 100);
  assertEquals(arrivalsBy(started, 10_000), 1_000);
});

Deno.test("intendedStartMs() is the inverse of arrivalsBy() on every kind of segment", () => {
  const profiles = [
    constantProfile("rate", 1234.5),
    normalizeLoadShape({ rate: parseRateFlag("100:2000/30s") }).rate!,
    normalizeLoadShape({ rate: parseRateFlag("2000:100/30s") }).rate!,
    stages("30s:500,2m:2000,30s:0"),
    stages("10s:0,5s:300,5s:300,5s:0,5s:0,5s:40"),
    stages("0.5,1h:0.5"),
  ];
  for (const profile of profiles) {
    const end = profile.durationMs + 10_000;
    for (let t = 0; t <= end; t += end / 997) {
      const k = arrivalsBy(profile, t);
      if (k === 0 || (rateAt(profile, t) === 0 && k === arrivalsBy(profile, t - 1))) continue;
      assertAlmostEquals(intendedStartMs(profile, k), t, 1e-6 * Math.max(1, t));
    }
    for (let k = 1; k < 5_000; k += 37) {
      const t = intendedStartMs(profile, k);
      if (t === Infinity) continue;
      assertAlmostEquals(arrivalsBy(profile, t), k, 1e-6 * k);
    }
  }
});

Deno.test("intendedStartMs() is increasing and exact at known points", async (t) => {
  await t.step("a constant rate spaces requests evenly", () => {
    const rate = constantProfile("rate", 200);
    assertEquals([0, 1, 2, 1_000].map((k) => intendedStartMs(rate, k)), [0, 5, 10, 5_000]);
  });
  await t.step("a ramp from 0 is a square root", () => {
    // 0 → 1,000/s over 1 s: k = t²/2 with t in s.
    const rate = stages("1s:1000");
    assertEquals(intendedStartMs(rate, 0), 0);
    assertAlmostEquals(intendedStartMs(rate, 2), 63.245553, 1e-6);
    assertEquals(intendedStartMs(rate, 500), 1000);
    assertEquals(intendedStartMs(rate, 501), 1001);
  });
  await t.step("a wait at 0/s delays the first request", () => {
    const rate = stages("10s:0,10s:100");
    assertEquals(intendedStartMs(rate, 0), 10_000);
    assert(intendedStartMs(rate, 1) > 10_000);
  });
  await t.step("a rate that falls to 0 for good ends the arrivals", () => {
    const rate = stages("10s:100,10s:0");
    assertEquals(rate.arrivals, 1_000);
    assert(intendedStartMs(rate, 999) < 20_000);
    assertEquals(intendedStartMs(rate, 1_000), Infinity);
  });
  await t.step("times never go back", () => {
    const rate = stages("30s:500,2m:2000,30s:0");
    let last = -1;
    for (let k = 0; k < rate.arrivals; k += 1) {
      const at = intendedStartMs(rate, k);
      assert(at >= last, `request ${k} at ${at} ms is before ${last} ms`);
      last = at;
    }
    assert(last <= 180_000);
  });
});

Deno.test("shardStartMs() interleaves agents into the run's sequence", () => {
  const rate = constantProfile("rate", 1_000);
  // Agent i of N sends at R/N, offset by i/R s.
  assertEquals([0, 1, 2].map((k) => shardStartMs(rate, k, { agent: 0, agents: 4 })), [0, 4, 8]);
  assertEquals([0, 1, 2].map((k) => shardStartMs(rate, k, { agent: 3, agents: 4 })), [3, 7, 11]);
  const ramp = stages("10s:1000");
  const merged: number[] = [];
  for (let agent = 0; agent < 3; agent++) {
    for (let k = 0; k < 100; k++) merged.push(shardStartMs(ramp, k, { agent, agents: 3 }));
  }
  merged.sort((a, b) => a - b);
  assertEquals(merged, Array.from({ length: 300 }, (_, k) => intendedStartMs(ramp, k)));
  assertThrows(
    () => shardStartMs(rate, 0, { agent: 4, agents: 4 }),
    RangeError,
    "Cannot run stress as 'agent' must be an integer from 0 to 3: received 4",
  );
  assertThrows(
    () => shardStartMs(rate, 0, { agent: 0, agents: 0 }),
    RangeError,
    "Cannot run stress as 'agents' must be an integer from 1 to 1000000: received 0",
  );
});

Deno.test("shareProfile() divides every value by the agents", () => {
  const rate = stages("100,10s:1000");
  const quarter = shareProfile(rate, 4);
  assertEquals(rateAt(quarter, 0), 25);
  assertEquals(rateAt(quarter, 5_000), 137.5);
  assertEquals(arrivalsBy(quarter, 10_000) * 4, arrivalsBy(rate, 10_000));
});

Deno.test("connectionsAt() ramps connections and holds the end", () => {
  const up = normalizeLoadShape({ concurrency: parseConcurrencyFlag("10:200/30s") }).connections;
  assertEquals(
    [-1, 0, 157, 158, 15_000, 29_999, 30_000, 90_000].map((t) => connectionsAt(up, t)),
    [10, 10, 10, 11, 105, 199, 200, 200],
  );
  const down = normalizeLoadShape({ concurrency: { from: 200, to: 100, overMs: 10_000 } })
    .connections;
  assertEquals([0, 1, 5_000, 9_999, 10_000].map((t) => connectionsAt(down, t)), [
    200,
    200,
    150,
    101,
    100,
  ]);
  assertEquals(connectionsAt(normalizeLoadShape({ concurrency: 7 }).connections, 1e9), 7);
});

Deno.test("connectionOpenMs() and connectionCloseMs() agree with connectionsAt()", () => {
  const shapes = [
    { from: 10, to: 200, overMs: 30_000 },
    { from: 0, to: 7, overMs: 1_000 },
    { from: 200, to: 100, overMs: 10_000 },
    { from: 5, to: 5, overMs: 1_000 },
  ];
  for (const concurrency of shapes) {
    const profile = normalizeLoadShape({ concurrency }).connections;
    for (let t = 0; t <= concurrency.overMs + 100; t += concurrency.overMs / 101) {
      const open = connectionsAt(profile, t);
      for (let j = 0; j < 210; j++) {
        const isOpen = connectionOpenMs(profile, j) <= t && t < connectionCloseMs(profile, j);
        assertEquals(
          isOpen,
          j < open,
          `connection ${j} at ${t} ms of ${JSON.stringify(concurrency)}`,
        );
      }
    }
  }
});
