// Copyright 2026 the Tandem authors. MIT license.
// Hand-made stress reports for the threshold, CSV, HTML and compare tests: one of a
// closed run (today's report shape) and one of a rate run with endpoints and service time.

import type { StressReport } from "../../servers/stress.ts";
import type { ReportView } from "../../servers/_thresholds.ts";
import { Histogram, type HistogramData } from "../../servers/_histogram.ts";

/** A closed-model run of 4 s: 4,000 requests, 7 failures (3 of them 503s). */
export function closedReport(): StressReport {
  return {
    url: "http://127.0.0.1:8080/",
    method: "GET",
    concurrency: 10,
    workers: 1,
    pipeline: 1,
    rate: null,
    requests: 4000,
    successes: 3993,
    failures: { timeout: 2, refused: 0, reset: 1, protocol: 0, http4xx: 1, http5xx: 3, other: 0 },
    inFlight: 0,
    statusCodes: { "200": 3993, "404": 1, "503": 3 },
    rps: 1000,
    bytesPerSecond: 120_000,
    durationMs: 4000,
    latencyMs: { min: 0.2, mean: 1.1, p50: 0.9, p90: 1.8, p99: 4.2, p999: 9.5, max: 12 },
    histogram: [
      { fromMs: 0.2, toMs: 1, count: 2400 },
      { fromMs: 1, toMs: 5, count: 1580 },
      { fromMs: 5, toMs: 12.001, count: 17 },
    ],
    timeline: [
      { second: 0, completed: 990, failures: 2, p99: 4.0 },
      { second: 1, completed: 1010, failures: 1, p99: 4.4 },
      { second: 2, completed: 1000, failures: 3, p99: 4.1 },
      { second: 3, completed: 1000, failures: 1, p99: 4.3 },
    ],
    startTime: "2026-12-05T06:00:00.000Z",
    endTime: "2026-12-05T06:00:04.000Z",
    cancelled: false,
  };
}

/** A rate run of 3 s at 500/s over two endpoints, with service time and late requests. */
export function rateReport(): StressReport & ReportView {
  const latency = { min: 0.3, mean: 2, p50: 1.5, p90: 3, p99: 250, p999: 900, max: 1000 };
  const service = { min: 0.2, mean: 1, p50: 0.8, p90: 1.5, p99: 3, p999: 5, max: 6 };
  return {
    ...closedReport(),
    rate: 500,
    requests: 1500,
    successes: 1500,
    failures: { timeout: 0, refused: 0, reset: 0, protocol: 0, http4xx: 0, http5xx: 0, other: 0 },
    statusCodes: { "200": 1500 },
    rps: 500,
    durationMs: 3000,
    latencyMs: latency,
    serviceTimeMs: service,
    late: { count: 15, worstMs: 2.5 },
    endpoints: {
      home: {
        requests: 1000,
        successes: 1000,
        failures: 0,
        statusCodes: { "200": 1000 },
        latencyMs: { ...latency, p99: 100 },
        serviceTimeMs: service,
      },
      login: {
        requests: 500,
        successes: 500,
        failures: 0,
        statusCodes: { "200": 500 },
        latencyMs: { ...latency, p99: 400 },
        serviceTimeMs: { ...service, p99: 4 },
      },
    },
    timeline: [
      {
        second: 0,
        completed: 500,
        failures: 0,
        p99: 240,
        p50: 1.4,
        p90: 2.9,
        max: 900,
        targetRate: 500,
      },
      {
        second: 1,
        completed: 500,
        failures: 0,
        p99: 260,
        p50: 1.6,
        p90: 3.1,
        max: 1000,
        targetRate: 500,
      },
      {
        second: 2,
        completed: 500,
        failures: 0,
        p99: 250,
        p50: 1.5,
        p90: 3,
        max: 950,
        targetRate: 500,
      },
    ],
  } as StressReport & ReportView;
}

/** A histogram of the given microsecond values. */
export function histogramOf(values: number[]): HistogramData {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h.data();
}
