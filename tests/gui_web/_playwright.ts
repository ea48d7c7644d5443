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
