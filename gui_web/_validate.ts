// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: validation of the JSON body of `POST /api/runs`.
 *
 * @module
 */

import { integerError } from "../sync/_checks.ts";

/** A validated run request. */
export interface RunRequest {
  url: string;
  requests: number;
  concurrency: number;
}

/** The fields a run request has; the page shows an error about one next to it. */
export const RUN_FIELDS = ["url", "requests", "concurrency"] as const;

/** A field of a run request. */
export type RunField = typeof RUN_FIELDS[number];

/** Upper bounds for a run request. */
export interface RunLimits {
  maxRequests: number;
  maxConcurrency: number;
}

/** The outcome of {@linkcode validateRunRequest}. */
export type RunValidation =
  | { ok: true; value: RunRequest }
  | { ok: false; error: string; field?: string };

const ACTION = "Cannot start run";

function quote(value: unknown): string {
  if (typeof value === "string") return `'${value.length > 80 ? value.slice(0, 80) + "…" : value}'`;
  // JSON.stringify writes Infinity (from a literal such as 1e400) as "null".
  if (typeof value === "number") return `'${value}'`;
  try {
    return `'${JSON.stringify(value)}'`;
  } catch {
    return `'${String(value)}'`;
  }
}

function checkCount(
  body: Record<string, unknown>,
  field: "requests" | "concurrency",
  max: number,
): RunValidation | number {
  const value = body[field];
  if (integerError(value, field, ACTION, { min: 1, max }) === undefined) return value as number;
  // The page shows these next to the field: its own words, not the library's range.
  return {
    ok: false,
    field,
    error: typeof value === "number" && Number.isInteger(value)
      ? `${ACTION} as '${field}' must be between 1 and ${max}: received ${value}`
      : `${ACTION} as '${field}' must be an integer: received ${quote(value)}`,
  };
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
      error: `Cannot start run as the body is not valid JSON: ${(error as Error).message}`,
    };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return {
      ok: false,
      error: `Cannot start run as the body must be a JSON object: received ${quote(body)}`,
    };
  }
  const fields = body as Record<string, unknown>;
  // A field the API does not know (e.g. 'duration') must not be dropped silently: the run
  // would not be the one asked for.
  const unknown = Object.keys(fields).find((name) =>
    !(RUN_FIELDS as readonly string[]).includes(name)
  );
  if (unknown !== undefined) {
    const field = unknown.length > 80 ? unknown.slice(0, 80) + "…" : unknown;
    return {
      ok: false,
      field,
      error: `${ACTION} as ${
        quote(unknown)
      } is not a known field: use only 'url', 'requests' and 'concurrency'`,
    };
  }
  const raw = fields.url;
  if (typeof raw !== "string" || raw.trim() === "") {
    return {
      ok: false,
      field: "url",
      error: `Cannot start run as 'url' must be a non-empty string: received ${quote(raw)}`,
    };
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return {
      ok: false,
      field: "url",
      error: `Cannot start run as 'url' is malformed: ${quote(raw)}`,
    };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return {
      ok: false,
      field: "url",
      error: `Cannot start run as 'url' must use http or https: received ${quote(url.protocol)}`,
    };
  }
  if (url.username !== "" || url.password !== "") {
    return {
      ok: false,
      field: "url",
      error: "Cannot start run as 'url' must not carry credentials: remove the 'user:pass@' part",
    };
  }
  const requests = checkCount(fields, "requests", limits.maxRequests);
  if (typeof requests !== "number") return requests;
  const concurrency = checkCount(fields, "concurrency", limits.maxConcurrency);
  if (typeof concurrency !== "number") return concurrency;
  return { ok: true, value: { url: url.href, requests, concurrency } };
}
