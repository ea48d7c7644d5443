import { assertEquals, assertMatch } from "@std/assert";
import { VERSION } from "../mod.ts";

Deno.test("VERSION equals the version in deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assertEquals(VERSION, config.version);
  assertMatch(VERSION, /^\d+\.\d+\.\d+$/);
});
