// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: validation of the JSON body of `POST /api/runs`, field by field from the
 * table in `_fields.ts`, then the rules between fields.
 *
 * @module
 */

import { checkThresholdsFor } from "../servers/_thresholds.ts";
import { normalizeLoadShape } from "../servers/_load_profile.ts";
import { FIELD_NAMES, quote, RUN_FIELDS, type RunLimits, type RunRequest } from "./_fields.ts";

export type { RunLimits, RunRequest } from "./_fields.ts";

/** The outcome of {@linkcode validateRunRequest}. */
export type RunValidation =
  | { ok: true; value: RunRequest }
  | { ok: false; error: string; field?: string };

const ACTION = "Cannot start run";

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
      if (!spec.required) continue;
    }
    const checked = spec.check(raw, limits);
    if ("error" in checked) return { ok: false, field: spec.name, error: checked.error };
    value[spec.name] = checked.value;
  }
  const request = value as unknown as RunRequest;
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
      checkThresholdsFor(request.thresholds, { rate: paced });
    } catch (error) {
      return { ok: false, field: "thresholds", error: (error as Error).message };
    }
  }
  return { ok: true, value: request };
}
