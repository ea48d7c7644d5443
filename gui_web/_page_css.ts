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
main {
  max-width: 1040px;
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
input {
  font: inherit;
  padding: 8px 10px;
  border: 1px solid #c9d0dc;
  border-radius: 7px;
  background: #fbfcfe;
  color: var(--ink);
  width: 100%;
}
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; border-color: var(--accent); }
input[aria-invalid="true"] { border-color: var(--danger); background: #fff6f7; }
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
.charts { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; margin-top: 14px; }
figure { margin: 0; min-width: 0; }
canvas { display: block; width: 100%; height: 220px; border-radius: 8px; background: #fbfcfe; border: 1px solid var(--line); }
figcaption { font-size: 0.8rem; color: var(--muted); margin-top: 4px; text-align: center; }
.foot { max-width: 1040px; margin: 0 auto; padding: 4px 24px 18px; font-size: 0.78rem; color: var(--muted); }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.95em; }
[hidden] { display: none !important; }
@media (max-width: 760px) {
  #run-form { grid-template-columns: 1fr 1fr; }
  .field-url { grid-column: 1 / -1; }
  .actions { padding-top: 0; }
  main { padding: 12px; }
  .tables, .charts { grid-template-columns: minmax(0, 1fr); }
}
`;
