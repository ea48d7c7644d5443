/**
 * `deno task stress [URL] [options]`: the HTTP load tester on the command line. Without a
 * URL it starts a small target on 127.0.0.1 and stresses that. Live progress on a
 * terminal, then a report with a latency histogram (or `--json`). Exit codes: 0 ok;
 * 1 some request failed or went unanswered (unless `--accept-failures`), or no request
 * got any response (always); 2 bad usage; 130 interrupted.
 *
 * @module
 */

import { runStress, type StressProgress, type StressReport } from "./stress.ts";
import { parseStressArgs, USAGE, UsageError } from "./_stress_args.ts";
import { formatCount, formatProgress, formatReport } from "./_stress_format.ts";
import { DEFAULT_DURATION_MS } from "./_stress_options.ts";
import { interruptHandler } from "./_stress_interrupt.ts";
import { startTarget, type Target } from "./_target.ts";

const encoder = new TextEncoder();

function writeErr(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

function usageFailure(message: string): number {
  writeErr(`stress: ${message}\nRun 'deno task stress --help' for usage.\n`);
  return 2;
}

function terminalWidth(): number {
  try {
    const { columns } = Deno.consoleSize();
    return columns >= 40 ? columns : 80;
  } catch {
    return 80;
  }
}

async function readBody(path: string): Promise<Uint8Array> {
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    throw new UsageError(
      `Cannot read body file '${path}' as read permission is missing: run with --allow-read=${path}`,
    );
  }
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw new UsageError(`Cannot read body file '${path}': ${(error as Error).message}`);
  }
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseStressArgs(args);
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(error.message);
    throw error;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const { options, json } = parsed;
  if (parsed.bodyFile !== undefined) {
    try {
      options.body = await readBody(parsed.bodyFile);
    } catch (error) {
      if (error instanceof UsageError) return usageFailure(error.message);
      throw error;
    }
  }

  let target: Target | undefined;
  if (parsed.ownTarget) {
    target = startTarget();
    options.url = target.url;
    if (!json) {
      console.log(
        `No URL given: stressing a built-in target at ${target.url} (Deno.serve in this process).`,
      );
    }
  }

  const controller = new AbortController();
  const onSigint = interruptHandler(controller, () => Deno.exit(130));
  Deno.addSignalListener("SIGINT", onSigint);

  const tty = !json && Deno.stderr.isTerminal();
  const width = terminalWidth();
  const plannedMs = options.duration ??
    (options.requests === undefined ? DEFAULT_DURATION_MS : undefined);
  let lastLine = 0;
  const onProgress = json || parsed.quiet ? undefined : (progress: StressProgress): void => {
    if (tty) {
      writeErr(`\r${formatProgress(progress, plannedMs, width)}\x1b[K`);
    } else if (progress.elapsedMs - lastLine >= 1000) {
      lastLine = progress.elapsedMs;
      writeErr(`stress: ${formatProgress(progress, plannedMs, 100).replace(/▕.*▏/, "")}\n`);
    }
  };

  let report: StressReport;
  try {
    report = await runStress(options, { signal: controller.signal, onProgress });
  } catch (error) {
    if (tty) writeErr("\r\x1b[K");
    if (
      error instanceof TypeError || error instanceof RangeError ||
      error instanceof Deno.errors.NotCapable
    ) {
      if (error instanceof Deno.errors.NotCapable) {
        // The built-in target's URL changes from run to run: the command goes without it.
        const host = new URL(String(options.url)).hostname;
        const url = parsed.ownTarget ? "" : ` ${options.url}`;
        return usageFailure(
          `${error.message}\n  deno run --allow-net=${host} --allow-read=servers,sync servers/stress_cli.ts${url}`,
        );
      }
      return usageFailure(error.message);
    }
    writeErr(`stress: ${(error as Error).message ?? error}\n`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    await target?.close();
  }
  if (tty) writeErr("\r\x1b[K");

  if (json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(formatReport(report, width));
    if (target) {
      console.log(
        `\n  The built-in target answered ${formatCount(target.served())} requests.`,
      );
    }
  }
  const code = exitCode(report, parsed.acceptFailures);
  if (code === 1 && !json) writeErr(`stress: ${verdict(report)} (exit code 1)\n`);
  return code;
}

/**
 * The exit code of a finished run: 130 when interrupted; 1 when no request got any
 * response (always: such a run measured nothing), or when some failed or went
 * unanswered (unless `--accept-failures`); else 0.
 */
function exitCode(report: StressReport, acceptFailures: boolean): number {
  if (report.cancelled) return 130;
  if (responses(report) === 0) return 1;
  const failed = Object.values(report.failures).reduce((a, b) => a + b, 0);
  return failed + report.inFlight > 0 && !acceptFailures ? 1 : 0;
}

function responses(report: StressReport): number {
  return Object.values(report.statusCodes).reduce((a, b) => a + b, 0);
}

/** Why the run exits with 1, in a few words. */
function verdict(report: StressReport): string {
  if (responses(report) === 0) {
    return `no response at all to ${formatCount(report.requests)} requests`;
  }
  const failed = Object.values(report.failures).reduce((a, b) => a + b, 0);
  const parts: string[] = [];
  if (failed > 0) parts.push(`${formatCount(failed)} requests failed`);
  if (report.inFlight > 0) {
    parts.push(`${formatCount(report.inFlight)}${failed > 0 ? "" : " requests"} unanswered`);
  }
  return parts.join(", ");
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
