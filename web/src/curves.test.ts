import type { JobEvent } from "./api";
import { applyEvent, describeCurve, parseCurvesCsv, pointFromEvent, type Curves } from "./curves";
import { job, jobEvent } from "./test/fixtures";

function event(id: number, type: JobEvent["type"], data: Record<string, unknown> = {}, jobId = 7): JobEvent {
  return jobEvent(id, type, job(jobId, 1), data);
}

describe("training curves", () => {
  it("adds one point per progress event, in step order and once", () => {
    let curves: Curves = {};
    curves = applyEvent(curves, event(1, "started"));
    curves = applyEvent(curves, event(2, "progress", { steps: 1024, mean_reward: -2, terms: { upright: 0.8, x: 0.2 } }));
    curves = applyEvent(curves, event(3, "progress", { steps: 2048, mean_reward: 3.5, terms: { upright: 0.6 } }));
    curves = applyEvent(curves, event(3, "progress", { steps: 2048, mean_reward: 3.5, terms: {} })); // a replay
    curves = applyEvent(curves, event(4, "progress", { steps: 3072, mean_reward: 5 }, 8));
    expect(curves[7]!.map((p) => p.steps)).toEqual([1024, 2048]);
    expect(curves[7]![0]!.shares).toEqual({ upright: 0.8, x: 0.2 });
    expect(curves[8]).toHaveLength(1);
  });

  it("starts over when a job is queued again, and ignores malformed progress", () => {
    let curves: Curves = { 7: [{ steps: 1, reward: 1, shares: {} }] };
    curves = applyEvent(curves, event(5, "queued", { restart: true }));
    expect(curves[7]).toEqual([]);
    expect(pointFromEvent(event(6, "progress", { steps: "many", mean_reward: 1 }))).toBeNull();
    expect(pointFromEvent(event(6, "progress", { steps: 10, mean_reward: null }))).toBeNull();
  });

  it("parses the server's curves.csv", () => {
    const csv = "steps,mean_episode_reward,mean_step_reward,steps_per_s,share:upright,share:action_rate\n" +
      "1024,-3,-0.006,900,0.7,-0.3\n2048,5,0.01,950,0.5,-0.1\n";
    const points = parseCurvesCsv(csv);
    expect(points).toEqual([
      { steps: 1024, reward: -3, shares: { upright: 0.7, action_rate: -0.3 } },
      { steps: 2048, reward: 5, shares: { upright: 0.5, action_rate: -0.1 } },
    ]);
    expect(parseCurvesCsv("")).toEqual([]);
    expect(parseCurvesCsv("a,b\n1,2")).toEqual([]);
  });

  it("describes the curve in words", () => {
    const text = describeCurve([
      { steps: 1024, reward: -3, shares: { upright: 0.7 } },
      { steps: 51_200, reward: 42.25, shares: { joint_sine: 0.55, upright: 0.35, action_rate: -0.1 } },
    ]);
    expect(text).toBe(
      "Mean episode reward -3.00 → 42.25 over 2 updates (51,200 steps). Term shares at the end: joint_sine 55%, upright 35%, action_rate -10%.",
    );
    expect(describeCurve([])).toBe("No training updates yet.");
  });
});
