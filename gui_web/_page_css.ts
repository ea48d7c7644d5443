// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the GUI's stylesheet, embedded as a string (see `_page_html.ts`).
 *
 * @module
 */

/** The page's CSS, served as `/app.css`. */
export const PAGE_CSS = `:root {
  --bg: #f4f6fa;
  --card: #ffffff;
  --ink: #1c2330;
  --muted: #5d6879;
  --line: #e2e6ee;
  --accent: #2f6fed;
  --accent-ink: #ffffff;
  --danger: #c62d3a;
  --ok: #16693d;
  --warn: #8a5a12;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink);
  background: var(--bg);
  line-height: 1.4;
}
* { box-sizing: border-box; }
body { margin: 0; }
.top { padding: 14px 24px; background: var(--card); border-bottom: 1px solid var(--line); }
.top h1 { margin: 0; font-size: 1.15rem; font-weight: 650; letter-spacing: 0.01em; }
.logo { color: var(--accent); }
.sub { color: var(--muted); font-weight: 500; }
.cluster-line { margin: 4px 0 0; color: var(--muted); font-size: 0.9rem; overflow-wrap: anywhere; }
#agents-box { margin: 8px 0; }
main {
  max-width: 1240px;
  margin: 0 auto;
  padding: 18px 24px 8px;
  display: grid;
  grid-template-columns: minmax(0, 1fr);
  gap: 16px;
}
.card {
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 10px;
  padding: 16px 18px;
  box-shadow: 0 1px 2px rgba(20, 30, 50, 0.04);
}
h2 { margin: 0 0 10px; font-size: 1rem; font-weight: 650; }
#run-form {
  display: grid;
  grid-template-columns: minmax(220px, 1fr) 140px 140px auto;
  gap: 12px 14px;
  align-items: start;
}
.field { display: flex; flex-direction: column; gap: 4px; min-width: 0; }
label { font-size: 0.8rem; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
input, textarea {
  font: inherit;
  padding: 8px 10px;
  border: 1px solid #c9d0dc;
  border-radius: 7px;
  background: #fbfcfe;
  color: var(--ink);
  width: 100%;
}
textarea { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.88rem; resize: vertical; }
input:focus, textarea:focus { outline: 2px solid var(--accent); outline-offset: 1px; border-color: var(--accent); }
input[aria-invalid="true"], textarea[aria-invalid="true"] { border-color: var(--danger); background: #fff6f7; }
.actions { padding-top: 22px; }
button {
  font: inherit;
  font-weight: 600;
  min-width: 104px;
  padding: 8px 18px;
  border: 0;
  border-radius: 7px;
  background: var(--accent);
  color: var(--accent-ink);
  cursor: pointer;
}
button:hover { filter: brightness(1.07); }
button:focus-visible { outline: 2px solid var(--ink); outline-offset: 2px; }
button.cancel { background: var(--danger); }
button.secondary, a.button {
  display: inline-block;
  font: inherit;
  font-size: 0.85rem;
  font-weight: 600;
  min-width: 0;
  padding: 5px 12px;
  border: 1px solid #c9d0dc;
  border-radius: 7px;
  background: var(--card);
  color: #1f55c9;
  text-decoration: none;
  cursor: pointer;
}
a.button:focus-visible { outline: 2px solid var(--ink); outline-offset: 2px; }
details { grid-column: 1 / -1; }
summary { cursor: pointer; font-weight: 650; color: #1f55c9; width: max-content; }
summary:focus-visible { outline: 2px solid var(--ink); outline-offset: 2px; }
.advanced-grid {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
  gap: 12px 14px;
  margin-top: 10px;
}
.hint { margin: 0; font-size: 0.78rem; color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
button[aria-disabled="true"] { opacity: 0.75; cursor: progress; }
.error { margin: 0; min-height: 1em; font-size: 0.82rem; color: var(--danger); }
.error:empty { min-height: 0; }
.form-error { grid-column: 1 / -1; }
.live-head { display: flex; align-items: center; justify-content: space-between; }
.live-head h2 { margin: 0; }
.status {
  font-size: 0.78rem;
  font-weight: 650;
  text-transform: uppercase;
  letter-spacing: 0.05em;
  padding: 3px 10px;
  border-radius: 999px;
  background: var(--line);
  color: var(--muted);
}
.status[data-state="running"] { background: #e4edff; color: #1f55c9; }
.status[data-state="done"] { background: #e1f4ea; color: var(--ok); }
.status[data-state="cancelled"] { background: #fdf1dd; color: var(--warn); }
.status[data-state="error"] { background: #fde6e8; color: var(--danger); }
progress {
  display: block;
  width: 100%;
  height: 12px;
  margin: 12px 0 10px;
  appearance: none;
  border: 0;
  border-radius: 6px;
  background: var(--line);
  overflow: hidden;
}
progress::-webkit-progress-bar { background: var(--line); border-radius: 6px; }
progress::-webkit-progress-value { background: var(--accent); border-radius: 6px; }
progress::-moz-progress-bar { background: var(--accent); border-radius: 6px; }
.target { margin: -4px 0 12px; color: var(--muted); overflow-wrap: anywhere; }
.target code { color: var(--ink); }
.figures {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(130px, 1fr));
  gap: 10px;
  margin: 0;
}
.figures div { padding: 8px 10px; border-radius: 8px; background: var(--bg); }
.figures dt { font-size: 0.75rem; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.figures dd { margin: 2px 0 0; font-size: 1.15rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.tables {
  display: grid;
  grid-template-columns: minmax(0, 2fr) minmax(0, 1fr) minmax(0, 1fr);
  gap: 16px;
  margin-top: 14px;
  align-items: start;
}
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 0.9rem; }
caption { text-align: left; font-weight: 650; font-size: 0.85rem; padding-bottom: 6px; }
th, td { text-align: right; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 0.75rem; color: var(--muted); font-weight: 600; text-transform: uppercase; }
th:first-child, td:first-child { text-align: left; }
#latency th, #latency td { text-align: right; }
.charts { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; margin-top: 10px; }
figure { margin: 0; min-width: 0; }
.chart { min-width: 0; overflow: hidden; border-radius: 8px; background: #fbfcfe; border: 1px solid var(--line); padding-top: 6px; }
.chart .u-legend { font-size: 0.78rem; }
.chart-tools { display: flex; justify-content: flex-end; margin-top: 12px; }
.downloads { display: flex; gap: 8px; flex-wrap: wrap; }
.warnings { margin: 6px 0; padding-left: 18px; color: var(--warn); font-size: 0.85rem; }
.warnings:empty { display: none; }
#history-table td.url { overflow-wrap: anywhere; text-align: left; min-width: 14em; }
#history-table th:nth-child(2), #history-table th:nth-child(3), #history-table td:nth-child(2) { text-align: left; }
#history-table td[data-ok="true"] { color: var(--ok); font-weight: 600; }
#history-table td[data-ok="false"] { color: var(--danger); font-weight: 600; }
#history-table th:first-child, #history-table td:first-child { text-align: center; }
#compare-table td:first-child { text-align: left; }
#thresholds-box, #endpoints-box { margin-top: 14px; }
#endpoints td:first-child { text-align: left; overflow-wrap: anywhere; }
.field-requestsFile { grid-column: 1 / -1; }
.field-requestsFile button { align-self: start; }
label.check { display: flex; gap: 6px; align-items: center; text-transform: none; letter-spacing: 0; font-weight: 400; color: var(--ink); }
label.check input { width: auto; margin: 0; }
figcaption { font-size: 0.8rem; color: var(--muted); margin-top: 4px; text-align: center; }
.foot { max-width: 1240px; margin: 0 auto; padding: 4px 24px 18px; font-size: 0.78rem; color: var(--muted); }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.95em; }
[hidden] { display: none !important; }
@media (max-width: 760px) {
  #run-form { grid-template-columns: 1fr 1fr; }
  .field-url { grid-column: 1 / -1; }
  .actions { padding-top: 0; }
  main { padding: 12px; }
  .tables, .charts { grid-template-columns: minmax(0, 1fr); }
  .live-head { flex-wrap: wrap; gap: 8px; }
}
`;
