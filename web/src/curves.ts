// Training curves per job: built from the live progress events, or read from a finished job's curves.csv.
import type { JobEvent } from "./api";

export type CurvePoint = { steps: number; reward: number; shares: Record<string, number> };
export type Curves = Record<number, CurvePoint[]>;

function finite(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The point a progress event carries, or null for any other event (or a malformed one). */
export function pointFromEvent(event: JobEvent): CurvePoint | null {
  if (event.type !== "progress") return null;
  const steps = finite(event.data["steps"]);
  const reward = finite(event.data["mean_reward"]);
  if (steps === null || reward === null) return null;
  const terms = event.data["terms"];
  const shares: Record<string, number> = {};
  if (terms && typeof terms === "object") {
    for (const [name, value] of Object.entries(terms as Record<string, unknown>)) {
      const v = finite(value);
      if (v !== null) shares[name] = v;
    }
  }
  return { steps, reward, shares };
}

/** Curves after one event: progress adds a point (in step order, once), a new queueing starts over. */
export function applyEvent(curves: Curves, event: JobEvent): Curves {
  if (event.type === "queued") {
    if (!curves[event.job_id]?.length) return curves;
    return { ...curves, [event.job_id]: [] };
  }
  const point = pointFromEvent(event);
  if (!point) return curves;
  const points = curves[event.job_id] ?? [];
  if (points.length && points[points.length - 1]!.steps >= point.steps) return curves;
  return { ...curves, [event.job_id]: [...points, point] };
}

/** Parses the server's curves.csv (steps, mean_episode_reward, …, share:<term> columns). */
export function parseCurvesCsv(text: string): CurvePoint[] {
  const [head, ...rows] = text.trim().split(/\r?\n/);
  if (!head) return [];
  const columns = head.split(",");
  const stepsAt = columns.indexOf("steps");
  const rewardAt = columns.indexOf("mean_episode_reward");
  if (stepsAt < 0 || rewardAt < 0) return [];
  const shareCols = columns.map((c, i) => [c, i] as const).filter(([c]) => c.startsWith("share:"));
  return rows
    .map((row) => row.split(","))
    .map((cells) => ({
      steps: Number(cells[stepsAt]),
      reward: Number(cells[rewardAt]),
      shares: Object.fromEntries(shareCols.map(([c, i]) => [c.slice("share:".length), Number(cells[i])])),
    }))
    .filter((p) => Number.isFinite(p.steps) && Number.isFinite(p.reward));
}

/** The chart's text alternative: how the reward went and what carried it at the end. */
export function describeCurve(points: CurvePoint[]): string {
  if (!points.length) return "No training updates yet.";
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)).replace(/^-0(\.0+)?$/, "0$1");
  const top = Object.entries(last.shares)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, 3)
    .map(([name, share]) => `${name} ${Math.round(share * 100)}%`);
  const trend = `Mean episode reward ${fmt(first.reward)} → ${fmt(last.reward)} over ${points.length} update${points.length === 1 ? "" : "s"} (${last.steps.toLocaleString("en-US")} steps).`;
  return top.length ? `${trend} Term shares at the end: ${top.join(", ")}.` : trend;
}
