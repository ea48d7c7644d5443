// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the GUI's browser script, embedded as a string (see `_page_html.ts`). Plain
 * ES2020, no build step; it must contain no backtick and no dollar-brace sequence except
 * where a function of `_timeline.ts` is embedded as its source text.
 *
 * @module
 */

import { timelineBars } from "./_timeline.ts";

/** The page's JavaScript, served as `/app.js`. */
export const PAGE_JS = `"use strict";
(function () {
  var timelineBars = ${timelineBars.toString()};
  var FIELDS = ["url", "requests", "concurrency"];
  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  var byId = function (id) { return document.getElementById(id); };
  var form = byId("run-form");
  var button = byId("submit");
  var bar = byId("progress");
  var statusEl = byId("status");
  var runId = null;
  var source = null;
  var shownReport = null;
  var busy = false;
  var redrawing = 0;

  function num(value, digits) {
    if (typeof value !== "number" || !isFinite(value)) return "–";
    return value.toLocaleString("en-US", {
      minimumFractionDigits: digits || 0,
      maximumFractionDigits: digits || 0,
    });
  }
  function ms(value) {
    if (typeof value !== "number" || !isFinite(value)) return "–";
    return num(value, value < 10 ? 3 : value < 100 ? 2 : 1);
  }
  function bytes(value) {
    if (typeof value !== "number" || !isFinite(value)) return "–";
    var units = ["B/s", "KB/s", "MB/s", "GB/s"];
    var i = 0;
    while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; }
    return num(value, i === 0 ? 0 : 1) + " " + units[i];
  }
  function sum(object) {
    var total = 0;
    Object.keys(object || {}).forEach(function (key) { total += object[key]; });
    return total;
  }

  function setStatus(state, text) {
    statusEl.dataset.state = state;
    statusEl.textContent = text || state;
  }
  // Busy while a request is out. The button is never disabled: that would drop keyboard
  // focus, so Enter or Space could not press Cancel right after Submit.
  function setBusy(value) {
    busy = value;
    if (value) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
  }
  function setRunning(running) {
    setBusy(false);
    button.textContent = running ? "Cancel" : "Submit";
    button.classList.toggle("cancel", running);
    FIELDS.forEach(function (name) { byId(name).readOnly = running; });
  }
  function clearErrors() {
    FIELDS.forEach(function (name) {
      byId(name + "-error").textContent = "";
      byId(name).removeAttribute("aria-invalid");
    });
    byId("form-error").textContent = "";
  }
  function showError(field, message) {
    if (FIELDS.indexOf(field) >= 0) {
      byId(field + "-error").textContent = message;
      byId(field).setAttribute("aria-invalid", "true");
      byId(field).focus();
    } else {
      byId("form-error").textContent = message;
    }
  }

  function showProgress(p) {
    var total = typeof p.total === "number" && p.total > 0 ? p.total : Math.max(p.completed, 1);
    bar.max = total;
    bar.value = Math.min(p.completed, total);
    byId("completed").textContent = num(p.completed) + " / " + num(total);
    byId("rps").textContent = num(p.rps);
    byId("errors").textContent = num(p.errors);
    byId("elapsed").textContent = num(p.elapsedMs / 1000, 1) + " s";
  }

  function resetView() {
    shownReport = null;
    byId("report").hidden = true;
    showProgress({ completed: 0, total: 0, errors: 0, rps: 0, elapsedMs: 0 });
  }

  function finish(state, event) {
    var outcome = JSON.parse(event.data);
    if (source) source.close();
    source = null;
    setRunning(false);
    setStatus(state);
    if (outcome.report) showReport(outcome.report);
    if (outcome.error) showError(null, outcome.error);
  }

  function watch(id) {
    if (source) source.close();
    runId = id;
    resetView();
    setRunning(true);
    setStatus("running");
    source = new EventSource("/api/runs/" + encodeURIComponent(id) + "/events");
    source.addEventListener("progress", function (event) {
      showProgress(JSON.parse(event.data));
    });
    source.addEventListener("done", function (event) { finish("done", event); });
    source.addEventListener("cancelled", function (event) { finish("cancelled", event); });
    source.addEventListener("error", function (event) {
      if (typeof event.data === "string") {
        finish("error", event);
      } else if (source && source.readyState === EventSource.CLOSED) {
        source = null;
        setRunning(false);
        setStatus("error", "disconnected");
        showError(null, "Lost the run's event stream: the run may have ended or the server stopped");
      } else {
        setStatus("running", "reconnecting");
      }
    });
    source.addEventListener("open", function () { setStatus("running"); });
  }

  function value(name) {
    var raw = byId(name).value.trim();
    if (name === "url") return raw;
    return raw === "" ? null : Number(raw);
  }

  function start() {
    clearErrors();
    setBusy(true);
    var body = { url: value("url"), requests: value("requests"), concurrency: value("concurrency") };
    fetch("/api/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        setBusy(false);
        if (response.status !== 201) {
          showError(data.field, data.error || "The server refused the run: " + response.status);
          return;
        }
        history.replaceState(null, "", "#run=" + data.id);
        watch(data.id);
      });
    }).catch(function (error) {
      setBusy(false);
      showError(null, "Cannot reach the server: " + error.message);
    });
  }

  // The run goes on and is still watched: offer Cancel again, unless it ended meanwhile.
  function cancelFailed(message) {
    if (source) setRunning(true);
    else setBusy(false);
    showError(null, message);
  }

  function cancel() {
    if (!runId) return;
    setBusy(true);
    button.textContent = "Cancelling";
    fetch("/api/runs/" + encodeURIComponent(runId), { method: "DELETE" }).then(function (response) {
      if (response.ok) return;
      return response.json().then(function (data) {
        cancelFailed(data.error || "Cannot cancel the run: " + response.status);
      });
    }).catch(function (error) {
      cancelFailed("Cannot reach the server: " + error.message);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    if (source) cancel(); else start();
  });

  function fill(table, rows) {
    var body = table.tBodies[0];
    body.textContent = "";
    rows.forEach(function (cells) {
      var tr = document.createElement("tr");
      cells.forEach(function (cell) {
        var td = document.createElement("td");
        td.textContent = cell;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function showReport(r) {
    shownReport = r;
    var section = byId("report");
    section.hidden = false;
    var failed = sum(r.failures);
    byId("report-url").textContent = (r.method || "GET") + " " + r.url;
    var figures = [
      ["Requests", num(r.requests)],
      ["Successes", num(r.successes)],
      ["Failures", num(failed)],
      ["Req/s", num(r.rps)],
      ["Duration", num(r.durationMs / 1000, 2) + " s"],
      ["Throughput", bytes(r.bytesPerSecond)],
    ];
    var summary = byId("summary");
    summary.textContent = "";
    figures.forEach(function (pair) {
      var div = document.createElement("div");
      var dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = pair[0];
      dd.textContent = pair[1];
      div.appendChild(dt);
      div.appendChild(dd);
      summary.appendChild(div);
    });
    var l = r.latencyMs || {};
    fill(byId("latency"), [[ms(l.min), ms(l.mean), ms(l.p50), ms(l.p90), ms(l.p99), ms(l.p999), ms(l.max)]]);
    var codes = Object.keys(r.statusCodes || {}).sort().map(function (code) {
      return [code, num(r.statusCodes[code])];
    });
    fill(byId("status-codes"), codes.length ? codes : [["none", "0"]]);
    var causes = Object.keys(r.failures || {}).filter(function (cause) {
      return r.failures[cause] > 0;
    }).sort().map(function (cause) { return [cause, num(r.failures[cause])]; });
    fill(byId("failures"), causes.length ? causes : [["none", "0"]]);
    drawCharts(r);
  }
  function drawCharts(r) {
    drawHistogram(byId("histogram-chart"), r.histogram || []);
    drawTimeline(byId("timeline-chart"), r);
  }
  // The canvases are sized to their box when drawn: draw again when the window changes.
  window.addEventListener("resize", function () {
    if (!shownReport || redrawing) return;
    redrawing = requestAnimationFrame(function () {
      redrawing = 0;
      if (shownReport) drawCharts(shownReport);
    });
  });

  function setup(canvas) {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth || canvas.width;
    var height = canvas.clientHeight || canvas.height;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "11px system-ui, sans-serif";
    return { ctx: ctx, width: width, height: height, left: 52, right: 14, top: 14, bottom: 28 };
  }
  // A round axis maximum: four grid steps of 1, 2, 2.5 or 5 times a power of ten.
  function nice(max) {
    if (!(max > 0)) return 4;
    var raw = max / 4;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= raw) return 4 * steps[i] * power;
    }
    return 40 * power;
  }
  function short(value) {
    if (value >= 1e6) return num(value / 1e6, value % 1e6 ? 1 : 0) + "M";
    if (value >= 1e4) return num(value / 1e3, value % 1e3 ? 1 : 0) + "k";
    if (value >= 100 || Number.isInteger(value)) return num(value);
    return num(value, value >= 10 ? 1 : 2);
  }
  function axes(c, yMax) {
    var ctx = c.ctx;
    var plotH = c.height - c.top - c.bottom;
    ctx.strokeStyle = "#e2e6ee";
    ctx.fillStyle = "#5d6879";
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (var i = 0; i <= 4; i++) {
      var y = c.top + plotH - (plotH * i) / 4;
      ctx.beginPath();
      ctx.moveTo(c.left, Math.round(y) + 0.5);
      ctx.lineTo(c.width - c.right, Math.round(y) + 0.5);
      ctx.stroke();
      ctx.fillText(short((yMax * i) / 4), c.left - 6, y);
    }
  }
  function empty(c, text) {
    c.ctx.fillStyle = "#5d6879";
    c.ctx.textAlign = "center";
    c.ctx.textBaseline = "middle";
    c.ctx.fillText(text, c.width / 2, c.height / 2);
  }

  function drawHistogram(canvas, buckets) {
    var c = setup(canvas);
    var first = 0;
    var last = buckets.length - 1;
    while (first <= last && buckets[first].count === 0) first++;
    while (last >= first && buckets[last].count === 0) last--;
    var data = buckets.slice(first, last + 1);
    if (data.length === 0) return empty(c, "no latencies recorded");
    var group = Math.ceil(data.length / 60);
    var bins = [];
    for (var i = 0; i < data.length; i += group) {
      var part = data.slice(i, i + group);
      bins.push({
        fromMs: part[0].fromMs,
        toMs: part[part.length - 1].toMs,
        count: part.reduce(function (a, b) { return a + b.count; }, 0),
      });
    }
    var yMax = nice(Math.max.apply(null, bins.map(function (b) { return b.count; })));
    axes(c, yMax);
    var ctx = c.ctx;
    var plotW = c.width - c.left - c.right;
    var plotH = c.height - c.top - c.bottom;
    var slot = plotW / bins.length;
    var gap = slot > 6 ? 2 : slot > 3 ? 1 : 0;
    ctx.fillStyle = "#2f6fed";
    bins.forEach(function (bin, index) {
      var h = (plotH * bin.count) / yMax;
      ctx.fillRect(c.left + index * slot + gap / 2, c.top + plotH - h, Math.max(slot - gap, 1), h);
    });
    ctx.fillStyle = "#5d6879";
    ctx.textBaseline = "top";
    var ticks = Math.min(bins.length, 6);
    for (var t = 0; t < ticks; t++) {
      var at = ticks === 1 ? 0 : Math.round((t * (bins.length - 1)) / (ticks - 1));
      ctx.textAlign = t === 0 ? "left" : t === ticks - 1 ? "right" : "center";
      var x = t === 0 ? c.left : t === ticks - 1 ? c.width - c.right : c.left + (at + 0.5) * slot;
      ctx.fillText(short(t === ticks - 1 ? bins[at].toMs : bins[at].fromMs), x, c.top + plotH + 8);
    }
  }

  // One bar per second of the run: requests finished per second, failures in red. The
  // second the run ended in is cut where it ended and scaled to a rate (see _timeline.ts).
  function drawTimeline(canvas, r) {
    var c = setup(canvas);
    var bins = timelineBars(r.timeline || [], r.durationMs || 0);
    var last = bins[bins.length - 1];
    byId("timeline-note").textContent = last && last.partial
      ? "; the last bar is the run's final " + num(last.to - last.from, 2) + " s"
      : "";
    if (bins.length === 0) return empty(c, "no samples");
    var xMax = Math.max.apply(null, bins.map(function (b) { return b.to; }));
    var yMax = nice(Math.max.apply(null, bins.map(function (b) { return b.rate; })));
    axes(c, yMax);
    var ctx = c.ctx;
    var plotW = c.width - c.left - c.right;
    var plotH = c.height - c.top - c.bottom;
    var px = function (x) { return c.left + (plotW * x) / xMax; };
    var gap = plotW / xMax > 8 ? 2 : 0;
    bins.forEach(function (b) {
      var x = px(b.from) + gap / 2;
      var w = Math.max(px(b.to) - px(b.from) - gap, 1);
      var h = (plotH * b.rate) / yMax;
      var hf = (plotH * b.failedRate) / yMax;
      ctx.fillStyle = "#2f6fed";
      ctx.fillRect(x, c.top + plotH - h, w, h - hf);
      ctx.fillStyle = "#c62d3a";
      ctx.fillRect(x, c.top + plotH - hf, w, hf);
    });
    ctx.fillStyle = "#5d6879";
    ctx.textBaseline = "top";
    var step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].filter(function (n) {
      return xMax / n <= 6;
    })[0] || Math.ceil(xMax / 6);
    for (var t = 0; t <= xMax; t += step) {
      // A run rarely ends on a whole second: keep a label near the right edge inside.
      var nearEnd = px(xMax) - px(t) < 12;
      ctx.textAlign = t === 0 ? "left" : nearEnd ? "right" : "center";
      ctx.fillText(num(t), nearEnd && t > 0 ? px(xMax) : px(t), c.top + plotH + 8);
    }
  }

  var match = /^#run=(.+)$/.exec(location.hash);
  if (match && UUID.test(match[1])) watch(match[1]);
})();
`;
