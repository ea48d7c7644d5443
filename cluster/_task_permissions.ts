/**
 * Private: the task permission flags of `deno task worker` (`--allow-net=HOSTS`,
 * `--allow-env`, …, in deno's own syntax), checked and turned into the
 * `ProcessPermissions` of a `ProcessPool` (with `--processes`) or into grants added
 * to the relaunched worker's own (with threads, which share the worker's grants).
 *
 * @module
 */

import type { PermissionValue, ProcessPermissions } from "../pool/types.ts";

/** The permissions a `ProcessPool` accepts, in deno's flag order. */
export const PERMISSION_NAMES = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "sys",
  "ffi",
  "import",
] as const;

/** One of {@linkcode PERMISSION_NAMES}. */
export type PermissionName = typeof PERMISSION_NAMES[number];

/** The names `--allow-sys` accepts (Deno 2.9). */
const SYS_NAMES = new Set([
  "hostname",
  "osRelease",
  "osUptime",
  "loadavg",
  "networkInterfaces",
  "systemMemoryInfo",
  "uid",
  "gid",
  "cpus",
  "homedir",
  "getegid",
  "statfs",
  "getPriority",
  "setPriority",
  "userInfo",
]);

const FLAG = /^--allow-([a-z]+)(?:=(.*))?$/s;

/** A bad task permission flag (the CLI prints it and exits 2). */
export class PermissionFlagError extends Error {
  override name = "PermissionFlagError";
}

/**
 * Takes the `--allow-*` flags out of a worker command line. As with `deno run`, only
 * `--allow-net=LIST` gives a value: `--allow-env ./tasks.ts` keeps `./tasks.ts` as the
 * module. A repeated flag adds to the list; a flag without a list grants all.
 *
 * @param args The command line.
 * @returns The permissions and the other arguments.
 * @throws {PermissionFlagError} On an unknown permission or a malformed list.
 */
export function takePermissionFlags(
  args: readonly string[],
): { permissions: ProcessPermissions; rest: string[] } {
  const permissions: ProcessPermissions = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === "-A" || arg === "--allow-all" || arg.startsWith("--allow-all=")) {
      throw new PermissionFlagError(
        `${arg} is not accepted: give tasks only the --allow-* flags they need`,
      );
    }
    const match = FLAG.exec(arg);
    if (match === null) {
      rest.push(arg);
      continue;
    }
    const name = match[1] as PermissionName;
    if (!PERMISSION_NAMES.includes(name)) {
      throw new PermissionFlagError(
        `unknown permission flag '--allow-${name}' (one of ${
          PERMISSION_NAMES.map((n) => `--allow-${n}`).join(", ")
        })`,
      );
    }
    permissions[name] = merge(
      permissions[name],
      match[2] === undefined ? true : list(name, match[2]),
    );
  }
  return { permissions, rest };
}

function merge(a: PermissionValue | undefined, b: PermissionValue): PermissionValue {
  if (a === true || b === true) return true;
  if (a === undefined || a === false) return b;
  if (b === false) return a;
  return [...new Set([...a, ...b])];
}

/** Checks one flag's list. */
function list(name: PermissionName, value: string): string[] {
  const items = value.split(",");
  const bad = (what: string, received: string) =>
    new PermissionFlagError(`--allow-${name} must list ${what}: received '${received}'`);
  if (items.some((item) => item.trim() === "")) throw bad("non-empty values", value);
  for (const item of items) {
    if (/\s/.test(item)) throw bad("values without spaces", item);
    if (name === "net" && !isHost(item)) {
      throw bad("hosts with an optional port (e.g. api.example.com:443)", item);
    }
    if (name === "sys" && !SYS_NAMES.has(item)) {
      throw bad(`names among ${[...SYS_NAMES].join(", ")}`, item);
    }
    if (name === "env" && item.includes("=")) throw bad("variable names", item);
  }
  return items;
}

/** Whether `item` is `host`, `host:port`, `[v6]` or `[v6]:port` (what `--allow-net` takes). */
function isHost(item: string): boolean {
  if (/[/?#@\\]/.test(item)) return false;
  try {
    const url = new URL(`http://${item}`);
    return url.hostname !== "" && url.pathname === "/";
  } catch {
    return false;
  }
}

/**
 * Adds `extra` to a process's own grants, one flag per permission (a list, or the
 * whole permission when either side grants it all).
 *
 * @param own The process's own grants.
 * @param extra The grants to add.
 * @returns The `--allow-*` flags.
 */
export function grantFlags(own: ProcessPermissions, extra: ProcessPermissions): string[] {
  const flags: string[] = [];
  for (const name of PERMISSION_NAMES) {
    const a = own[name], b = extra[name];
    const value = a === undefined ? b : b === undefined ? a : merge(a, b);
    if (value === true) flags.push(`--allow-${name}`);
    else if (Array.isArray(value) && value.length > 0) {
      flags.push(`--allow-${name}=${value.join(",")}`);
    }
  }
  return flags;
}

/**
 * The task permissions this process lacks, as flags (`--allow-write=/tmp`): a worker
 * that cannot relaunch itself runs threads with its own grants only.
 *
 * @param permissions The task permissions.
 * @returns The flags whose grant is missing.
 */
export function missingGrants(permissions: ProcessPermissions): string[] {
  const missing: string[] = [];
  for (const name of PERMISSION_NAMES) {
    const value = permissions[name];
    if (value === undefined || value === false) continue;
    const items = value === true ? [undefined] : value;
    for (const item of items) {
      if (!granted(name, item)) {
        missing.push(item === undefined ? `--allow-${name}` : `--allow-${name}=${item}`);
      }
    }
  }
  return missing;
}

function granted(name: PermissionName, item: string | undefined): boolean {
  const key = {
    read: "path",
    write: "path",
    ffi: "path",
    net: "host",
    import: "host",
    env: "variable",
    run: "command",
    sys: "kind",
  }[name];
  const descriptor =
    (item === undefined ? { name } : { name, [key]: item }) as Deno.PermissionDescriptor;
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return true; // a descriptor this Deno cannot query: let the task find out
  }
}
