import type { JobEvent } from "./api";
import { applyEvent, describeCurve, parseCurvesCsv, pointFromEvent, type CurvePoint, type Curves } from "./curves";
import { job, jobEvent } from "./test/fixtures";

function event(id: number, type: JobEvent["type"], data: Record<string, unknown> = {}, jobId = 7): JobEvent {
  return jobEvent(id, type, job(jobId, 1), data);
}

function point(
  steps: number,
  stepReward: number | null,
  episodeReward: number | null,
  shares = {},
  episodes: number | null = null,
): CurvePoint {
  return { steps, stepReward, episodeReward, episodes, shares };
}

describe("training curves", () => {
  it("adds one point per progress event, in step order and once", () => {
    let curves: Curves = {};
    curves = applyEvent(curves, event(1, "started"));
    curves = applyEvent(curves, event(2, "progress", { steps: 1024, mean_step_reward: -0.01, mean_reward: null, episodes: 0, terms: { upright: 0.8, x: 0.2 } }));
    curves = applyEvent(curves, event(3, "progress", { steps: 2048, mean_step_reward: 0.02, mean_reward: 3.5, terms: { upright: 0.6 } }));
    curves = applyEvent(curves, event(3, "progress", { steps: 2048, mean_step_reward: 0.02, terms: {} })); // a replay
    curves = applyEvent(curves, event(4, "progress", { steps: 3072, mean_reward: 5 }, 8)); // an older server's event
    expect(curves[7]!.map((p) => p.steps)).toEqual([1024, 2048]);
    expect(curves[7]![0]).toEqual(point(1024, -0.01, null, { upright: 0.8, x: 0.2 }, 0));
    expect(curves[7]![1]!.episodeReward).toBe(3.5);
    expect(curves[8]).toEqual([point(3072, null, 5)]);
  });

  it("names each term by the label the server sent with it", () => {
    const p = pointFromEvent(
      event(2, "progress", {
        steps: 512,
        mean_step_reward: 1.5,
        terms: { "joint_sine:hip_abduction": 0.55, "expr:clip(mean(abs(qd_hip_abd": 0.25, action_rate: -0.2 },
        term_labels: { "joint_sine:hip_abduction": "hip abduction swing", "expr:clip(mean(abs(qd_hip_abd": "hip abduction speed" },
      }),
    );
    expect(p!.shares).toEqual({ "hip abduction swing": 0.55, "hip abduction speed": 0.25, action_rate: -0.2 });
  });

  it("starts over when a job is queued again, and ignores malformed progress", () => {
    let curves: Curves = { 7: [point(1, 1, null)] };
    curves = applyEvent(curves, event(5, "queued", { restart: true }));
    expect(curves[7]).toEqual([]);
    expect(pointFromEvent(event(6, "progress", { steps: "many", mean_step_reward: 1 }))).toBeNull();
    expect(pointFromEvent(event(6, "progress", { steps: 10, mean_reward: null, mean_step_reward: null }))).toBeNull();
  });

  it("parses the server's curves.csv, an empty episode cell being no figure rather than zero", () => {
    const csv = "steps,mean_episode_reward,mean_step_reward,steps_per_s,episodes,share:upright,share:hip abduction swing\n" +
      "1024,,-0.006,900,0,0.7,-0.3\n2048,5,0.01,950,12,0.5,-0.1\n";
    expect(parseCurvesCsv(csv)).toEqual([
      point(1024, -0.006, null, { upright: 0.7, "hip abduction swing": -0.3 }, 0),
      point(2048, 0.01, 5, { upright: 0.5, "hip abduction swing": -0.1 }, 12),
    ]);
    // A curves.csv written before the per-step column existed.
    expect(parseCurvesCsv("steps,mean_episode_reward\n1024,-3\n")).toEqual([point(1024, null, -3)]);
    expect(parseCurvesCsv("")).toEqual([]);
    expect(parseCurvesCsv("a,b\n1,2")).toEqual([]);
  });

  it("says the reward per step and per whole episode, and how many episodes the episode figures stand on", () => {
    // The page's first example (Go1, 50k, approach 2), as curves.csv recorded it.
    const text = describeCurve([
      point(256, 3.26, null, { upright: 0.7 }, 0),
      point(5_120, 2.71, 364, { upright: 0.6 }, 1),
      point(50_176, 2.75, 834, { "body roll sway": 0.3, upright: 0.17, "action rate": -0.05 }, 91),
    ]);
    expect(text).toBe(
      "Reward per step 3.26 → 2.75 over 3 updates (50,176 steps). Per whole episode 364 → 834 (91 episodes ended, the first by 5,120 steps). " +
        "Term shares at the end: body roll sway 30%, upright 17%, action rate -5%.",
    );
    expect(text).not.toContain("1632"); // no step × length estimate anywhere
    expect(describeCurve([point(10, 1, null), point(20, 1, 500)])).toContain("Per whole episode 500 → 500 (the first ended by 20 steps).");
    expect(describeCurve([])).toBe("No training updates yet.");
  });

  it("says so when no whole episode has ended, and reads an older curve by its episode figure", () => {
    expect(describeCurve([point(1024, 0.5, null), point(2048, 0.625, null, { upright: 1 })])).toBe(
      "Reward per step 0.50 → 0.63 over 2 updates (2,048 steps). No whole episode has ended yet. Term shares at the end: upright 100%.",
    );
    expect(describeCurve([point(1024, null, -3), point(51_200, null, 42.25)])).toBe(
      "Mean episode reward -3.00 → 42.3 over 2 updates (51,200 steps).",
    );
  });
});
