// A job's training curve: mean episode reward (line, left axis) over stacked term shares (areas, right axis).
import { useEffect, useRef, useState } from "react";
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

/** x, reward, then the cumulative |share| of each term (so consecutive series bound one band). */
export function chartData(points: CurvePoint[]): { terms: string[]; data: uPlot.AlignedData } {
  const terms = [...new Set(points.flatMap((p) => Object.keys(p.shares)))];
  const x = points.map((p) => p.steps);
  const reward = points.map((p) => p.reward);
  const stacked: number[][] = [];
  const running = points.map(() => 0);
  for (const term of terms) {
    points.forEach((p, i) => (running[i]! += Math.abs(p.shares[term] ?? 0)));
    stacked.push([...running]);
  }
  return { terms, data: [x, reward, ...stacked] };
}

function options(terms: string[], width: number, height: number): uPlot.Options {
  return {
    width,
    height,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false }, share: { range: [0, 1] } },
    axes: [
      { label: "steps", size: 34 },
      { label: "reward", scale: "y", size: 48 },
      { side: 1, scale: "share", size: 40, values: (_u, vals) => vals.map((v) => `${Math.round(v * 100)}%`) },
    ],
    series: [
      { label: "steps" },
      { label: "reward", scale: "y", stroke: "#111", width: 2 },
      ...terms.map((t, i) => ({
        label: t,
        scale: "share",
        stroke: TERM_COLOURS[i % TERM_COLOURS.length],
        width: 1,
      })),
    ],
    bands: terms.map((_, i) => ({
      series: i === 0 ? [2, 2] : [i + 2, i + 1],
      fill: `${TERM_COLOURS[i % TERM_COLOURS.length]}44`,
    })),
  };
}

export function TrainingChart({ points, label, height = 160 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const termsKey = useRef("");
  const [UPlot, setUPlot] = useState<UPlotClass | null>(null);
  const { terms, data } = chartData(points);

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
    const key = terms.join("|");
    if (plot.current && termsKey.current === key) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    plot.current = null;
    try {
      plot.current = new UPlot(options(terms, Math.max(240, el.clientWidth || 320), height), data, el);
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
  return (
    <figure className="training-chart" data-points={points.length} aria-label={`${label}: training curve`}>
      {points.length > 0 && <div ref={box} className="training-chart-plot" aria-hidden="true" />}
      <figcaption className="training-chart-text">{text}</figcaption>
    </figure>
  );
}
