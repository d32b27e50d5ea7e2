import { useId, type FormEvent } from "react";
import type { Estimate, Info, Provider } from "../api";
import { estimateSeconds, formatDuration, formatInt, formatNumber } from "../format";
import { Spinner } from "./Spinner";

export const STEP_SIZE = 1000;

type Props = {
  info: Info | null;
  /** The server's estimate for the chosen model and steps (measured on this machine); else info's formula. */
  estimate?: Estimate | null;
  providers: Provider[];
  prompt: string;
  onPromptChange: (prompt: string) => void;
  /** Null until /api/info gives the range and default (a configure without steps gets the server's default). */
  steps: number | null;
  onStepsChange: (steps: number) => void;
  selectedProviders: string[];
  onProvidersChange: (names: string[]) => void;
  fresh: boolean;
  onFreshChange: (fresh: boolean) => void;
  modelSelected: boolean;
  busy: boolean;
  error: string | null;
  onSubmit: () => void;
};

export function BehaviorForm(props: Props) {
  const { info, providers, prompt, steps, selectedProviders, fresh, modelSelected, busy, error } = props;
  const ids = useId();
  // The slider's range, its default and the approaches per design are the server's (/api/info).
  const range = info?.steps;
  const maxChars = info?.max_prompt_chars; // the server's limit, once /api/info has answered
  const canSubmit = modelSelected && prompt.trim().length > 0 && !busy;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (canSubmit) props.onSubmit();
  };

  const measured = props.estimate && props.estimate.steps === steps ? props.estimate : null;
  const perJob = measured ? measured.per_approach_s : info && steps !== null ? estimateSeconds(info, steps) : null;
  const workers = Math.max(1, info?.workers ?? 1);
  // Jobs running at once share the cores, so a batch gains the measured speed-up, not `workers` times.
  const speedup = Math.max(1, info?.estimate.parallel_speedup ?? 1);

  const toggleProvider = (name: string, on: boolean) => {
    const next = on ? [...selectedProviders, name] : selectedProviders.filter((n) => n !== name);
    props.onProvidersChange(providers.map((p) => p.name).filter((n) => next.includes(n)));
  };

  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <div className="panel-head">
        <h2 id={`${ids}-title`}>Behavior Description</h2>
      </div>
      <form onSubmit={submit} className="behavior-form" noValidate>
        <div className="field">
          <label htmlFor={`${ids}-prompt`}>Describe the behavior you want</label>
          <textarea
            id={`${ids}-prompt`}
            rows={3}
            maxLength={maxChars}
            placeholder="Keep shaking your hips aloha dude! Do a fun Hawaiian dance with lots of hip movement"
            value={prompt}
            onChange={(e) => props.onPromptChange(e.target.value)}
            aria-describedby={`${ids}-count`}
          />
          <span id={`${ids}-count`} className="muted small counter">
            {prompt.length.toLocaleString("en-US")}
            {maxChars !== undefined && ` / ${maxChars.toLocaleString("en-US")}`}
          </span>
        </div>

        {info && info.examples.length > 0 && (
          <div className="chips" role="group" aria-label="Example prompts">
            <span className="muted small">Try:</span>
            {info.examples.map((example) => (
              <button
                key={example}
                type="button"
                className={`chip${example === prompt ? " active" : ""}`}
                onClick={() => props.onPromptChange(example)}
                title={example}
              >
                {example.length > 48 ? `${example.slice(0, 46)}…` : example}
              </button>
            ))}
          </div>
        )}

        <div className="field">
          <div className="range-label">
            <label htmlFor={`${ids}-steps`}>Training Steps</label>
            <output htmlFor={`${ids}-steps`} className="steps-value">
              {steps !== null ? formatInt(steps) : "…"}
            </output>
          </div>
          {range && steps !== null ? (
            <>
              <input
                id={`${ids}-steps`}
                type="range"
                min={range.min}
                max={range.max}
                step={STEP_SIZE}
                value={steps}
                onChange={(e) => props.onStepsChange(Number(e.target.value))}
                aria-valuetext={`${formatInt(steps)} steps`}
                aria-describedby={`${ids}-estimate`}
              />
              <div className="range-ends muted small" aria-hidden="true">
                <span>{formatInt(range.min)}</span>
                <span>{formatInt(range.max)}</span>
              </div>
            </>
          ) : (
            <p className="muted small">Asking the server for the allowed steps…</p>
          )}
          <p id={`${ids}-estimate`} className="estimate small" data-testid="estimate">
            {measured ? (
              <>
                About {formatDuration(measured.per_approach_s)} per approach; all {measured.approaches} take about{" "}
                {formatDuration(measured.seconds)} ({measured.workers} {measured.workers === 1 ? "job runs" : "jobs run"} at
                a time; measured here: {measured.basis}).
              </>
            ) : perJob != null && info ? (
              <>
                About {formatDuration(perJob)} per approach; all {info.approaches} take about{" "}
                {formatDuration((perJob * info.approaches) / speedup)} ({workers} {workers === 1 ? "job runs" : "jobs run"} at
                a time).
              </>
            ) : (
              "Estimating…"
            )}
            {info && <> Each approach is filmed for {formatNumber(info.video_seconds)} s.</>}
          </p>
        </div>

        {providers.length > 0 && (
          <fieldset className="providers">
            <legend>Reward designers (LLM providers)</legend>
            <p className="muted small">None checked: the built-in designer. Several: one design from each.</p>
            {providers.map((p) => (
              <label key={p.name} className={`check${p.ready ? "" : " disabled"}`}>
                <input
                  type="checkbox"
                  checked={selectedProviders.includes(p.name)}
                  disabled={!p.ready}
                  onChange={(e) => toggleProvider(p.name, e.target.checked)}
                />
                {p.name}
                {p.model && <span className="muted small"> · {p.model}</span>}
                {!p.ready && <span className="muted small"> (not ready{p.problem ? `: ${p.problem}` : ""})</span>}
              </label>
            ))}
          </fieldset>
        )}

        <label className="check">
          <input type="checkbox" checked={fresh} onChange={(e) => props.onFreshChange(e.target.checked)} />
          Fresh designs (don’t reuse stored approaches for this prompt)
        </label>

        <div className="actions">
          <button type="submit" className="btn primary" disabled={!canSubmit} aria-busy={busy}>
            {busy && <Spinner />}
            Generate Training Approaches
          </button>
          {!modelSelected && <span className="muted small">Pick a model first.</span>}
          {modelSelected && !prompt.trim() && <span className="muted small">Describe a behavior first.</span>}
          {busy && (
            <span className="muted small" role="status">
              Designing approaches…
            </span>
          )}
        </div>
        {error && (
          <p className="alert error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
