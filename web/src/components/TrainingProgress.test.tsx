import { fireEvent, render, screen } from "@testing-library/react";
import type { ComponentProps } from "react";
import type { Approach, Job } from "../api";
import { doneJob, job, session } from "../test/fixtures";
import { TrainingProgress } from "./TrainingProgress";

const approaches = new Map<number, Approach>(session.designs[0]!.approaches.map((a) => [a.id, a]));

function renderProgress(jobs: Job[], extra: Partial<ComponentProps<typeof TrainingProgress>> = {}) {
  const props: ComponentProps<typeof TrainingProgress> = {
    jobs,
    approaches,
    connection: "open",
    onCancel: vi.fn(),
    onRestart: vi.fn(),
    pending: new Set(),
    errors: new Map(),
    ...extra,
  };
  const view = render(<TrainingProgress {...props} />);
  return { props, view };
}

describe("TrainingProgress", () => {
  it("renders a progress bar per job with percent and status", () => {
    renderProgress([
      job(1, 1, { status: "running", progress: 0.703, steps_done: 35_150, eta_s: 80, mean_reward: 0.4567 }),
      doneJob(2, 2),
      job(3, 3, { status: "failed", error: "NaN in the reward" }),
    ]);
    const bars = screen.getAllByRole("progressbar");
    expect(bars).toHaveLength(3);
    expect(bars[0]).toHaveAttribute("aria-valuenow", "70");
    expect(bars[0]).toHaveAttribute("aria-valuemin", "0");
    expect(bars[0]).toHaveAttribute("aria-valuemax", "100");
    expect(bars[1]).toHaveAttribute("aria-valuenow", "100");
    expect(screen.getByText("70%")).toBeInTheDocument();
    expect(screen.getByText("Training…")).toBeInTheDocument();
    expect(screen.getByText("Complete ✓")).toBeInTheDocument();
    expect(screen.getByText("Failed: NaN in the reward")).toBeInTheDocument();
    expect(screen.getByText("1 min 20 s left")).toBeInTheDocument();
    expect(screen.getByText("episode reward 0.457")).toBeInTheDocument();
    expect(screen.getByText("35,150 / 50,000 steps")).toBeInTheDocument();
    expect(screen.getByText("Approach 1: Hip Oscillator")).toBeInTheDocument();
  });

  it("updates when a job changes", () => {
    const { props, view } = renderProgress([job(1, 1)]);
    expect(screen.getByText("Queued")).toBeInTheDocument();
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "0");
    view.rerender(<TrainingProgress {...props} jobs={[job(1, 1, { status: "running", progress: 0.5 })]} />);
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "50");
    expect(screen.getByText("Training…")).toBeInTheDocument();
    view.rerender(<TrainingProgress {...props} jobs={[job(1, 1, { status: "rendering", progress: 0.95 })]} />);
    expect(screen.getByText("Rendering…")).toBeInTheDocument();
    view.rerender(<TrainingProgress {...props} jobs={[doneJob(1, 1)]} />);
    expect(screen.getByText("Complete ✓")).toBeInTheDocument();
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
  });

  it("offers Cancel for active jobs and Restart for ended ones", () => {
    const running = job(1, 1, { status: "running", progress: 0.2 });
    const interrupted = job(2, 2, { status: "interrupted" });
    const { props } = renderProgress([running, interrupted, doneJob(3, 3), job(4, 1, { status: "cancelled" })]);
    expect(screen.getAllByRole("button", { name: /^Cancel/ })).toHaveLength(1);
    expect(screen.getAllByRole("button", { name: /^Restart/ })).toHaveLength(2);
    expect(screen.getByText("Interrupted")).toBeInTheDocument();
    expect(screen.getByText("Cancelled")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: /^Cancel/ }));
    expect(props.onCancel).toHaveBeenCalledWith(running);
    fireEvent.click(screen.getAllByRole("button", { name: /^Restart/ })[0]!);
    expect(props.onRestart).toHaveBeenCalledWith(interrupted);
  });

  it("shows a job's action error and the connection state", () => {
    renderProgress([job(1, 1, { status: "running" })], {
      errors: new Map([[1, "job 1 is done; only queued or running jobs can be cancelled"]]),
      connection: "reconnecting",
    });
    expect(screen.getByRole("alert")).toHaveTextContent("only queued or running jobs can be cancelled");
    expect(screen.getByText("Reconnecting…")).toBeInTheDocument();
  });
});
