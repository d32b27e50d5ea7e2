import { fireEvent, render, screen, within } from "@testing-library/react";
import type { ComponentProps } from "react";
import type { Design } from "../api";
import { approach, doneJob, job, session } from "../test/fixtures";
import { ApproachCards } from "./ApproachCards";

type Props = ComponentProps<typeof ApproachCards>;

function renderCards(extra: Partial<Props> = {}) {
  const props: Props = {
    designs: session.designs,
    activeDesign: 0,
    onActiveDesignChange: vi.fn(),
    jobs: [],
    onTrain: vi.fn(),
    onRefine: vi.fn(),
    training: false,
    refiningJobId: null,
    error: null,
    ...extra,
  };
  render(<ApproachCards {...props} />);
  return props;
}

describe("ApproachCards", () => {
  it("offers starting from the base policy, on by default, and reports the choice", () => {
    const onFromBaseChange = vi.fn();
    renderCards({ onFromBaseChange });
    const toggle = screen.getByRole("checkbox", { name: /Start from the base policy/ });
    expect(toggle).toBeChecked();
    fireEvent.click(toggle);
    expect(onFromBaseChange).toHaveBeenCalledWith(false);
  });

  it("renders three cards with name, focus and terms", () => {
    renderCards();
    const cards = screen.getAllByRole("article");
    expect(cards).toHaveLength(3);
    expect(within(cards[0]!).getByText("Approach 1")).toBeInTheDocument();
    expect(within(cards[0]!).getByRole("heading", { name: "Hip Oscillator" })).toBeInTheDocument();
    expect(within(cards[0]!).getByText("Focus 1")).toBeInTheDocument();
    expect(within(cards[0]!).getByText("Reward terms (2)")).toBeInTheDocument();
    expect(within(cards[0]!).getByText("joint osc (hips)")).toBeInTheDocument();
    expect(within(cards[0]!).getByText("×1.5")).toBeInTheDocument();
    expect(within(cards[0]!).getByText("abs(base_lin_vel[0])")).toBeInTheDocument();
  });

  it("shows the motion prior and the success check next to the reward terms", () => {
    const withShape = approach(1, 0, {
      motion: ["hip_abduction: sine ±0.30 rad at 2 Hz (residual 0.5)"],
      success: ["hip_abduction_amplitude ≥ 0.15", "falls < 1"],
    });
    renderCards({ designs: [{ ...session.designs[0]!, approaches: [withShape, approach(2, 1)] }] });
    const [first, second] = screen.getAllByRole("article");
    expect(within(first!).getByText("Motion prior")).toBeInTheDocument();
    expect(within(first!).getByText("hip_abduction: sine ±0.30 rad at 2 Hz (residual 0.5)")).toBeInTheDocument();
    expect(within(first!).getByText(/hip_abduction_amplitude ≥ 0.15 and falls < 1/)).toBeInTheDocument();
    expect(within(second!).queryByText("Motion prior")).toBeNull();
  });

  it("says what the body lacks and how the rehearsal went", () => {
    const rehearsed = approach(1, 0, {
      body: ["Unitree H1 has no movable head: the whole body pitches and turns instead."],
      rehearsal: {
        note: "Rehearsed with the base policy: upright 3/3, prior swing 0.23 rad.",
        stands: true,
        upright: 3,
        copies: 3,
        share: 1,
      },
    });
    const falling = approach(2, 1, {
      rehearsal: { note: "Rehearsed with the zero action: it falls.", stands: false, upright: 0, copies: 3, share: 1 },
    });
    const playing = approach(3, 2, { rehearsing: true });
    renderCards({ designs: [{ ...session.designs[0]!, approaches: [rehearsed, falling, playing] }] });
    const [first, second, third] = screen.getAllByRole("article");
    expect(within(third!).getByTestId("rehearsal")).toHaveTextContent("Rehearsing");
    expect(within(third!).getByTestId("rehearsal")).toHaveClass("pending");
    expect(within(first!).getByTestId("body-notes")).toHaveTextContent("has no movable head");
    expect(within(first!).getByTestId("rehearsal")).toHaveTextContent("upright 3/3");
    expect(within(first!).getByTestId("rehearsal")).toHaveClass("ok");
    expect(within(second!).getByTestId("rehearsal")).toHaveClass("warn");
    expect(within(second!).queryByTestId("body-notes")).toBeNull();
  });

  it("marks fallback approaches and shows their notes", () => {
    renderCards();
    const third = screen.getAllByRole("article")[2]!;
    expect(within(third).getByText("fallback")).toBeInTheDocument();
    expect(within(third).getByText("kept simple")).toBeInTheDocument();
  });

  it("trains one approach or all of them", () => {
    const props = renderCards();
    fireEvent.click(within(screen.getAllByRole("article")[1]!).getByRole("button", { name: "Train This" }));
    expect(props.onTrain).toHaveBeenCalledWith([2]);
    fireEvent.click(screen.getByRole("button", { name: "Train All" }));
    expect(props.onTrain).toHaveBeenLastCalledWith([1, 2, 3]);
  });

  it("disables training while a job of the approach runs", () => {
    renderCards({ jobs: [job(7, 1, { status: "running" })] });
    const first = screen.getAllByRole("article")[0]!;
    expect(within(first).getByRole("button", { name: "Train This" })).toBeDisabled();
    expect(within(first).getByText("Training…")).toBeInTheDocument();
  });

  it("refines a finished approach with words, as long as the server allows", () => {
    const props = renderCards({ jobs: [doneJob(9, 1)], maxRefineChars: 321 });
    const first = screen.getAllByRole("article")[0]!;
    expect(within(first).getByLabelText("Refine from this result")).toHaveAttribute("maxLength", "321");
    fireEvent.change(within(first).getByLabelText("Refine from this result"), { target: { value: "more hips" } });
    fireEvent.click(within(first).getByRole("button", { name: "Refine" }));
    expect(props.onRefine).toHaveBeenCalledWith(9, "more hips");
    expect(within(screen.getAllByRole("article")[1]!).queryByRole("button", { name: "Refine" })).toBeNull();
  });

  it("shows tabs for several designs and the design error", () => {
    const second: Design = {
      index: 1,
      provider: "openai",
      label: "Refined from Hip Oscillator",
      model: "gpt-x",
      error: "the provider timed out",
      cached: false,
      approaches: [approach(4, 0, { design: 1, name: "Bigger Hips" })],
    };
    const props = renderCards({ designs: [...session.designs, second], activeDesign: 1 });
    const tabs = screen.getAllByRole("tab");
    expect(tabs.map((t) => t.textContent)).toEqual(["Built-in designer", "Refined from Hip Oscillator!"]);
    expect(tabs[1]).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("alert")).toHaveTextContent("the provider timed out");
    expect(screen.getByRole("heading", { name: "Bigger Hips" })).toBeInTheDocument();
    fireEvent.click(tabs[0]!);
    expect(props.onActiveDesignChange).toHaveBeenCalledWith(0);
    fireEvent.click(screen.getByRole("button", { name: "Train All" }));
    expect(props.onTrain).toHaveBeenCalledWith([4]);
  });

  it("shows an error from training", () => {
    renderCards({ error: "approaches [9] are not in session s1" });
    expect(screen.getByRole("alert")).toHaveTextContent("approaches [9] are not in session s1");
  });
});
