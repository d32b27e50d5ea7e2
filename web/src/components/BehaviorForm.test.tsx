import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import type { Estimate, Info, Provider } from "../api";
import { info, provider } from "../test/fixtures";
import { BehaviorForm } from "./BehaviorForm";

type HarnessProps = {
  info?: Info | null;
  estimate?: Estimate | null;
  modelSelected?: boolean;
  busy?: boolean;
  error?: string | null;
  providers?: Provider[];
  onSubmit?: () => void;
  onProviders?: (names: string[]) => void;
  initialPrompt?: string;
};

function Harness(p: HarnessProps) {
  const [prompt, setPrompt] = useState(p.initialPrompt ?? "");
  const [steps, setSteps] = useState(50_000);
  const [providers, setProviders] = useState<string[]>([]);
  const [fresh, setFresh] = useState(false);
  return (
    <BehaviorForm
      info={p.info === undefined ? info : p.info}
      estimate={p.estimate}
      providers={p.providers ?? []}
      prompt={prompt}
      onPromptChange={setPrompt}
      steps={steps}
      onStepsChange={setSteps}
      selectedProviders={providers}
      onProvidersChange={(n) => {
        setProviders(n);
        p.onProviders?.(n);
      }}
      fresh={fresh}
      onFreshChange={setFresh}
      modelSelected={p.modelSelected ?? true}
      busy={p.busy ?? false}
      error={p.error ?? null}
      onSubmit={p.onSubmit ?? vi.fn()}
    />
  );
}

describe("BehaviorForm", () => {
  it("shows the server's measured estimate for the chosen steps, and says what it is based on", () => {
    const estimate: Estimate = {
      model_id: "Go1JoystickFlatTerrain", steps: 50_000, approaches: 3, workers: 2, seconds: 61, per_approach_s: 24,
      waves: [{ jobs: 2, seconds: 37 }, { jobs: 1, seconds: 24 }], basis: "Go1JoystickFlatTerrain jobs, 2 at once",
      calibrated: true,
    };
    render(<Harness estimate={estimate} />);
    const shown = screen.getByTestId("estimate");
    expect(shown).toHaveTextContent("About 24 s per approach; all 3 take about 1 min 1 s (2 jobs run at a time");
    expect(shown).toHaveTextContent("measured here: Go1JoystickFlatTerrain jobs, 2 at once");
    // A different slider value than the estimate was made for: the formula until the new one arrives.
    fireEvent.change(screen.getByRole("slider", { name: "Training Steps" }), { target: { value: "90000" } });
    expect(screen.getByTestId("estimate")).not.toHaveTextContent("measured here");
  });

  it("takes the slider bounds from info", () => {
    render(<Harness info={{ ...info, steps: { min: 20_000, max: 80_000, default: 40_000 } }} />);
    const slider = screen.getByRole("slider", { name: "Training Steps" });
    expect(slider).toHaveAttribute("min", "20000");
    expect(slider).toHaveAttribute("max", "80000");
    expect(slider).toHaveAttribute("step", "1000");
  });

  it("takes the number of approaches and the video length from info", () => {
    render(<Harness info={{ ...info, approaches: 2, video_seconds: 4.5 }} />);
    const estimate = screen.getByTestId("estimate");
    // 20 s + 50,000 / 7,000 ≈ 27 s per approach, two of them one by one
    expect(estimate).toHaveTextContent("About 27 s per approach; all 2 take about 54 s");
    expect(estimate).toHaveTextContent("Each approach is filmed for 4.5 s.");
  });

  it("offers no steps slider until info gives its range", () => {
    render(<Harness info={null} />);
    expect(screen.queryByRole("slider", { name: "Training Steps" })).toBeNull();
    expect(screen.getByText("Asking the server for the allowed steps…")).toBeInTheDocument();
    expect(screen.getByTestId("estimate")).toHaveTextContent("Estimating…");
  });

  it("shows the steps formatted and an estimate that follows the value", () => {
    render(<Harness />);
    expect(screen.getByText("50,000", { selector: "output" })).toBeInTheDocument();
    const estimate = screen.getByTestId("estimate");
    // 20 s + 50,000 / 7,000 ≈ 27 s per approach
    expect(estimate).toHaveTextContent("About 27 s per approach");
    expect(estimate).toHaveTextContent("1 job runs at a time");
    const before = estimate.textContent;
    fireEvent.change(screen.getByRole("slider", { name: "Training Steps" }), { target: { value: "100000" } });
    expect(screen.getByText("100,000", { selector: "output" })).toBeInTheDocument();
    expect(estimate.textContent).not.toEqual(before);
    expect(estimate).toHaveTextContent("About 34 s per approach"); // 20 + 14.3
  });

  it("estimates a batch with the measured speed-up of parallel jobs, not workers times faster", () => {
    render(<Harness info={{ ...info, workers: 2, estimate: { overhead_s: 27, steps_per_s: 7000, parallel_speedup: 1.3 } }} />);
    // one: 27 + 50,000 / 7,000 = 34.1 s; three: 3 × 34.1 / 1.3 = 78.8 s
    expect(screen.getByTestId("estimate")).toHaveTextContent("About 34 s per approach; all 3 take about 1 min 19 s (2 jobs run at a time)");
  });

  it("limits the prompt to the server's limit and fills it from the examples", () => {
    render(<Harness info={{ ...info, max_prompt_chars: 120 }} />);
    const textarea = screen.getByLabelText("Describe the behavior you want");
    expect(textarea).toHaveAttribute("maxLength", "120");
    expect(screen.getByText("0 / 120")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "walk forward" }));
    expect(textarea).toHaveValue("walk forward");
  });

  it("enables Generate only with a model and a prompt", () => {
    const onSubmit = vi.fn();
    const { unmount } = render(<Harness modelSelected={false} initialPrompt="spin" onSubmit={onSubmit} />);
    expect(screen.getByRole("button", { name: "Generate Training Approaches" })).toBeDisabled();
    unmount();
    render(<Harness onSubmit={onSubmit} />);
    const button = screen.getByRole("button", { name: "Generate Training Approaches" });
    expect(button).toBeDisabled();
    fireEvent.change(screen.getByLabelText("Describe the behavior you want"), { target: { value: "   " } });
    expect(button).toBeDisabled();
    fireEvent.change(screen.getByLabelText("Describe the behavior you want"), { target: { value: "spin in place" } });
    expect(button).toBeEnabled();
    fireEvent.click(button);
    expect(onSubmit).toHaveBeenCalledTimes(1);
  });

  it("shows a spinner while busy and the server's detail on error", () => {
    render(<Harness busy initialPrompt="spin" error="prompt is too long: 2,100 characters" />);
    const button = screen.getByRole("button", { name: "Generate Training Approaches" });
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute("aria-busy", "true");
    expect(button.querySelector(".spinner")).not.toBeNull();
    expect(screen.getByRole("alert")).toHaveTextContent("prompt is too long: 2,100 characters");
  });

  it("offers the providers when there are some", () => {
    const onProviders = vi.fn();
    const providers: Provider[] = [
      provider("openai", { kind: "openai", model: "gpt-x", default: true }),
      provider("local", { kind: "ollama", model: "llama" }),
      provider("off", { kind: "anthropic", model: "c", ready: false, problem: "ANTHROPIC_API_KEY is not set" }),
    ];
    render(<Harness providers={providers} onProviders={onProviders} />);
    fireEvent.click(screen.getByRole("checkbox", { name: /local/ }));
    fireEvent.click(screen.getByRole("checkbox", { name: /openai/ }));
    expect(onProviders).toHaveBeenLastCalledWith(["openai", "local"]);
    const off = screen.getByRole("checkbox", { name: /off/ });
    expect(off).toBeDisabled();
    expect(off.closest("label")).toHaveTextContent("not ready: ANTHROPIC_API_KEY is not set");
  });

  it("has no provider choice without providers", () => {
    render(<Harness />);
    expect(screen.queryByRole("group", { name: /providers/i })).toBeNull();
    expect(screen.getByRole("checkbox", { name: /Fresh/ })).not.toBeChecked();
  });
});
