// Copyright 2026 the Tandem authors. MIT license.
import { assertEquals } from "@std/assert";
import { buildPageBundle, BUNDLE_PATH } from "./_page_build.ts";

Deno.test("gui_web/_page_js.ts is the bundle of gui_web/_page/ (run 'deno task build:gui')", async () => {
  const expected = await buildPageBundle();
  const actual = await Deno.readTextFile(new URL(`../../${BUNDLE_PATH}`, import.meta.url));
  assertEquals(
    actual === expected,
    true,
    `${BUNDLE_PATH} is stale: run 'deno task build:gui' and commit the result`,
  );
});
