// Training curves per job: built from the live progress events, or read from a finished job's curves.csv.
import type { JobEvent } from "./api";

/**
 * One training update. `stepReward`: mean reward per control step of the update's rollout (there from
 * the first update). `episodeReward`: mean return of recent whole episodes, null until one has ended
 * (the server never estimates it). Shares are keyed by the term's readable label where the server gave one.
 */
export type CurvePoint = {
  steps: number;
  stepReward: number | null;
  episodeReward: number | null;
  /** Whole episodes ended so far (null where the server did not say). */
  episodes?: number | null;
  shares: Record<string, number>;
};
export type Curves = Record<number, CurvePoint[]>;

function finite(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The point a progress event carries, or null for any other event (or a malformed one). */
export function pointFromEvent(event: JobEvent): CurvePoint | null {
  if (event.type !== "progress") return null;
  const steps = finite(event.data["steps"]);
  const stepReward = finite(event.data["mean_step_reward"]);
  const episodeReward = finite(event.data["mean_reward"]);
  if (steps === null || (stepReward === null && episodeReward === null)) return null;
  const terms = event.data["terms"];
  const rawLabels = event.data["term_labels"];
  const labels = rawLabels && typeof rawLabels === "object" ? (rawLabels as Record<string, unknown>) : {};
  const shares: Record<string, number> = {};
  if (terms && typeof terms === "object") {
    for (const [key, value] of Object.entries(terms as Record<string, unknown>)) {
      const v = finite(value);
      const label = labels[key];
      if (v !== null) shares[typeof label === "string" && label ? label : key] = v;
    }
  }
  return { steps, stepReward, episodeReward, episodes: finite(event.data["episodes"]), shares };
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

/** Parses the server's curves.csv (steps, mean_episode_reward, mean_step_reward, …, share:<term> columns). */
export function parseCurvesCsv(text: string): CurvePoint[] {
  const [head, ...rows] = text.trim().split(/\r?\n/);
  if (!head) return [];
  const columns = head.split(",");
  const stepsAt = columns.indexOf("steps");
  const episodeAt = columns.indexOf("mean_episode_reward");
  const stepAt = columns.indexOf("mean_step_reward");
  const episodesAt = columns.indexOf("episodes");
  if (stepsAt < 0 || (episodeAt < 0 && stepAt < 0)) return [];
  // An empty cell is "no figure" (no whole episode yet), not zero.
  const cell = (cells: string[], at: number) => (at < 0 || !cells[at]?.trim() ? null : finite(Number(cells[at])));
  const shareCols = columns.map((c, i) => [c, i] as const).filter(([c]) => c.startsWith("share:"));
  return rows
    .map((row) => row.split(","))
    .map((cells) => ({
      steps: Number(cells[stepsAt]),
      stepReward: cell(cells, stepAt),
      episodeReward: cell(cells, episodeAt),
      episodes: cell(cells, episodesAt),
      shares: Object.fromEntries(shareCols.map(([c, i]) => [c.slice("share:".length), Number(cells[i])])),
    }))
    .filter((p) => Number.isFinite(p.steps) && (p.stepReward !== null || p.episodeReward !== null));
}

function fmt(v: number): string {
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toFixed(digits).replace(/^-0(\.0+)?$/, "0$1");
}

function updates(points: CurvePoint[]): string {
  const last = points[points.length - 1]!;
  return `over ${points.length} update${points.length === 1 ? "" : "s"} (${last.steps.toLocaleString("en-US")} steps)`;
}

/** How many whole episodes the figures stand on: the first to end are often falls, so the first is thin. */
function episodesNote(whole: CurvePoint[]): string {
  const first = whole[0]!;
  const ended = whole[whole.length - 1]!.episodes;
  const by = `by ${first.steps.toLocaleString("en-US")} steps`;
  if (ended == null) return `(the first ended ${by})`;
  return `(${ended.toLocaleString("en-US")} episode${ended === 1 ? "" : "s"} ended, the first ${by})`;
}

/**
 * The chart's text alternative: how the reward per step went, how the reward of whole episodes went
 * (from the first update that had one: never an estimate), and what carried the reward at the end.
 */
export function describeCurve(points: CurvePoint[]): string {
  if (!points.length) return "No training updates yet.";
  const last = points[points.length - 1]!;
  const perStep = points.filter((p) => p.stepReward !== null);
  const whole = points.filter((p) => p.episodeReward !== null);
  const sentences: string[] = [];
  if (perStep.length) {
    sentences.push(`Reward per step ${fmt(perStep[0]!.stepReward!)} → ${fmt(perStep[perStep.length - 1]!.stepReward!)} ${updates(points)}.`);
    sentences.push(
      whole.length
        ? `Per whole episode ${fmt(whole[0]!.episodeReward!)} → ${fmt(whole[whole.length - 1]!.episodeReward!)} ${episodesNote(whole)}.`
        : "No whole episode has ended yet.",
    );
  } else {
    // A curve from before the server sent the per-step reward: its episode figure is all there is.
    sentences.push(`Mean episode reward ${fmt(whole[0]!.episodeReward!)} → ${fmt(whole[whole.length - 1]!.episodeReward!)} ${updates(points)}.`);
  }
  const top = Object.entries(last.shares)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, 3)
    .map(([name, share]) => `${name} ${Math.round(share * 100)}%`);
  if (top.length) sentences.push(`Term shares at the end: ${top.join(", ")}.`);
  return sentences.join(" ");
}
