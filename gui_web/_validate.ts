// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: validation of the JSON body of `POST /api/runs`, field by field from the
 * table in `_fields.ts`, then the rules between fields.
 *
 * @module
 */

import { checkThresholdsFor } from "../servers/_thresholds.ts";
import { normalizeLoadShape } from "../servers/_load_profile.ts";
import { parseHar, parseRequestsFile } from "../servers/_request_templates.ts";
import { normalizeStressOptions } from "../servers/_stress_options.ts";
import {
  FIELD_NAMES,
  MAX_REQUESTS_FILE_BYTES,
  MAX_REQUESTS_FILE_ENTRIES,
  quote,
  type RequestsFileUpload,
  RUN_FIELDS,
  type RunLimits,
  type RunRequest,
} from "./_fields.ts";

export type { RunLimits, RunRequest } from "./_fields.ts";

/** The outcome of {@linkcode validateRunRequest}. */
export type RunValidation =
  | { ok: true; value: RunRequest }
  | { ok: false; error: string; field?: string; status?: 413 };

const ACTION = "Cannot start run";

/** The most bytes a run request may have besides its requests file: 16 KiB. */
export const MAX_FORM_BYTES = 16 * 1024;

/**
 * The most bytes a run request may have: the form's, and a requests file of
 * {@linkcode MAX_REQUESTS_FILE_BYTES} twice over: a JSON string at most doubles a JSON
 * file's bytes (each `"`, `\` and line break becomes two).
 */
export const MAX_BODY_BYTES = MAX_FORM_BYTES + 2 * MAX_REQUESTS_FILE_BYTES;

const bytesOf = (text: string) => new TextEncoder().encode(text).byteLength;

function known(): string {
  const names = FIELD_NAMES.map((name) => `'${name}'`);
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * Parses and checks the text of a run request.
 *
 * @param text The request body.
 * @param limits The caps on `requests` and `concurrency`.
 * @returns The validated request, or an error naming the offending field.
 */
export function validateRunRequest(text: string, limits: RunLimits): RunValidation {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      error: `${ACTION} as the body is not valid JSON: ${(error as Error).message}`,
    };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return {
      ok: false,
      error: `${ACTION} as the body must be a JSON object: received ${quote(body)}`,
    };
  }
  const fields = body as Record<string, unknown>;
  // A large body is for a requests file only: the rest keeps the form's cap.
  if (text.length * 3 > MAX_FORM_BYTES) {
    const rest = fields.requestsFile === undefined
      ? bytesOf(text)
      : bytesOf(JSON.stringify({ ...fields, requestsFile: undefined }));
    if (rest > MAX_FORM_BYTES) {
      return {
        ok: false,
        status: 413,
        error: `${ACTION} as the body is too large: over ${MAX_FORM_BYTES} bytes`,
      };
    }
  }
  // A field the API does not know must not be dropped silently: the run would not be the
  // one asked for.
  const unknown = Object.keys(fields).find((name) => !FIELD_NAMES.includes(name));
  if (unknown !== undefined) {
    const field = unknown.length > 80 ? unknown.slice(0, 80) + "…" : unknown;
    return {
      ok: false,
      field,
      error: `${ACTION} as ${quote(unknown)} is not a known field: use only ${known()}`,
    };
  }
  const value: Record<string, unknown> = {};
  for (const spec of RUN_FIELDS) {
    const raw = fields[spec.name];
    if (raw === undefined || raw === null) {
      // A requests file may name the target with its own absolute URLs, as in the CLI.
      const named = spec.name === "url" && (fields.requestsFile ?? undefined) !== undefined;
      if (!spec.required || named) continue;
    }
    const checked = spec.check(raw, limits);
    if ("error" in checked) return { ok: false, field: spec.name, error: checked.error };
    value[spec.name] = checked.value;
  }
  const request = value as unknown as RunRequest;
  if (request.requestsFile !== undefined) {
    const failed = readTemplates(request);
    if (failed !== undefined) return failed;
  }
  if (request.stages !== undefined) return checkShape(request);
  if (request.requests !== undefined && request.duration !== undefined) {
    return {
      ok: false,
      field: "duration",
      error: `${ACTION} as 'requests' and 'duration' exclude each other: give one`,
    };
  }
  if (request.requests === undefined && request.duration === undefined) {
    return {
      ok: false,
      field: "requests",
      error: `${ACTION} as 'requests' must be an integer: received undefined`,
    };
  }
  return checkShape(request);
}

/**
 * Parses the requests file with the CLI's own parser (`--requests-file`, `--har`) against
 * the run's URL, into `templates`; without a URL, the templates' origin becomes it.
 */
function readTemplates(request: RunRequest): RunValidation | undefined {
  const { name, text, format, cookies } = request.requestsFile as RequestsFileUpload;
  for (const other of ["method", "body"] as const) {
    if (request[other] !== undefined) {
      return {
        ok: false,
        field: other,
        error:
          `${ACTION} as 'requestsFile' excludes '${other}' (each request of the file has its own): received both`,
      };
    }
  }
  const tooMany = (count: number): RunValidation => ({
    ok: false,
    field: "requestsFile",
    error: `${ACTION} as 'requestsFile' must hold at most ${MAX_REQUESTS_FILE_ENTRIES} ` +
      `requests (each is an endpoint with its own statistics): received ${count} in ${quote(name)}`,
  });
  // One line is one request: counted before the parse, which names default-named
  // duplicates in time quadratic in their number.
  if (format !== "har") {
    let lines = 0;
    for (const line of text.split("\n")) if (line.trim() !== "") lines++;
    if (lines > MAX_REQUESTS_FILE_ENTRIES) return tooMany(lines);
  }
  try {
    const base = request.url as string | undefined;
    const templates = format === "har"
      ? parseHar(text, { file: name, base, cookies })
      : parseRequestsFile(text, { file: name, base });
    if (templates.length > MAX_REQUESTS_FILE_ENTRIES) return tooMany(templates.length);
    if (base === undefined) request.url = new URL("/", templates[0].url).href;
    // The run's own checks of templates (all HEAD or none), before anything starts.
    normalizeStressOptions({ url: request.url, headers: request.headers, templates });
    request.templates = templates;
    request.requestsFile = { name, format, ...(cookies && { cookies }) };
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    return { ok: false, field: "requestsFile", error: error.message };
  }
  return undefined;
}

/** The fields a message of `normalizeLoadShape` may name (`'rate.to'` is `rate`'s). */
const SHAPE_FIELDS = ["stages", "rate", "concurrency", "requests", "duration"] as const;

/**
 * The rules between the load's fields, by the library's own check (`runStress` applies
 * the same), then the thresholds, which may need a rate.
 */
function checkShape(request: RunRequest): RunValidation {
  try {
    normalizeLoadShape({
      rate: request.rate,
      stages: request.stages?.stages,
      startRate: request.stages?.startRate,
      concurrency: request.concurrency,
      requests: request.requests,
      duration: request.duration,
    });
  } catch (error) {
    const message = (error as Error).message;
    // The field the message names first is the one to mark.
    let field: string = "stages";
    let first = Infinity;
    for (const name of SHAPE_FIELDS) {
      const at = message.indexOf(`'${name}`);
      if (at >= 0 && at < first) [field, first] = [name, at];
    }
    return { ok: false, field, error: message };
  }
  if (request.thresholds !== undefined) {
    try {
      const paced = request.rate !== undefined || request.stages !== undefined;
      const endpoints = request.templates?.map((t) => t.name);
      checkThresholdsFor(request.thresholds, { rate: paced, endpoints });
    } catch (error) {
      return { ok: false, field: "thresholds", error: (error as Error).message };
    }
  }
  return { ok: true, value: request };
}
