// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the GUI's HTML page. Embedded as a string so that the app also works when
 * imported from a JSR URL; no build step, no network: the page loads only `/app.css` and
 * `/app.js`.
 *
 * @module
 */

/** Values baked into the page. */
export interface PageLimits {
  maxRequests: number;
  maxConcurrency: number;
}

/**
 * The page's HTML.
 *
 * @param limits The caps shown on the number inputs.
 * @returns The HTML document.
 */
export function pageHtml(limits: PageLimits): string {
  const maxRequests = Math.trunc(limits.maxRequests);
  const maxConcurrency = Math.trunc(limits.maxConcurrency);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem load tester</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1><span class="logo" aria-hidden="true">⇉</span> Tandem <span class="sub">load tester</span></h1>
</header>
<main>
  <form id="run-form" class="card" novalidate>
    <div class="field field-url">
      <label for="url">URL</label>
      <input id="url" name="url" type="url" inputmode="url" autocomplete="url" required
        placeholder="http://127.0.0.1:8080/" aria-describedby="url-error">
      <p class="error" id="url-error" role="alert"></p>
    </div>
    <div class="field">
      <label for="requests">Requests</label>
      <input id="requests" name="requests" type="number" min="1" max="${maxRequests}" step="1"
        value="1000" required aria-describedby="requests-error">
      <p class="error" id="requests-error" role="alert"></p>
    </div>
    <div class="field">
      <label for="concurrency">Concurrency</label>
      <input id="concurrency" name="concurrency" type="number" min="1" max="${maxConcurrency}"
        step="1" value="10" required aria-describedby="concurrency-error">
      <p class="error" id="concurrency-error" role="alert"></p>
    </div>
    <div class="actions">
      <button id="submit" type="submit">Submit</button>
    </div>
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
  </section>

  <section id="report" class="card" aria-labelledby="report-title" hidden>
    <h2 id="report-title">Report</h2>
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
    <div class="charts">
      <figure>
        <canvas id="histogram-chart" width="560" height="220" role="img"
          aria-label="Latency histogram"></canvas>
        <figcaption>Latency histogram (ms)</figcaption>
      </figure>
      <figure>
        <canvas id="timeline-chart" width="560" height="220" role="img"
          aria-label="Requests per second over time"></canvas>
        <figcaption>Requests per second over time (s), failures in red<span
          id="timeline-note"></span></figcaption>
      </figure>
    </div>
  </section>
</main>
<footer class="foot">Runs go through <code>runStress</code>; this page talks to <code>/api/runs</code>.</footer>
</body>
</html>
`;
}
