// Copyright 2026 the Tandem authors. MIT license.

import { assertEquals, assertThrows } from "@std/assert";
import {
  parseConcurrencyFlag,
  parseRateFlag,
  parseSeedFlag,
  parseStagesFlag,
} from "../../servers/_load_flags.ts";
import { UsageError } from "../../servers/_stress_args.ts";

Deno.test("parseRateFlag() reads a constant rate and a ramp", () => {
  assertEquals(parseRateFlag("2000"), 2000);
  assertEquals(parseRateFlag(" 0.5 "), 0.5);
  assertEquals(parseRateFlag("100:2000/30s"), { from: 100, to: 2000, overMs: 30_000 });
  assertEquals(parseRateFlag("0:50/1.5m"), { from: 0, to: 50, overMs: 90_000 });
  assertEquals(parseRateFlag("10:5/250ms"), { from: 10, to: 5, overMs: 250 });
});

Deno.test("parseRateFlag() names the flag and the value on bad input", () => {
  const cases: [string, string][] = [
    [
      "abc",
      "Cannot parse '--rate' as a rate like 2000 or a ramp like 100:2000/30s: received 'abc'",
    ],
    [
      "NaN",
      "Cannot parse '--rate' as a rate like 2000 or a ramp like 100:2000/30s: received 'NaN'",
    ],
    [
      "100:2000",
      "Cannot parse '--rate' as a rate like 2000 or a ramp like 100:2000/30s: received '100:2000'",
    ],
    ["0", "Cannot parse '--rate' as a positive number or a ramp like 100:2000/30s: received '0'"],
    ["100:0/30s", "Cannot parse '--rate' as a ramp must end above 0: received '100:0/30s'"],
    [
      "100:2000/0s",
      "Cannot parse '--rate' as a ramp's length must be a positive duration of at most 24h like 30s or 2m: received '100:2000/0s'",
    ],
    [
      "100:2000/25h",
      "Cannot parse '--rate' as a ramp's length must be a positive duration of at most 24h like 30s or 2m: received '100:2000/25h'",
    ],
  ];
  for (const [text, message] of cases) assertThrows(() => parseRateFlag(text), UsageError, message);
});

Deno.test("parseConcurrencyFlag() reads integers and integer ramps", () => {
  assertEquals(parseConcurrencyFlag("50"), 50);
  assertEquals(parseConcurrencyFlag("10:200/30s"), { from: 10, to: 200, overMs: 30_000 });
  assertThrows(
    () => parseConcurrencyFlag("1.5"),
    UsageError,
    "Cannot parse '-c' as a positive integer or a ramp like 10:200/30s: received '1.5'",
  );
  assertThrows(
    () => parseConcurrencyFlag("1.5:20/1s", "--concurrency"),
    UsageError,
    "Cannot parse '--concurrency' as a ramp's ends must be integers: received '1.5:20/1s'",
  );
  assertThrows(
    () => parseConcurrencyFlag("10:0/30s"),
    UsageError,
    "Cannot parse '-c' as a ramp must end above 0: received '10:0/30s'",
  );
  assertThrows(
    () => parseConcurrencyFlag("lots"),
    UsageError,
    "Cannot parse '-c' as a number of connections like 50 or a ramp like 10:200/30s: received 'lots'",
  );
});

Deno.test("parseStagesFlag() reads steps and an optional start rate", () => {
  assertEquals(parseStagesFlag("30s:500, 2m:2000 ,30s:0"), {
    startRate: undefined,
    stages: [
      { durationMs: 30_000, rate: 500 },
      { durationMs: 120_000, rate: 2000 },
      { durationMs: 30_000, rate: 0 },
    ],
  });
  assertEquals(parseStagesFlag("100,1m:100,500ms:0"), {
    startRate: 100,
    stages: [{ durationMs: 60_000, rate: 100 }, { durationMs: 500, rate: 0 }],
  });
});

Deno.test("parseStagesFlag() names the step and the list on bad input", () => {
  const cases: [string, string][] = [
    ["", "Cannot parse '--stages' as step 1 must be DURATION:RATE like 30s:500: received '' in ''"],
    [
      "500",
      "Cannot parse '--stages' as step 1 must be DURATION:RATE like 30s:500: received '500' in '500'",
    ],
    [
      "30s:500,,30s:0",
      "Cannot parse '--stages' as step 2 must be DURATION:RATE like 30s:500: received '' in '30s:500,,30s:0'",
    ],
    [
      "30s:500,2m:-5",
      "Cannot parse '--stages' as step 2 must be DURATION:RATE like 30s:500: received '2m:-5' in '30s:500,2m:-5'",
    ],
    [
      "30s:500,0s:100",
      "Cannot parse '--stages' as step 2 must last a positive duration of at most 24h like 30s or 2m: received '0s:100' in '30s:500,0s:100'",
    ],
    [
      "30s:0,1m:0",
      "Cannot parse '--stages' as a step must have a rate above 0: received '30s:0,1m:0'",
    ],
    [
      "20h:5,5h:5",
      "Cannot parse '--stages' as its steps must last at most 24h in all: received '20h:5,5h:5'",
    ],
  ];
  for (const [text, message] of cases) {
    assertThrows(() => parseStagesFlag(text), UsageError, message);
  }
  // A start rate alone is enough to have arrivals.
  assertEquals(parseStagesFlag("5,10s:0").startRate, 5);
});

Deno.test("parseSeedFlag() accepts non-negative safe integers only", () => {
  assertEquals(parseSeedFlag(" 12 "), 12);
  assertEquals(parseSeedFlag("0"), 0);
  for (const text of ["", "x", "-1", "1.5", "1e3", "9007199254740992"]) {
    assertThrows(
      () => parseSeedFlag(text),
      UsageError,
      `Cannot parse '--seed' as an integer from 0 to 9007199254740991: received '${text}'`,
    );
  }
});
