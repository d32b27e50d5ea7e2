import { render, screen } from "@testing-library/react";
import type { StartVsTrained } from "../api";
import { approach, doneJob } from "../test/fixtures";
import { VideoComparison } from "./VideoComparison";

const keptStart: StartVsTrained = {
  kept: "start",
  start_label: "base policy",
  reason: "training lowered the reward 3.26 → 2.75",
  note: "Kept the starting policy (base policy): training lowered the reward 3.26 → 2.75.",
  start: { falls: 0, passed: true, mean_step_reward: 3.26 },
  trained: { falls: 0, passed: true, mean_step_reward: 2.75 },
};

const beatStart: StartVsTrained = {
  kept: "trained",
  start_label: "zero action",
  reason: null,
  note: "Training beat its start (zero action): it raised the reward; mean reward per step 0.40 → 1.20.",
  start: { falls: 0, passed: false, mean_step_reward: 0.4 },
  trained: { falls: 0, passed: true, mean_step_reward: 1.2 },
};

describe("StartLine", () => {
  it("says under each video whether training beat its start, and why a start was kept", () => {
    render(
      <VideoComparison
        sessionId="s1"
        expected={3}
        items={[
          { job: doneJob(11, 1, { start_vs_trained: keptStart }), approach: approach(1, 0) },
          // An older payload carries it only inside the metrics.
          { job: doneJob(12, 2, { metrics: { falls: 0, start_vs_trained: beatStart } }), approach: approach(2, 1) },
          { job: doneJob(13, 3), approach: approach(3, 2) },
        ]}
      />,
    );
    const lines = screen.getAllByTestId("start-line");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toHaveTextContent("Kept the starting policy (base policy): training lowered the reward 3.26 → 2.75.");
    expect(lines[0]).toHaveClass("kept-start");
    expect(lines[1]).toHaveTextContent("Training beat its start (zero action): it raised the reward; mean reward per step 0.40 → 1.20.");
    expect(lines[1]).not.toHaveClass("kept-start");
  });
});
