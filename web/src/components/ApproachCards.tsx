import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { ACTIVE_STATUSES, type Approach, type Design, type Job } from "../api";
import { formatNumber, statusText } from "../format";
import { Spinner } from "./Spinner";

type Props = {
  designs: Design[];
  activeDesign: number;
  onActiveDesignChange: (index: number) => void;
  jobs: Job[];
  onTrain: (approachIds: number[]) => void;
  onRefine: (jobId: number, words: string) => void;
  training: boolean;
  refiningJobId: number | null;
  error: string | null;
  /** "Start from the base policy" (the batch request's from_base); the toggle shows when given. */
  fromBase?: boolean;
  onFromBaseChange?: (fromBase: boolean) => void;
  /** The longest refine words the server takes (/api/info). */
  maxRefineChars?: number;
};

/** The newest job of each approach (render jobs included when `kind` is not given). */
export function latestJobs(jobs: Job[], kind?: Job["kind"]): Map<number, Job> {
  const map = new Map<number, Job>();
  for (const job of [...jobs].sort((a, b) => a.id - b.id)) {
    if (!kind || job.kind === kind) map.set(job.approach_id, job);
  }
  return map;
}

export function ApproachCards(props: Props) {
  const { designs, jobs, training, error } = props;
  const ids = useId();
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const active = designs.find((d) => d.index === props.activeDesign) ?? designs[0];
  const latestTrain = latestJobs(jobs, "train");

  if (!active) return null;
  const activePos = designs.indexOf(active);

  const onTabKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    let next = -1;
    if (e.key === "ArrowRight") next = (activePos + 1) % designs.length;
    else if (e.key === "ArrowLeft") next = (activePos - 1 + designs.length) % designs.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = designs.length - 1;
    if (next < 0) return;
    e.preventDefault();
    props.onActiveDesignChange(designs[next]!.index);
    tabRefs.current[next]?.focus();
  };

  const trainable = active.approaches.map((a) => a.id);

  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <div className="panel-head">
        <h2 id={`${ids}-title`}>Training Approaches</h2>
        <div className="actions">
          {training && <Spinner small />}
          {props.onFromBaseChange && (
            <label className="toggle" title="Fine-tune the robot's packaged base policy where one fits; off: from scratch">
              <input
                type="checkbox"
                checked={props.fromBase ?? true}
                onChange={(e) => props.onFromBaseChange?.(e.target.checked)}
              />{" "}
              Start from the base policy
            </label>
          )}
          <button
            type="button"
            className="btn primary"
            disabled={training || trainable.length === 0}
            onClick={() => props.onTrain(trainable)}
          >
            Train All
          </button>
        </div>
      </div>

      {designs.length > 1 && (
        <div className="tabs" role="tablist" aria-label="Designs">
          {designs.map((d, i) => (
            <button
              key={d.index}
              ref={(el) => {
                tabRefs.current[i] = el;
              }}
              type="button"
              role="tab"
              id={`${ids}-tab-${d.index}`}
              aria-selected={d === active}
              aria-controls={`${ids}-panel`}
              tabIndex={d === active ? 0 : -1}
              className={`tab${d === active ? " active" : ""}`}
              onClick={() => props.onActiveDesignChange(d.index)}
              onKeyDown={onTabKey}
            >
              {d.label || `Design ${d.index + 1}`}
              {d.error && <span className="badge warn">!</span>}
            </button>
          ))}
        </div>
      )}

      <div
        id={`${ids}-panel`}
        role={designs.length > 1 ? "tabpanel" : undefined}
        aria-labelledby={designs.length > 1 ? `${ids}-tab-${active.index}` : undefined}
      >
        <p className="muted small design-meta">
          {designs.length === 1 && <>{active.label || active.provider} · </>}
          {active.model && <>{active.model} · </>}
          {active.cached ? "reused from an earlier design of this prompt" : "new design"}
        </p>
        {active.error && (
          <p className="alert warn" role="alert">
            {active.error}
          </p>
        )}
        {error && (
          <p className="alert error" role="alert">
            {error}
          </p>
        )}
        {active.approaches.length === 0 ? (
          <p className="empty">This design has no approaches.</p>
        ) : (
          <div className="card-grid">
            {active.approaches.map((a) => (
              <ApproachCard
                key={a.id}
                approach={a}
                job={latestTrain.get(a.id) ?? null}
                training={training}
                refining={props.refiningJobId != null && props.refiningJobId === latestTrain.get(a.id)?.id}
                onTrain={() => props.onTrain([a.id])}
                onRefine={props.onRefine}
                maxRefineChars={props.maxRefineChars}
              />
            ))}
          </div>
        )}
      </div>
    </section>
  );
}

type CardProps = {
  approach: Approach;
  job: Job | null;
  training: boolean;
  refining: boolean;
  onTrain: () => void;
  onRefine: (jobId: number, words: string) => void;
  maxRefineChars?: number;
};

function ApproachCard({ approach: a, job, training, refining, onTrain, onRefine, maxRefineChars }: CardProps) {
  const [words, setWords] = useState("");
  const ids = useId();
  const busy = job != null && ACTIVE_STATUSES.includes(job.status);
  const done = job?.status === "done";

  const refine = (e: FormEvent) => {
    e.preventDefault();
    if (job && !refining) onRefine(job.id, words.trim());
  };

  return (
    <article className="card approach-card" aria-labelledby={`${ids}-name`}>
      <div className="card-top">
        <span className="eyebrow">Approach {a.index + 1}</span>
        {a.fallback && (
          <span className="badge warn" title={a.notes.join("\n") || "A fallback approach"}>
            fallback
          </span>
        )}
        {job && <span className={`badge status-${job.status}`}>{statusText({ ...job, error: null })}</span>}
      </div>
      <h3 id={`${ids}-name`}>{a.name}</h3>
      <p className="summary">{a.summary}</p>
      {(a.body ?? []).length > 0 && (
        <ul className="body-notes small" data-testid="body-notes">
          {(a.body ?? []).map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {a.rehearsing && !a.rehearsal && (
        <p className="rehearsal small pending" data-testid="rehearsal">
          <Spinner small /> Rehearsing: playing the prior in MuJoCo…
        </p>
      )}
      {a.rehearsal && (
        <p className={`rehearsal small ${a.rehearsal.stands ? "ok" : "warn"}`} data-testid="rehearsal">
          {a.rehearsal.note}
        </p>
      )}
      {a.fallback && a.notes.length > 0 && (
        <ul className="notes small">
          {a.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {a.motion && a.motion.length > 0 && (
        <div className="motion-prior small">
          <span className="eyebrow">Motion prior</span>
          <ul>
            {a.motion.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
        </div>
      )}
      {a.success && a.success.length > 0 && (
        <p className="success-check small">
          <span className="eyebrow">Success check</span> {a.success.join(" and ")}
        </p>
      )}
      <details className="terms">
        <summary>Reward terms ({a.terms.length})</summary>
        <ul>
          {a.terms.map((t, i) => (
            <li key={i}>
              <span className="term-label">{t.label || t.term}</span>
              <span className="term-weight" title="weight">
                ×{formatNumber(t.weight)}
              </span>
              {t.expr && <code className="term-expr">{t.expr}</code>}
            </li>
          ))}
        </ul>
      </details>
      <div className="card-actions">
        <button type="button" className="btn" disabled={training || busy} onClick={onTrain}>
          Train This
        </button>
      </div>
      {done && job && (
        <form className="refine" onSubmit={refine}>
          <label htmlFor={`${ids}-words`} className="small">
            Refine from this result
          </label>
          <div className="inline">
            <input
              id={`${ids}-words`}
              type="text"
              maxLength={maxRefineChars}
              placeholder="more hips, less jumping"
              value={words}
              onChange={(e) => setWords(e.target.value)}
            />
            <button type="submit" className="btn" disabled={refining} aria-busy={refining}>
              {refining && <Spinner small />}
              Refine
            </button>
          </div>
        </form>
      )}
    </article>
  );
}
