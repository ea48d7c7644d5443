import { assert, assertStringIncludes } from "@std/assert";
import { formatProgress } from "../../servers/_stress_format.ts";

Deno.test("formatProgress() shows the current target beside the achieved rate of a rate run", () => {
  const line = formatProgress(
    {
      completed: 1_500,
      total: undefined,
      errors: 0,
      rps: 980,
      elapsedMs: 1_500,
      targetRate: 1_000,
    },
    30_000,
  );
  assertStringIncludes(line, "980 req/s (target 1,000)");
});

Deno.test("formatProgress() names no target for a run without a rate", () => {
  const line = formatProgress(
    { completed: 500, total: 1_000, errors: 2, rps: 400, elapsedMs: 1_250 },
    undefined,
  );
  assertStringIncludes(line, "400 req/s  2 errors");
  assert(!line.includes("target"), line);
});
