import { render, screen } from "@testing-library/react";
import type { CurvePoint } from "../curves";
import { chartData, TrainingChart } from "./TrainingChart";

const points: CurvePoint[] = [
  { steps: 1000, reward: 1, shares: { upright: 0.6, action_rate: -0.4 } },
  { steps: 2000, reward: 4, shares: { upright: 0.5, joint_sine: 0.3, action_rate: -0.2 } },
];

describe("TrainingChart", () => {
  it("stacks the absolute term shares over the reward line", () => {
    const { terms, data } = chartData(points);
    expect(terms).toEqual(["upright", "action_rate", "joint_sine"]);
    expect(data[0]).toEqual([1000, 2000]);
    expect(data[1]).toEqual([1, 4]);
    expect(data[2]).toEqual([0.6, 0.5]);
    expect(data[3]).toEqual([1.0, 0.7]);
    expect(data[4]![1]).toBeCloseTo(1.0);
  });

  it("says what it shows in text and how many points it has", () => {
    render(<TrainingChart points={points} label="Approach 1" />);
    const figure = screen.getByRole("figure", { name: "Approach 1: training curve" });
    expect(figure).toHaveAttribute("data-points", "2");
    expect(figure).toHaveTextContent("Mean episode reward 1.00 → 4.00 over 2 updates (2,000 steps).");
  });

  it("shows an empty state before the first update", () => {
    render(<TrainingChart points={[]} label="Approach 2" />);
    expect(screen.getByText("No training updates yet.")).toBeInTheDocument();
  });
});
