// Copyright 2026 the Tandem authors. MIT license.
// Loads `playwright-core` under the test task's permissions.
//
// When it loads, Playwright probes for WSL with `fs.existsSync("/proc/sys/fs/binfmt_misc/…")`;
// Deno lets only `--allow-all` touch such `/proc` paths and throws `NotCapable` instead of
// answering. Here `existsSync` answers `false` for a path it may not look at (what it
// answers for any missing file), then Playwright is imported.

import fs from "node:fs";

const existsSync = fs.existsSync;
fs.existsSync = (path: fs.PathLike): boolean => {
  try {
    return existsSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return false;
    throw error;
  }
};

/** Playwright's Chromium launcher. */
export const { chromium } = await import("playwright-core");

/** Chromium flags for a headless run on a machine without network (BROWSER_TESTS.md). */
export const CHROMIUM_FLAGS: string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-dev-shm-usage",
];

/**
 * Finds Chromium: `$CHROMIUM`, else `chromium` or `chromium-browser` on `PATH`.
 *
 * @returns Its path, or `undefined` when it is not installed.
 */
export async function findChromium(): Promise<string | undefined> {
  const candidates: string[] = [];
  const fromEnv = Deno.env.get("CHROMIUM");
  if (fromEnv) candidates.push(fromEnv);
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir !== "") candidates.push(`${dir}/chromium`, `${dir}/chromium-browser`);
  }
  for (const path of candidates) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // Not there; try the next one.
    }
  }
  return undefined;
}
