// A job's training curve, compact: the reward per step (line, left axis) over the stacked term shares
// (areas, right axis), a one-line text that says both rewards honestly, and a folded legend of term labels.
import { useEffect, useId, useRef, useState } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { describeCurve, type CurvePoint } from "../curves";

type UPlotClass = typeof uPlot;
let uPlotModule: Promise<UPlotClass> | null = null;

/** uPlot's code loads with the first chart, not with the page: first paint stays small. */
function loadUPlot(): Promise<UPlotClass> {
  uPlotModule ??= import("uplot").then((m) => m.default);
  return uPlotModule;
}

type Props = { points: CurvePoint[]; label: string; height?: number };

const TERM_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];

/** Which reward the line shows: per step where the points have it (every update does), else (a curve
 * written before the server sent it) the episode reward. */
export function lineReward(points: CurvePoint[]): "step" | "episode" {
  return points.some((p) => p.stepReward !== null) ? "step" : "episode";
}

/**
 * x, the cumulative |share| of each term (so consecutive series bound one band), then the reward: the
 * line is drawn last, over the shares' areas.
 */
export function chartData(points: CurvePoint[]): { terms: string[]; data: uPlot.AlignedData } {
  const terms = [...new Set(points.flatMap((p) => Object.keys(p.shares)))];
  const x = points.map((p) => p.steps);
  const which = lineReward(points);
  const reward = points.map((p) => (which === "step" ? p.stepReward : p.episodeReward));
  const stacked: number[][] = [];
  const running = points.map(() => 0);
  for (const term of terms) {
    points.forEach((p, i) => (running[i]! += Math.abs(p.shares[term] ?? 0)));
    stacked.push([...running]);
  }
  return { terms, data: [x, ...stacked, reward] };
}

function colour(i: number): string {
  return TERM_COLOURS[i % TERM_COLOURS.length]!;
}

const AXIS_FONT = "10px system-ui, sans-serif";

function options(terms: string[], rewardLabel: string, width: number, height: number): uPlot.Options {
  return {
    width,
    height,
    legend: { show: false }, // the page's own folded legend names the terms (uPlot's would be taller than the chart)
    cursor: { show: false },
    scales: { x: { time: false }, share: { range: [0, 1] } },
    axes: [
      { size: 22, font: AXIS_FONT, ticks: { size: 3 }, values: (_u, vals) => vals.map(compactSteps) },
      { label: rewardLabel, labelSize: 14, labelFont: AXIS_FONT, scale: "y", size: 40, font: AXIS_FONT, ticks: { size: 3 } },
      {
        side: 1,
        scale: "share",
        size: 38,
        font: AXIS_FONT,
        ticks: { size: 3 },
        splits: () => [0, 0.5, 1],
        grid: { show: false },
        values: (_u, vals) => vals.map((v) => `${Math.round(v * 100)}%`),
      },
    ],
    series: [
      { label: "steps" },
      // The first term fills down to 0%; each next one fills down to the one below it (a band).
      ...terms.map((t, i) => ({
        label: t,
        scale: "share",
        stroke: colour(i),
        width: 1,
        points: { show: false },
        ...(i === 0 ? { fill: `${colour(i)}44` } : {}),
      })),
      { label: rewardLabel, scale: "y", stroke: "#111", width: 2, spanGaps: false },
    ],
    bands: terms.slice(1).map((_, j) => ({ series: [j + 2, j + 1] as uPlot.Band.Bounds, fill: `${colour(j + 1)}44` })),
  };
}

/** 51200 -> "51k", 2048 -> "2k", 512 -> "512": the x axis stays narrow. */
export function compactSteps(v: number): string {
  return Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${v}`;
}

/** The terms' colours and labels with their share at the last update: the chart's legend. */
function Legend({ terms, last, id, maxHeight }: { terms: string[]; last: CurvePoint; id: string; maxHeight: number }) {
  return (
    <ul id={id} className="training-chart-legend" style={{ maxHeight }}>
      {terms.map((t, i) => {
        const share = last.shares[t];
        return (
          <li key={t}>
            <span className="training-chart-swatch" style={{ background: colour(i) }} aria-hidden="true" />
            {t}
            {share !== undefined && <span className="training-chart-share"> {Math.round(share * 100)}%</span>}
          </li>
        );
      })}
    </ul>
  );
}

export function TrainingChart({ points, label, height = 100 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const termsKey = useRef("");
  const [UPlot, setUPlot] = useState<UPlotClass | null>(null);
  const [legendOpen, setLegendOpen] = useState(false);
  const legendId = useId();
  const { terms, data } = chartData(points);
  const rewardLabel = lineReward(points) === "step" ? "reward/step" : "episode reward";

  useEffect(() => {
    if (points.length === 0 || UPlot) return;
    let live = true;
    loadUPlot()
      .then((cls) => live && setUPlot(() => cls))
      .catch(() => undefined); // no canvas here (a test DOM): the text alternative still says it all
    return () => {
      live = false;
    };
  }, [points.length, UPlot]);

  useEffect(() => {
    const el = box.current;
    if (!el || !UPlot || points.length === 0) return;
    const key = `${rewardLabel}|${terms.join("|")}`;
    if (plot.current && termsKey.current === key) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    plot.current = null;
    try {
      plot.current = new UPlot(options(terms, rewardLabel, Math.max(240, el.clientWidth || 320), height), data, el);
      termsKey.current = key;
    } catch {
      plot.current = null;
    }
  });

  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (plot.current && el.clientWidth > 0) plot.current.setSize({ width: Math.max(240, el.clientWidth), height });
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [height, UPlot]);

  useEffect(() => () => plot.current?.destroy(), []);

  const text = describeCurve(points);
  const last = points[points.length - 1];
  return (
    <figure className="training-chart" data-points={points.length} aria-label={`${label}: training curve`}>
      {points.length > 0 && <div ref={box} className="training-chart-plot" style={{ height }} aria-hidden="true" />}
      <figcaption className="training-chart-text">
        {text}
        {terms.length > 0 && (
          <button
            type="button"
            className="training-chart-toggle"
            aria-expanded={legendOpen}
            aria-controls={legendId}
            onClick={() => setLegendOpen((open) => !open)}
          >
            {legendOpen ? "Hide terms" : `Terms (${terms.length})`}
          </button>
        )}
      </figcaption>
      {legendOpen && last && <Legend terms={terms} last={last} id={legendId} maxHeight={height} />}
    </figure>
  );
}
