// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the GUI's run history. Every run that produced a report since the server
 * started is kept in memory; with a folder (`--history DIR`), each is also written there
 * as `ID.json`, the same JSON as `deno task stress --json`, and the folder's `*.json`
 * files are read back at start, so runs survive restarts and CLI reports dropped in the
 * folder can be opened and compared. A file that is not a stress report is skipped with
 * a warning.
 *
 * @module
 */

import { parseStressReport } from "../servers/stress_compare.ts";
import type { GuiReport } from "./_runs.ts";

/** One line of the history list. */
export interface HistoryEntry {
  /** The id to open it with: the run's id, or the file's name without `.json`. */
  id: string;
  /** When the run started, ISO 8601 (the file's time when the report has none). */
  startTime: string;
  /** The method and URL tested. */
  method: string;
  url: string;
  /** Finished requests per second. */
  rps: number;
  /** 99th percentile latency, in ms. */
  p99: number;
  /** Whether the run was cancelled. */
  cancelled: boolean;
  /** Thresholds that held and that failed, or `null` without thresholds. */
  thresholds: { passed: number; failed: number } | null;
}

/** The ids the history accepts: file names without `.json`. */
export const HISTORY_ID = /^[\w.-]{1,200}$/;

const ACTION = "Cannot keep history";

function entryOf(id: string, report: GuiReport, fallbackTime: string): HistoryEntry {
  const results = Array.isArray(report.thresholds) ? report.thresholds : undefined;
  const passed = results?.filter((result) => result.ok).length ?? 0;
  return {
    id,
    startTime: typeof report.startTime === "string" ? report.startTime : fallbackTime,
    method: typeof report.method === "string" ? report.method : "GET",
    url: typeof report.url === "string" ? report.url : "",
    rps: report.rps,
    p99: report.latencyMs?.p99 ?? 0,
    cancelled: report.cancelled === true,
    thresholds: results ? { passed, failed: results.length - passed } : null,
  };
}

/** The runs the GUI has seen, and the folder they are kept in. */
export class RunHistory {
  #dir: string | undefined;
  #reports = new Map<string, GuiReport>();
  #entries = new Map<string, HistoryEntry>();
  #warnings: string[] = [];
  #log: (message: string) => void;

  private constructor(dir: string | undefined, log: (message: string) => void) {
    this.#dir = dir;
    this.#log = log;
  }

  /**
   * A history in memory only.
   *
   * @returns The empty history.
   */
  static inMemory(): RunHistory {
    return new RunHistory(undefined, () => {});
  }

  /**
   * Opens a history folder: checks it can be written, then reads every `*.json` in it.
   * Synchronous, as it runs once when the server starts.
   *
   * @param dir The folder; created when missing.
   * @param log Where warnings about skipped files go (besides the page).
   * @returns The history.
   * @throws {Error} When the folder cannot be created, read or written (the cause is the
   * `Deno.errors` one, e.g. `NotCapable` without permission).
   */
  static open(
    dir: string,
    log: (message: string) => void = (message) => console.warn(message),
  ): RunHistory {
    const history = new RunHistory(dir, log);
    let names: string[];
    try {
      Deno.mkdirSync(dir, { recursive: true });
      // A probe written now, not at the first run's end, so that a folder that cannot be
      // written is refused at start.
      const probe = `${dir}/.tandem-probe-${crypto.randomUUID()}`;
      Deno.writeTextFileSync(probe, "");
      Deno.removeSync(probe);
      names = [...Deno.readDirSync(dir)]
        .filter((item) => item.isFile && item.name.endsWith(".json"))
        .map((item) => item.name)
        .sort();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`${ACTION} in '${dir}' as it cannot be written: ${why}`, { cause: error });
    }
    for (const name of names) history.#load(name);
    return history;
  }

  #load(name: string): void {
    const path = `${this.#dir}/${name}`;
    const id = name.slice(0, -".json".length);
    if (!HISTORY_ID.test(id)) {
      this.#warn(
        `Skipped history file '${path}': its name must use only letters, digits, '_', '.' and '-'`,
      );
      return;
    }
    try {
      const text = Deno.readTextFileSync(path);
      const report = parseStressReport(text, path) as unknown as GuiReport;
      const mtime = Deno.statSync(path).mtime ?? new Date(0);
      this.#put(id, report, mtime.toISOString());
    } catch (error) {
      this.#warn(`Skipped history file '${path}': ${(error as Error).message}`);
    }
  }

  #warn(message: string): void {
    this.#warnings.push(message);
    this.#log(message);
  }

  #put(id: string, report: GuiReport, time: string): void {
    this.#reports.set(id, report);
    this.#entries.set(id, entryOf(id, report, time));
  }

  /** The folder, or `undefined` in memory. */
  get dir(): string | undefined {
    return this.#dir;
  }

  /** Warnings about files skipped or not written. */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /**
   * Every run, oldest first.
   *
   * @returns The entries.
   */
  list(): HistoryEntry[] {
    return [...this.#entries.values()].sort((a, b) =>
      a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0
    );
  }

  /**
   * A run's report.
   *
   * @param id The entry's id.
   * @returns The report, or `undefined` when unknown.
   */
  get(id: string): GuiReport | undefined {
    return this.#reports.get(id);
  }

  /**
   * Adds a run's report, and writes it to the folder when there is one.
   *
   * @param id The run's id.
   * @param report Its report.
   * @returns A promise that resolves once written (a failure is a warning, not an error).
   */
  async add(id: string, report: GuiReport): Promise<void> {
    this.#put(id, report, new Date().toISOString());
    if (this.#dir === undefined) return;
    const path = `${this.#dir}/${id}.json`;
    try {
      await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
    } catch (error) {
      this.#warn(`Cannot write history file '${path}': ${(error as Error).message}`);
    }
  }
}
