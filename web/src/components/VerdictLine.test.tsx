import { render, screen, within } from "@testing-library/react";
import type { Verdict } from "../api";
import { approach, doneJob } from "../test/fixtures";
import { VerdictLine } from "./VerdictLine";
import { VideoComparison } from "./VideoComparison";

const failed: Verdict = {
  passed: false,
  summary: "✗ …",
  checks: [
    { check: "abs_yaw_rate ≥ 1", subject: "abs_yaw_rate", op: ">=", value: 1, measured: 0.42, unit: "rad/s", passed: false },
    { check: "drift ≤ 0.5", subject: "drift", op: "<=", value: 0.5, measured: 0.31, unit: "m", passed: true },
  ],
};

describe("VerdictLine", () => {
  it("says what was checked in words where the check carries them", () => {
    const worded: Verdict = {
      passed: false,
      summary: "✗ the object rose 0.02 cm (need ≥ 5 cm)",
      checks: [
        {
          check: "object_rise ≥ 0.05",
          subject: "object_rise",
          op: ">=",
          value: 0.05,
          measured: 0.0002,
          unit: "m",
          passed: false,
          text: "the object rose 0.02 cm (need ≥ 5 cm)",
        },
      ],
    };
    render(<VerdictLine verdict={worded} />);
    const v = screen.getByTestId("verdict");
    expect(v).toHaveTextContent("the object rose 0.02 cm (need ≥ 5 cm)");
    expect(v).not.toHaveTextContent("object_rise");
  });

  it("shows ✗ with each measured figure and what was needed", () => {
    render(<VerdictLine verdict={failed} />);
    const v = screen.getByTestId("verdict");
    expect(v).toHaveAccessibleName("Success check failed");
    expect(v).toHaveTextContent("✗");
    const rows = within(v).getAllByRole("listitem");
    expect(rows[0]).toHaveTextContent("abs_yaw_rate 0.42 rad/s (need ≥ 1) failed");
    expect(rows[1]).toHaveTextContent("drift 0.31 m (≤ 0.5) passed");
  });

  it("shows ✓ when every condition holds, and nothing without a check", () => {
    const { rerender } = render(<VerdictLine verdict={{ ...failed, passed: true, checks: [failed.checks[1]!] }} />);
    expect(screen.getByTestId("verdict")).toHaveAccessibleName("Success check passed");
    expect(screen.getByTestId("verdict")).toHaveTextContent("✓");
    rerender(<VerdictLine verdict={null} />);
    expect(screen.queryByTestId("verdict")).toBeNull();
  });

  it("appears under each video of the comparison, from the job's verdict", () => {
    const a = approach(1, 0);
    const b = approach(2, 1);
    render(
      <VideoComparison
        sessionId="s1"
        expected={3}
        items={[
          { job: doneJob(11, 1, { verdict: failed }), approach: a },
          { job: doneJob(12, 2, { metrics: { drift_m: 0.2, verdict: { ...failed, passed: true } } }), approach: b },
        ]}
      />,
    );
    const verdicts = screen.getAllByTestId("verdict");
    expect(verdicts.map((v) => v.textContent?.[0])).toEqual(["✗", "✓"]);
  });
});
