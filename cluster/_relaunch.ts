/**
 * Private: starts this program again in a child `deno` with exactly the permission
 * flags it needs (least privilege chosen at run time), forwards SIGINT and SIGTERM to
 * it, and resolves to its exit code. `deno task worker`, `deno task stress-agent` and
 * `deno task stress --cluster` share it.
 *
 * @module
 */

/** How to start the child. */
export interface RelaunchOptions {
  /** The `deno run` flags (permissions and the like), before the module. */
  flags: string[];
  /** The module to run: the caller's `import.meta.url`. */
  module: string;
  /** Its arguments. */
  args: string[];
  /** Environment variables added for the child (e.g. the marker that it is the child). */
  env: Record<string, string>;
  /** The child's standard input. @default {"inherit"} */
  stdin?: "inherit" | "null";
}

/**
 * Runs the child and waits for it.
 *
 * @param options What to run.
 * @returns The child's exit code.
 */
export async function runAsChild(options: RelaunchOptions): Promise<number> {
  const flags = [...options.flags];
  // Run from a checkout, the child needs the project's import map; installed from a
  // registry, the import map comes with the package.
  const config = new URL("../deno.json", import.meta.url);
  // Asked first, so that a task without read access to deno.json never stops at a
  // permission prompt on a terminal (a stat would prompt).
  if (
    config.protocol === "file:" &&
    Deno.permissions.querySync({ name: "read", path: config }).state === "granted"
  ) {
    try {
      Deno.statSync(config);
      flags.push(`--config=${config.pathname}`);
    } catch {
      // no deno.json beside the package
    }
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [...flags, options.module, ...options.args],
    env: options.env,
    stdin: options.stdin ?? "inherit",
  }).spawn();
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  const onInt = forward("SIGINT"), onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    return (await child.status).code;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}
