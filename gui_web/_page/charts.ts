// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the page's charts, uPlot plots that follow their box's width. uPlot itself is
 * served as `/uplot.js` from `servers/_uplot_asset.ts` (the HTML report's copy) and
 * defines the global `uPlot`; only its types are imported here.
 *
 * @module
 */

import type UPlot from "uplot";
import {
  document,
  fillTable,
  type HTMLElement,
  type HTMLTableElement,
  ResizeObserver,
} from "./dom.ts";

declare const uPlot: typeof UPlot;

/** The page's colours (the CSS variables of the same names). */
export const COLORS = {
  accent: "#2f6fed",
  danger: "#c62d3a",
  muted: "#5d6879",
  p50: "#16693d",
  p90: "#b86e00",
  p99: "#7a3ec9",
  after: "#d9480f",
};

/** How a series is drawn. */
export interface SeriesSpec {
  label: string;
  color: string;
  /** Filled below the line, with this CSS colour. */
  fill?: string;
  dash?: number[];
  /** `"step"`: a value holds until the next x (bars of any width); `"bars"`: bars. */
  shape?: "line" | "step" | "bars";
  /** Formats a value in the legend and the table. */
  format?: (value: number) => string;
}

/** A chart's axes and series. */
export interface ChartSpec {
  /** Id of the element the plot goes in. */
  holder: string;
  /** Id of the chart's data table. */
  table: string;
  /** Id given to uPlot's canvas, for tests. */
  canvasId?: string;
  series: SeriesSpec[];
  /** Where the x axis' ticks go (else uPlot picks). */
  xSplits?: number[];
  /** Labels of the x axis' ticks. */
  xValues?: (value: number) => string;
  /** Formats x in the table. */
  xFormat?: (value: number) => string;
  height?: number;
  /** The data ends with a point that only closes the last step: not a row of the table. */
  stepEnd?: boolean;
}

/** Chart data: x values, then one array per series (`null` for a gap). */
export type ChartData = [number[], ...(number | null)[][]];

function shortNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${+(value / 1e3).toFixed(1)}k`;
  return `${+value.toFixed(abs >= 100 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : 2)}`;
}

/** One uPlot chart, its data table, and its size kept to its box. */
export class Chart {
  #spec: ChartSpec;
  #holder: HTMLElement;
  #plot: UPlot | undefined;
  #data: ChartData;
  #tableStale = false;

  constructor(spec: ChartSpec) {
    this.#spec = spec;
    this.#holder = document.getElementById(spec.holder)!;
    this.#data = [[], ...spec.series.map(() => [])];
    new ResizeObserver(() => this.#resize()).observe(this.#holder);
  }

  /** The data drawn. */
  get data(): ChartData {
    return this.#data;
  }

  /** How long the last redraw took, in milliseconds. */
  lastDrawMs = 0;

  /**
   * Draws new data (the plot is made on first use, once its box has a width).
   *
   * @param data The x values and the series.
   */
  set(data: ChartData): void {
    this.#data = data;
    const started = performance.now();
    if (this.#plot === undefined) this.#create();
    else this.#plot.setData(data as UPlot.AlignedData);
    this.lastDrawMs = performance.now() - started;
    // Rebuilding 60 table rows costs more than the plot's redraw: only while tables show.
    if (Chart.tablesShown) this.#fillTable();
    else this.#tableStale = true;
  }

  /** Whether the data tables are shown instead of the charts. */
  static tablesShown = false;

  /** Fills the data table if the data changed while it was hidden. */
  refreshTable(): void {
    if (this.#tableStale) this.#fillTable();
  }

  #width(): number {
    return Math.max(Math.floor(this.#holder.clientWidth), 120);
  }

  #create(): void {
    if (this.#holder.clientWidth === 0) return;
    const spec = this.#spec;
    const series: UPlot.Series[] = [{
      label: spec.xSplits ? "percentile" : "s",
      value: (_u, v) => (v === null || v === undefined ? "–" : (spec.xFormat ?? String)(v)),
    }];
    for (const s of spec.series) {
      series.push({
        label: s.label,
        stroke: s.color,
        fill: s.fill,
        dash: s.dash,
        width: 1.5,
        spanGaps: false,
        // Lines show their points: a run of one second has one.
        points: { show: s.shape === "line" },
        paths: s.shape === "step"
          ? uPlot.paths.stepped!({ align: 1 })
          : s.shape === "bars"
          ? uPlot.paths.bars!({ size: [0.85, 60] })
          : undefined,
        value: (_u, v) => (v === null || v === undefined ? "–" : (s.format ?? shortNumber)(v)),
      });
    }
    const options: UPlot.Options = {
      width: this.#width(),
      height: spec.height ?? 200,
      series,
      scales: {
        // One x value (a run of under a second) gets a unit-wide axis, not uPlot's 0–100.
        x: {
          time: false,
          range: (_u, min, max) => (min === max ? [min - 0.5, max + 0.5] : [min, max]),
        },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
      },
      axes: [
        {
          stroke: COLORS.muted,
          grid: { stroke: "#e2e6ee" },
          splits: spec.xSplits ? () => spec.xSplits! : undefined,
          values: (_u, splits) => splits.map((v) => (spec.xValues ?? shortNumber)(v)),
        },
        {
          stroke: COLORS.muted,
          grid: { stroke: "#e2e6ee" },
          size: 52,
          values: (_u, splits) => splits.map(shortNumber),
        },
      ],
      cursor: { drag: { x: false, y: false } },
      legend: { show: true },
    };
    // uPlot's types name the DOM's HTMLElement, which Deno's types lack (see dom.ts).
    this.#plot = new uPlot(options, this.#data as UPlot.AlignedData, this.#holder as never);
    if (spec.canvasId) this.#plot.ctx.canvas.id = spec.canvasId;
  }

  #resize(): void {
    if (this.#plot === undefined) {
      if (this.#data[0].length > 0) this.#create();
      return;
    }
    const width = this.#width();
    if (width !== this.#plot.width) {
      this.#plot.setSize({ width, height: this.#spec.height ?? 200 });
    }
  }

  #fillTable(): void {
    this.#tableStale = false;
    const [xs, ...ys] = this.#data;
    const spec = this.#spec;
    const shown = spec.stepEnd ? xs.slice(0, -1) : xs;
    const rows = shown.map((x, i) => [
      (spec.xFormat ?? String)(x),
      ...ys.map((values, k) => {
        const v = values[i];
        return v === null || v === undefined ? "–" : (spec.series[k].format ?? shortNumber)(v);
      }),
    ]);
    fillTable(document.getElementById(spec.table) as HTMLTableElement, rows);
  }
}
