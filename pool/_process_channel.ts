/**
 * Private: a `ProcessPool` worker seen from the main side (a `deno` subprocess
 * speaking framed structured clone over stdin/stdout).
 *
 * @module
 */

import { checkInteger } from "../sync/_checks.ts";
import { encodeFrame, FrameDecoder, FrameError } from "./_frames.ts";
import type { Channel, ChannelEvents, ChannelFactory } from "./_channel.ts";
import type { WorkerMessage } from "./_protocol.ts";
import type { ProcessPoolOptions } from "./types.ts";

const PROCESS_MAIN = new URL("./_process_main.ts", import.meta.url);

/** The start of Deno's report of an uncaught error, which ends the process. */
const FATAL = /(?:^|\n)error: Uncaught /;
const utf8 = new TextEncoder();

/** How long the pipes of an ended process are read before reading stops, in ms. */
const PIPE_GRACE_MS = 2_000;

/**
 * Builds the `deno run` flags for a pool's workers.
 *
 * @param module The task module URL.
 * @param options The pool options.
 * @returns The flags.
 */
export function denoFlags(options: ProcessPoolOptions): string[] {
  const flags = ["--no-prompt", "--no-lock"];
  const permissions = options.permissions ?? {};
  for (const name of ["read", "write", "net", "env", "run", "sys", "ffi", "import"] as const) {
    const value = permissions[name];
    if (value === true) flags.push(`--allow-${name}`);
    else if (Array.isArray(value) && value.length > 0) {
      flags.push(`--allow-${name}=${value.join(",")}`);
    } else if (value !== undefined && value !== false && !Array.isArray(value)) {
      throw new TypeError(
        `Cannot create process pool as permission '${name}' must be a boolean or a list: received ${typeof value}`,
      );
    }
  }
  if (options.maxMemoryMb !== undefined) {
    const mb = checkInteger(options.maxMemoryMb, "maxMemoryMb", "Cannot create process pool", 0, {
      min: 8,
    });
    flags.push(`--v8-flags=--max-old-space-size=${mb}`);
  }
  return [...flags, ...(options.denoArgs ?? [])];
}

/** Makes the channel factory of a process pool. */
export function processChannel(
  flags: string[],
  module: URL | undefined,
  memoryCapped: boolean,
): ChannelFactory {
  // The task module is imported statically by the entry point: loading it and its
  // own imports needs no read permission.
  const entry = module === undefined ? PROCESS_MAIN.href : "data:application/typescript," +
    encodeURIComponent(
      `import * as m from ${JSON.stringify(module.href)};\n` +
        `import { startProcessWorker } from ${JSON.stringify(PROCESS_MAIN.href)};\n` +
        `await startProcessWorker(m);\n`,
    );
  return (name: string, events: ChannelEvents): Channel => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, entry, name],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const writer = child.stdin.getWriter();
    let killed = false;
    let stderrTail = "";
    let dying = false;
    let corrupted = false;
    // Explicit readers, so that reading can be stopped (see `closed`).
    const stdout = child.stdout.getReader();
    const stderr = child.stderr.getReader();
    const readStdout = (async () => {
      const decoder = new FrameDecoder();
      try {
        for (;;) {
          const { value, done } = await stdout.read();
          if (done) break;
          // Also once killed: the pool reads what a killed process wrote last.
          for (const message of decoder.push(value)) events.message(message as WorkerMessage);
        }
      } catch (error) {
        // Bytes that are not our frames (a task wrote to stdout): the pipe is lost.
        // What came before them still counts (e.g. the worker said it is ready).
        if (error instanceof FrameError) {
          for (const message of error.messages) events.message(message as WorkerMessage);
        }
        if (!killed) {
          corrupted = true;
          try {
            child.kill("SIGKILL");
          } catch { /* already exited */ }
        }
      }
    })();
    const readStderr = (async () => {
      const text = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await stderr.read();
          if (done) break;
          const chunk = text.decode(value, { stream: true });
          if (!killed && !dying) {
            // Deno's report of the error that ends the process goes into the task's
            // error (see `events.exit`), not to this process's stderr a second time.
            let fatal = chunk.search(FATAL);
            if (fatal >= 0) {
              dying = true;
              if (chunk[fatal] === "\n") fatal++;
            }
            const shown = fatal < 0
              ? value
              : value.subarray(0, utf8.encode(chunk.slice(0, fatal)).length);
            if (shown.length > 0) await Deno.stderr.write(shown).catch(() => 0);
          }
          stderrTail = (stderrTail + chunk).slice(-2000);
        }
      } catch { /* ignore */ }
    })();
    const closed = (async () => {
      const status = await child.status;
      // A grandchild that inherited the pipes can keep them open after the process
      // ended: read what is left for a bounded time, then stop reading.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([readStdout, readStderr]),
        new Promise<void>((resolve) => timer = setTimeout(resolve, PIPE_GRACE_MS)),
      ]);
      clearTimeout(timer);
      await Promise.all([stdout.cancel().catch(() => {}), stderr.cancel().catch(() => {})]);
      await Promise.all([readStdout, readStderr]);
      await writer.close().catch(() => {});
      if (!killed) {
        killed = true;
        const oom = /out of memory|heap limit/i.test(stderrTail);
        const how = corrupted
          ? "it wrote to stdout, which carries the pool's messages"
          : status.signal
          ? `killed by ${status.signal}`
          : `exited with code ${status.code}`;
        const line = oom ? "" : /(?:^|\n)(error[^\n]*)/i.exec(stderrTail)?.[1];
        const detail = line ? `: ${line}` : "";
        events.exit(
          `${how}${
            oom ? " (out of memory)" : memoryCapped && status.signal ? " (out of memory?)" : ""
          }${detail}`,
        );
      }
    })();
    return {
      post(message: unknown): void {
        let frame: Uint8Array;
        try {
          frame = encodeFrame(message);
        } catch (error) {
          throw new DOMException(
            error instanceof Error ? error.message : String(error),
            "DataCloneError",
          );
        }
        writer.write(frame).catch(() => {});
      },
      kill(): Promise<void> {
        if (!killed) {
          killed = true;
          try {
            child.kill("SIGKILL");
          } catch { /* already exited */ }
        }
        return closed;
      },
      ctl: undefined,
      hardKill: true,
      revokes: true,
      kind: "process",
      ref(keepAlive: boolean): void {
        // Also stops the pending reads of its pipes from keeping the process alive.
        if (keepAlive) child.ref();
        else child.unref();
      },
    };
  };
}
