// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the GUI's HTML page. Embedded as a string so that the app also works when
 * imported from a JSR URL; no build step for users, no network: the page loads only
 * `/app.css`, `/uplot.js` and `/app.js`. The form's fields come from `_fields.ts`.
 *
 * @module
 */

import { type FieldSpec, RUN_FIELDS } from "./_fields.ts";

/** Values baked into the page. */
export interface PageLimits {
  maxRequests: number;
  maxConcurrency: number;
  /** Where runs go when they go to stress agents (the Redis URL without password). */
  cluster?: { redis: string; agents: number };
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function input(field: FieldSpec, limits: PageLimits): string {
  const id = field.name;
  const described = `${id}-error${field.hint ? ` ${id}-hint` : ""}`;
  const common = `id="${id}" name="${id}" aria-describedby="${described}"${
    field.required ? " required" : ""
  }${field.placeholder ? ` placeholder="${escape(field.placeholder)}"` : ""}`;
  let control: string;
  switch (field.kind) {
    case "url":
      control = `<input ${common} type="url" inputmode="url" autocomplete="url">`;
      break;
    case "integer":
    case "number": {
      const max = id === "requests"
        ? ` max="${Math.trunc(limits.maxRequests)}"`
        : id === "concurrency"
        ? ` max="${Math.trunc(limits.maxConcurrency)}"`
        : "";
      const step = field.kind === "integer" ? "1" : "any";
      control = `<input ${common} type="number" min="${field.kind === "integer" ? 1 : 0}"${max}` +
        ` step="${step}"${field.initial ? ` value="${escape(field.initial)}"` : ""}>`;
      break;
    }
    case "load":
      control = `<input ${common} type="text" autocomplete="off" spellcheck="false"` +
        `${field.initial ? ` value="${escape(field.initial)}"` : ""}>`;
      break;
    case "text":
      control = `<input ${common} type="text" autocomplete="off" spellcheck="false">`;
      break;
    case "lines":
      control = `<textarea ${common} rows="3" spellcheck="false"></textarea>`;
      break;
    case "file":
      // Read by the page and sent as text; the server parses it (any extension goes).
      control = `<input ${common} type="file" accept=".jsonl,.ndjson,.json,.har,.txt">` +
        `\n      <label class="check"><input id="${id}-cookies" type="checkbox">` +
        ` Keep a HAR's Cookie headers (as --har-cookies)</label>` +
        `\n      <button id="${id}-clear" class="secondary" type="button" hidden>` +
        `Remove ${escape(field.label.toLowerCase())}</button>`;
      break;
  }
  const hint = field.hint
    ? `\n      <p class="hint" id="${id}-hint">${escape(field.hint)}</p>`
    : "";
  return `    <div class="field field-${id}">
      <label for="${id}">${escape(field.label)}</label>
      ${control}${hint}
      <p class="error" id="${id}-error" role="alert"></p>
    </div>`;
}

function figure(id: string, caption: string, columns: string[], noteId = `${id}-note`): string {
  return `      <figure id="fig-${id}">
        <div class="chart" id="chart-${id}" role="img" aria-label="${escape(caption)}"></div>
        <figcaption>${escape(caption)}<span class="note" id="${noteId}"></span></figcaption>
        <div class="scroll chart-table" hidden><table id="table-${id}">
          <caption>${escape(caption)}</caption>
          <thead><tr>${
    columns.map((c) => `<th scope="col">${escape(c)}</th>`).join("")
  }</tr></thead>
          <tbody></tbody>
        </table></div>
      </figure>`;
}

/**
 * The page's HTML.
 *
 * @param limits The caps shown on the number inputs.
 * @returns The HTML document.
 */
export function pageHtml(limits: PageLimits): string {
  const simple = RUN_FIELDS.filter((field) => !field.advanced).map((f) => input(f, limits));
  const advanced = RUN_FIELDS.filter((field) => field.advanced).map((f) => input(f, limits));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem load tester</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/uplot.js" defer></script>
<script src="/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1><span class="logo" aria-hidden="true">⇉</span> Tandem <span class="sub">load tester</span></h1>${
    limits.cluster
      ? `\n  <p class="cluster-line" id="cluster-line">Runs go to ${limits.cluster.agents} ${
        limits.cluster.agents === 1 ? "agent" : "agents"
      } through <code>${escape(limits.cluster.redis)}</code></p>`
      : ""
  }
</header>
<main>
  <form id="run-form" class="card" novalidate aria-label="Run">
${simple.join("\n")}
    <div class="actions">
      <button id="submit" type="submit">Submit</button>
    </div>
    <details id="advanced">
      <summary>Advanced</summary>
      <div class="advanced-grid">
${advanced.join("\n")}
      </div>
    </details>
    <p class="error form-error" id="form-error" role="alert"></p>
  </form>

  <section id="live" class="card" aria-labelledby="live-title">
    <div class="live-head">
      <h2 id="live-title">Progress</h2>
      <span id="status" class="status" data-state="idle" role="status">idle</span>
    </div>
    <progress id="progress" value="0" max="1" aria-labelledby="live-title"></progress>
    <dl class="figures">
      <div><dt>Completed</dt><dd id="completed">0 / 0</dd></div>
      <div><dt>Req/s</dt><dd id="rps">0</dd></div>
      <div><dt>Errors</dt><dd id="errors">0</dd></div>
      <div><dt>Elapsed</dt><dd id="elapsed">0.0 s</dd></div>
    </dl>
    <div class="scroll" id="agents-box"${limits.cluster ? "" : " hidden"}><table id="agents-table">
      <caption>Agents<span class="note" id="agents-note"></span></caption>
      <thead><tr><th scope="col">agent</th><th scope="col">host</th><th scope="col">state</th><th scope="col">req/s</th><th scope="col">lost</th></tr></thead>
      <tbody></tbody>
    </table></div>
    <div class="chart-tools">
      <button id="toggle-tables" type="button" class="secondary" aria-pressed="false">Show data as tables</button>
    </div>
    <div class="charts">
${
    figure("rps", "Requests per second over time (s), failures in red", [
      "second",
      "req/s",
      "failures/s",
      "target req/s",
    ], "timeline-note")
  }
${figure("latency", "Latency per second (ms)", ["second", "p50", "p90", "p99"])}
${figure("errors", "Errors per second", ["second", "errors"])}
${figure("histogram", "Latency histogram (ms)", ["bucket ms", "responses"])}
    </div>
  </section>

  <section id="report" class="card" aria-labelledby="report-title" hidden>
    <div class="live-head">
      <h2 id="report-title">Report</h2>
      <span class="downloads">
        <a id="download-json" class="button secondary" href="#" download>Download JSON</a>
        <a id="download-html" class="button secondary" href="#" download>Download HTML report</a>
      </span>
    </div>
    <p class="target">Tested <code id="report-url"></code></p>
    <dl class="figures" id="summary"></dl>
    <div class="tables">
      <div class="scroll"><table id="latency">
        <caption>Latency (ms)</caption>
        <thead><tr><th>min</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr></thead>
        <tbody><tr></tr></tbody>
      </table></div>
      <div class="scroll"><table id="status-codes">
        <caption>Status codes</caption>
        <thead><tr><th>code</th><th>count</th></tr></thead>
        <tbody></tbody>
      </table></div>
      <div class="scroll"><table id="failures">
        <caption>Failures by cause</caption>
        <thead><tr><th>cause</th><th>count</th></tr></thead>
        <tbody></tbody>
      </table></div>
    </div>
    <div class="scroll" id="endpoints-box" hidden><table id="endpoints">
      <caption>Endpoints (slowest p99 first, ms)</caption>
      <thead><tr><th scope="col">endpoint</th><th scope="col">requests</th><th scope="col">ok</th><th scope="col">failed</th><th scope="col">p50</th><th scope="col">p90</th><th scope="col">p99</th><th scope="col">max</th></tr></thead>
      <tbody></tbody>
    </table></div>
    <div class="scroll" id="thresholds-box" hidden><table id="threshold-results">
      <caption>Thresholds</caption>
      <thead><tr><th>threshold</th><th>actual</th><th>result</th></tr></thead>
      <tbody></tbody>
    </table></div>
  </section>

  <section id="history" class="card" aria-labelledby="history-title">
    <div class="live-head">
      <h2 id="history-title">History</h2>
      <button id="compare-button" type="button" class="secondary">Compare selected</button>
    </div>
    <p class="hint" id="history-hint">Tick two runs to compare them.<span id="history-dir"></span></p>
    <ul class="warnings" id="history-warnings" role="status"></ul>
    <div class="scroll"><table id="history-table">
      <caption class="visually-hidden">Runs since the server started</caption>
      <thead><tr><th scope="col">compare</th><th scope="col">time</th><th scope="col">URL</th><th scope="col">req/s</th><th scope="col">p99 ms</th><th scope="col">thresholds</th><th scope="col">open</th></tr></thead>
      <tbody></tbody>
    </table></div>
    <p class="error" id="compare-error" role="alert"></p>
  </section>

  <section id="compare" class="card" aria-labelledby="compare-title" hidden>
    <h2 id="compare-title">Compare</h2>
    <p class="target" id="compare-names"></p>
    <div class="scroll"><table id="compare-table">
      <caption>Headline figures: before, after and change</caption>
      <thead><tr><th scope="col">metric</th><th scope="col">before</th><th scope="col">after</th><th scope="col">change</th><th scope="col">beyond noise</th></tr></thead>
      <tbody></tbody>
    </table></div>
    <div class="charts">
${
    figure("compare-rps", "Requests per second over time (s): before and after", [
      "second",
      "before",
      "after",
    ])
  }
${
    figure("compare-spectrum", "Latency percentile spectrum (ms): before and after", [
      "percentile",
      "before",
      "after",
    ])
  }
    </div>
  </section>
</main>
<footer class="foot">Runs go through <code>runStress</code>; this page talks to <code>/api/runs</code>. Charts: uPlot (MIT licence, © Leon Sorokin).</footer>
</body>
</html>
`;
}
