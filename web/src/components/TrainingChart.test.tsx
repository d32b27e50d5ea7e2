import { fireEvent, render, screen } from "@testing-library/react";
import type { CurvePoint } from "../curves";
import { chartData, compactSteps, TrainingChart } from "./TrainingChart";

const points: CurvePoint[] = [
  { steps: 1000, stepReward: 1, episodeReward: null, shares: { upright: 0.6, "action rate": -0.4 } },
  { steps: 2000, stepReward: 4, episodeReward: 1800, shares: { upright: 0.5, "hip swing": 0.3, "action rate": -0.2 } },
];

describe("TrainingChart", () => {
  it("stacks the absolute term shares under the reward-per-step line", () => {
    const { terms, data } = chartData(points);
    expect(terms).toEqual(["upright", "action rate", "hip swing"]);
    expect(data[0]).toEqual([1000, 2000]);
    expect(data[1]).toEqual([0.6, 0.5]);
    expect(data[2]).toEqual([1.0, 0.7]);
    expect(data[3]![1]).toBeCloseTo(1.0);
    expect(data[4]).toEqual([1, 4]); // the line, drawn last
  });

  it("draws an older curve's episode reward when it has no per-step reward", () => {
    const { data } = chartData([{ steps: 5, stepReward: null, episodeReward: 7, shares: {} }]);
    expect(data[1]).toEqual([7]);  // no terms: the line is the only series
  });

  it("says both rewards in text and how many points it has", () => {
    render(<TrainingChart points={points} label="Approach 1" />);
    const figure = screen.getByRole("figure", { name: "Approach 1: training curve" });
    expect(figure).toHaveAttribute("data-points", "2");
    expect(figure).toHaveTextContent(
      "Reward per step 1.00 → 4.00 over 2 updates (2,000 steps). Per whole episode 1800 → 1800 (the first ended by 2,000 steps).",
    );
  });

  it("folds the legend of term labels until asked, and caps it at the chart's height", () => {
    render(<TrainingChart points={points} label="Approach 1" height={90} />);
    const toggle = screen.getByRole("button", { name: "Terms (3)" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByRole("list")).not.toBeInTheDocument();
    fireEvent.click(toggle);
    const legend = screen.getByRole("list");
    expect(screen.getByRole("button", { name: "Hide terms" })).toHaveAttribute("aria-expanded", "true");
    expect(legend).toHaveStyle({ maxHeight: "90px" });
    expect([...legend.querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "upright 50%",
      "action rate -20%",
      "hip swing 30%",
    ]);
    fireEvent.click(screen.getByRole("button", { name: "Hide terms" }));
    expect(screen.queryByRole("list")).not.toBeInTheDocument();
  });

  it("keeps the step axis narrow", () => {
    expect([compactSteps(512), compactSteps(2048), compactSteps(51_200)]).toEqual(["512", "2k", "51.2k"]);
  });

  it("shows an empty state before the first update", () => {
    render(<TrainingChart points={[]} label="Approach 2" />);
    expect(screen.getByText("No training updates yet.")).toBeInTheDocument();
  });
});
