// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the run options the GUI offers, one table entry each. The server builds the
 * form's HTML from {@linkcode RUN_FIELDS} and checks `POST /api/runs` with each entry's
 * `check`; the page's script (bundled from `_page/`) reads the inputs by `kind`. Adding an
 * option is one entry here (and its key in `RunRequest`).
 *
 * Plain functions and data only: the page's bundle includes this file.
 *
 * @module
 */

import { integerError, MAX_DELAY_MS } from "../sync/_checks.ts";
import { parseThreshold } from "../servers/_thresholds.ts";
import type { Ramp } from "../servers/_load_profile.ts";
import type { RequestTemplate } from "../servers/_request_templates.ts";
import {
  parseConcurrencyText,
  type ParsedStages,
  parseRateText,
  parseStagesText,
} from "../servers/_load_syntax.ts";

/** Upper bounds for a run request. */
export interface RunLimits {
  maxRequests: number;
  maxConcurrency: number;
}

/** A validated run request: the options of `runStress` the GUI offers, and thresholds. */
export interface RunRequest {
  url: string;
  requests?: number;
  duration?: number;
  /** Connections, or a ramp of them (`10:200/30s` in the form). */
  concurrency: number | Ramp;
  /** A constant rate, or a ramp of it (`100:2000/30s` in the form). */
  rate?: number | Ramp;
  /** Rate steps (`30s:500,1m:2000` in the form); they set the run's length. */
  stages?: ParsedStages;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeout?: number;
  /** Threshold expressions judged on the report (`p99<250ms`). */
  thresholds?: string[];
  /**
   * An uploaded requests file (`--requests-file` or `--har`): a request carries a
   * {@linkcode RequestsFileUpload}; once parsed into `templates`, only its name, format
   * and cookie choice are kept (a run is kept after it ends: its text would be too).
   */
  requestsFile?: Omit<RequestsFileUpload, "text">;
  /** The templates of `requestsFile`, parsed by the server (never sent by a client). */
  templates?: RequestTemplate[];
}

/** A requests file as the page sends it in a run request: its name and its text. */
export interface RequestsFileUpload {
  /** The file's name, for messages; `*.har` is read as a HAR export. */
  name: string;
  /** The file's text. */
  text: string;
  /**
   * JSON Lines of templates (`--requests-file`) or a browser's HAR export (`--har`).
   *
   * @default {"har" for a name ending in ".har", else "jsonl"}
   */
  format?: "jsonl" | "har";
  /**
   * Keep the HAR's `Cookie` headers (`--har-cookies`).
   *
   * @default {false}
   */
  cookies?: boolean;
}

/**
 * The most bytes (UTF-8) a requests file may have: 8 MiB, room for a HAR export with its
 * responses' text; the server reads and checks that much in about 0.25 s (0.5 s cold) on
 * a 2-core machine.
 */
export const MAX_REQUESTS_FILE_BYTES = 8 * 1024 * 1024;

/**
 * The most requests a requests file may hold: each is an endpoint with its own statistics
 * in every generator worker, about 32 KB each (a run of 5,000 took 340 MB, of 20,000
 * 720 MB), and 8 MiB of short lines would hold half a million.
 */
export const MAX_REQUESTS_FILE_ENTRIES = 1_000;

/**
 * The message for a requests file over {@linkcode MAX_REQUESTS_FILE_BYTES}: the page
 * shows it before sending, the server when a client sends one.
 *
 * @param name The file's name.
 * @param bytes Its size in bytes.
 * @returns The message.
 * @example
 * ```ts
 * import { requestsFileSizeError } from "./_fields.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   requestsFileSizeError("site.har", 12.34 * 1024 * 1024),
 *   "Cannot start run as 'requestsFile' must be at most 8 MiB: received 'site.har' of 12.3 MiB",
 * );
 * ```
 */
export function requestsFileSizeError(name: string, bytes: number): string {
  const mib = (n: number) => `${+(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${ACTION} as 'requestsFile' must be at most ${mib(MAX_REQUESTS_FILE_BYTES)}: ` +
    `received ${quote(name)} of ${mib(bytes)}`;
}

/**
 * How a field is entered and read: `load` is a number or the text of a ramp, sent as a
 * number when it is one.
 */
export type FieldKind = "url" | "integer" | "number" | "load" | "text" | "lines" | "file";

/** The outcome of a field's check: its value, or the message shown next to it. */
export type FieldCheck = { value: unknown } | { error: string };

/** One run option. */
export interface FieldSpec {
  /** The JSON field, and the input's id. */
  name: keyof RunRequest;
  /** The input's label. */
  label: string;
  /** How it is entered. */
  kind: FieldKind;
  /** Whether it sits in the form's "Advanced" section. */
  advanced: boolean;
  /** Whether a request must carry it. */
  required?: boolean;
  /** A short help text under the input. */
  hint?: string;
  /** The input's initial value. */
  initial?: string;
  /** The input's placeholder. */
  placeholder?: string;
  /** Checks a value that is present (not `undefined`). */
  check(value: unknown, limits: RunLimits): FieldCheck;
}

const ACTION = "Cannot start run";
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Longest run and timeout the GUI starts, as the stress CLI allows: 24 hours. */
const MAX_MS = Math.min(24 * 3600 * 1000, MAX_DELAY_MS);

/**
 * A value quoted for a message, cut at 80 characters.
 *
 * @param value Anything.
 * @returns `'text'`.
 */
export function quote(value: unknown): string {
  if (typeof value === "string") return `'${value.length > 80 ? value.slice(0, 80) + "…" : value}'`;
  // JSON.stringify writes Infinity (from a literal such as 1e400) as "null".
  if (typeof value === "number") return `'${value}'`;
  try {
    return `'${JSON.stringify(value)}'`;
  } catch {
    return `'${String(value)}'`;
  }
}

function integer(name: string, min: number, max: number): (value: unknown) => FieldCheck {
  return (value) => {
    if (integerError(value, name, ACTION, { min, max }) === undefined) return { value };
    // The page shows these next to the field: its own words, not the library's range.
    return {
      error: typeof value === "number" && Number.isInteger(value)
        ? `${ACTION} as '${name}' must be between ${min} and ${max}: received ${value}`
        : `${ACTION} as '${name}' must be an integer: received ${quote(value)}`,
    };
  };
}

function checkUrl(raw: unknown): FieldCheck {
  if (typeof raw !== "string" || raw.trim() === "") {
    return { error: `${ACTION} as 'url' must be a non-empty string: received ${quote(raw)}` };
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { error: `${ACTION} as 'url' is malformed: ${quote(raw)}` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return {
      error: `${ACTION} as 'url' must use http or https: received ${quote(url.protocol)}`,
    };
  }
  if (url.username !== "" || url.password !== "") {
    return {
      error: `${ACTION} as 'url' must not carry credentials: remove the 'user:pass@' part`,
    };
  }
  return { value: url.href };
}

/**
 * Runs a parser of `servers/_load_syntax.ts`, the CLI's own: the same text gets the same
 * message in the terminal and next to the field (which the message names as the API does).
 */
function parsed(parse: () => unknown): FieldCheck {
  try {
    return { value: parse() };
  } catch (error) {
    if (error instanceof SyntaxError) return { error: error.message };
    throw error;
  }
}

/** Connections: an integer, or a ramp's text whose ends stay within the cap. */
function checkConcurrency(value: unknown, limits: RunLimits): FieldCheck {
  if (typeof value !== "string") return integer("concurrency", 1, limits.maxConcurrency)(value);
  const checked = parsed(() => parseConcurrencyText(value, "concurrency"));
  if ("error" in checked) return checked;
  const shape = checked.value as number | Ramp;
  const most = typeof shape === "number" ? shape : Math.max(shape.from, shape.to);
  if (most > limits.maxConcurrency) {
    return {
      error: `${ACTION} as 'concurrency' must be between 1 and ${limits.maxConcurrency}: received ${
        quote(value)
      }`,
    };
  }
  return checked;
}

function checkRate(value: unknown): FieldCheck {
  if (typeof value === "string") {
    const text = value;
    const checked = parsed(() => parseRateText(text, "rate"));
    if ("error" in checked || typeof checked.value !== "number") return checked;
    value = checked.value;
  }
  if (typeof value === "number" && Number.isFinite(value) && value > 0 && value <= 10_000_000) {
    return { value };
  }
  return {
    error:
      `${ACTION} as 'rate' must be a number of requests per second from above 0 to 10000000: received ${
        quote(value)
      }`,
  };
}

function checkStages(value: unknown): FieldCheck {
  if (typeof value !== "string") {
    return {
      error: `${ACTION} as 'stages' must be steps like '30s:500,1m:2000,30s:0': received ${
        quote(value)
      }`,
    };
  }
  return parsed(() => parseStagesText(value, "stages"));
}

function checkMethod(value: unknown): FieldCheck {
  if (typeof value === "string" && TOKEN.test(value)) return { value: value.toUpperCase() };
  return {
    error: `${ACTION} as 'method' must be an HTTP method such as GET: received ${quote(value)}`,
  };
}

/** `{ name: value }`, or lines `Name: value` as the form sends them. */
function checkHeaders(value: unknown): FieldCheck {
  const pairs: [string, unknown][] = [];
  if (typeof value === "string") {
    for (const line of value.split(/\r?\n/)) {
      if (line.trim() === "") continue;
      const colon = line.indexOf(":");
      if (colon <= 0) {
        return {
          error: `${ACTION} as each line of 'headers' must be 'Name: value': received ${
            quote(line)
          }`,
        };
      }
      pairs.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
  } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    pairs.push(...Object.entries(value));
  } else {
    return {
      error:
        `${ACTION} as 'headers' must be an object of strings or lines 'Name: value': received ${
          quote(value)
        }`,
    };
  }
  const headers: Record<string, string> = {};
  for (const [name, text] of pairs) {
    if (!TOKEN.test(name)) {
      return { error: `${ACTION} as header name ${quote(name)} is not a valid token` };
    }
    if (typeof text !== "string" || /[\r\n\0]/.test(text)) {
      return {
        error: `${ACTION} as header '${name}' must be a one-line string: received ${quote(text)}`,
      };
    }
    headers[name] = text;
  }
  return { value: headers };
}

function checkBody(value: unknown): FieldCheck {
  if (typeof value === "string") return { value };
  return { error: `${ACTION} as 'body' must be a string: received ${quote(value)}` };
}

/** A list of expressions, or lines of them as the form sends them. */
function checkThresholds(value: unknown): FieldCheck {
  const list = typeof value === "string"
    ? value.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "")
    : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) {
    return {
      error:
        `${ACTION} as 'thresholds' must be a list of expressions such as 'p99<250ms': received ${
          quote(value)
        }`,
    };
  }
  for (const expression of list as string[]) {
    try {
      parseThreshold(expression);
    } catch (error) {
      return { error: (error as Error).message };
    }
  }
  return { value: list };
}

/**
 * The shape of an uploaded requests file; its content is parsed by the server with the
 * CLI's own parser (`_validate.ts`), against the run's URL.
 */
function checkRequestsFile(value: unknown): FieldCheck {
  const shape =
    `${ACTION} as 'requestsFile' must be an object { name, text, format?, cookies? }: received ${
      quote(value)
    }`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { error: shape };
  const { name, text, format, cookies, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) {
    return {
      error: `${ACTION} as 'requestsFile.${
        extra.slice(0, 80)
      }' is not a field: use 'name', 'text', 'format' and 'cookies'`,
    };
  }
  // deno-lint-ignore no-control-regex
  if (typeof name !== "string" || name.trim() === "" || /[\x00-\x1f\x7f]/.test(name)) {
    return {
      error:
        `${ACTION} as 'requestsFile.name' must be a file name without control characters: received ${
          quote(name)
        }`,
    };
  }
  if (typeof text !== "string") {
    return { error: `${ACTION} as 'requestsFile.text' must be a string: received ${quote(text)}` };
  }
  if (format !== undefined && format !== "jsonl" && format !== "har") {
    return {
      error: `${ACTION} as 'requestsFile.format' must be 'jsonl' or 'har': received ${
        quote(format)
      }`,
    };
  }
  if (cookies !== undefined && typeof cookies !== "boolean") {
    return {
      error: `${ACTION} as 'requestsFile.cookies' must be a boolean: received ${quote(cookies)}`,
    };
  }
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: count the bytes only when the cap may be passed.
  const bytes = text.length * 3 <= MAX_REQUESTS_FILE_BYTES
    ? text.length
    : new TextEncoder().encode(text).byteLength;
  if (bytes > MAX_REQUESTS_FILE_BYTES) return { error: requestsFileSizeError(name, bytes) };
  const file = name.trim().slice(0, 200);
  const upload: RequestsFileUpload = {
    name: file,
    text,
    format: format ?? (/\.har$/i.test(file) ? "har" : "jsonl"),
    ...(cookies === true && { cookies }),
  };
  return { value: upload };
}

/** The run options, in the order the form shows them. */
export const RUN_FIELDS: readonly FieldSpec[] = [
  {
    name: "url",
    label: "URL",
    kind: "url",
    advanced: false,
    required: true,
    placeholder: "http://127.0.0.1:8080/",
    check: checkUrl,
  },
  {
    name: "requests",
    label: "Requests",
    kind: "integer",
    advanced: false,
    initial: "1000",
    check: (value, limits) => integer("requests", 1, limits.maxRequests)(value),
  },
  {
    name: "concurrency",
    label: "Concurrency",
    kind: "load",
    advanced: false,
    required: true,
    initial: "10",
    hint: "Or a ramp: 10:200/30s.",
    check: checkConcurrency,
  },
  {
    name: "duration",
    label: "Duration (ms)",
    kind: "integer",
    advanced: true,
    hint: "Run this long instead of a number of requests.",
    check: integer("duration", 1, MAX_MS),
  },
  {
    name: "rate",
    label: "Rate (req/s)",
    kind: "load",
    advanced: true,
    hint: "Arrival rate such as 200, or a ramp such as 100:2000/30s; latency then counts " +
      "from each request's intended start.",
    check: checkRate,
  },
  {
    name: "stages",
    label: "Stages",
    kind: "text",
    advanced: true,
    placeholder: "10s:100,30s:500,10s:0",
    hint: "Rate steps DURATION:RATE, each ramping from the previous rate; they set the " +
      "run's length (instead of requests or duration).",
    check: checkStages,
  },
  {
    name: "method",
    label: "Method",
    kind: "text",
    advanced: true,
    placeholder: "GET",
    check: checkMethod,
  },
  {
    name: "headers",
    label: "Headers",
    kind: "lines",
    advanced: true,
    placeholder: "Accept: application/json",
    hint: "One 'Name: value' per line.",
    check: checkHeaders,
  },
  {
    name: "body",
    label: "Body",
    kind: "lines",
    advanced: true,
    check: checkBody,
  },
  {
    name: "timeout",
    label: "Timeout (ms)",
    kind: "integer",
    advanced: true,
    placeholder: "5000",
    check: integer("timeout", 1, MAX_MS),
  },
  {
    name: "thresholds",
    label: "Thresholds",
    kind: "lines",
    advanced: true,
    placeholder: "p99<250ms\nerrors<1%",
    hint: "One per line; the run passes when all hold.",
    check: checkThresholds,
  },
  {
    name: "requestsFile",
    label: "Requests file",
    kind: "file",
    advanced: true,
    hint: 'JSON Lines of requests {"name", "method", "url", "headers", "body", ' +
      '"weight"} as for --requests-file, or a browser\'s HAR export (*.har) as for --har; ' +
      "each request is one of them, picked by weight; URLs resolve against the URL " +
      "(which may then be left empty). At most 8 MiB and 1,000 requests.",
    check: checkRequestsFile,
  },
];

/** The names of the run options. */
export const FIELD_NAMES: readonly string[] = RUN_FIELDS.map((field) => field.name);
