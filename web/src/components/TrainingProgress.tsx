import { useId } from "react";
import { ACTIVE_STATUSES, RESTARTABLE_STATUSES, type Approach, type Job } from "../api";
import { formatDuration, formatInt, formatNumber, jobPercent, statusText } from "../format";
import type { ConnectionState } from "../useEvents";
import type { CurvePoint, Curves } from "../curves";
import { ConnectionIndicator } from "./ConnectionIndicator";
import { TrainingChart } from "./TrainingChart";

type Props = {
  jobs: Job[];
  approaches: Map<number, Approach>;
  /** Design labels by design index, shown when a session has several designs. */
  designLabels?: Map<number, string>;
  connection: ConnectionState;
  onCancel: (job: Job) => void;
  onRestart: (job: Job) => void;
  pending: Set<number>;
  errors: Map<number, string>;
  /** Training curves by job id (rewards and term shares per update). */
  curves?: Curves;
};

export function jobTitle(job: Job, approach: Approach | undefined, designLabel?: string): string {
  const base = approach ? `Approach ${approach.index + 1}: ${approach.name}` : `Job ${job.id}`;
  const design = designLabel ? ` · ${designLabel}` : "";
  return job.kind === "render" ? `${base} (new video)${design}` : `${base}${design}`;
}

export function TrainingProgress({ jobs, approaches, designLabels, connection, onCancel, onRestart, pending, errors, curves }: Props) {
  const ids = useId();
  const sorted = [...jobs].sort((a, b) => a.id - b.id);
  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <div className="panel-head">
        <h2 id={`${ids}-title`}>Training Progress</h2>
        <ConnectionIndicator state={connection} />
      </div>
      {sorted.length === 0 ? (
        <p className="empty">No training yet: press “Train This” or “Train All”.</p>
      ) : (
        <ul className="progress-list">
          {sorted.map((job) => {
            const approach = approaches.get(job.approach_id);
            const label = approach && designLabels && designLabels.size > 1 ? designLabels.get(approach.design) : undefined;
            return (
              <ProgressRow
                key={job.id}
                job={job}
                title={jobTitle(job, approach, label)}
                busy={pending.has(job.id)}
                error={errors.get(job.id) ?? null}
                curve={curves?.[job.id]}
                onCancel={() => onCancel(job)}
                onRestart={() => onRestart(job)}
              />
            );
          })}
        </ul>
      )}
    </section>
  );
}

type RowProps = {
  job: Job;
  title: string;
  busy: boolean;
  error: string | null;
  onCancel: () => void;
  onRestart: () => void;
  curve?: CurvePoint[];
};

function ProgressRow({ job, title, busy, error, onCancel, onRestart, curve }: RowProps) {
  const id = useId();
  const percent = jobPercent(job);
  const status = statusText(job);
  const active = ACTIVE_STATUSES.includes(job.status);
  const restartable = RESTARTABLE_STATUSES.includes(job.status);
  return (
    <li className={`progress-row status-${job.status}`} data-job-id={job.id}>
      <div className="progress-title" id={`${id}-title`}>
        {title}
      </div>
      <div className="progress-main">
        <div
          className="bar"
          role="progressbar"
          aria-labelledby={`${id}-title`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-valuetext={`${percent}% ${status}`}
        >
          <div className="bar-fill" style={{ width: `${percent}%` }} />
        </div>
        <span className="percent">{percent}%</span>
        <span className="status-text" title={status}>
          {status}
        </span>
      </div>
      <div className="progress-meta small muted">
        {job.kind === "train" && job.total_steps > 0 && (
          <span>
            {formatInt(job.steps_done)} / {formatInt(job.total_steps)} steps
          </span>
        )}
        {active && job.eta_s != null && job.eta_s > 0 && <span>{formatDuration(job.eta_s)} left</span>}
        {job.mean_reward != null && <span>episode reward {formatNumber(job.mean_reward)}</span>}
      </div>
      {job.kind === "train" && curve && curve.length > 0 && <TrainingChart points={curve} label={title} height={120} />}
      <div className="progress-actions">
        {active && (
          <button type="button" className="btn small" onClick={onCancel} disabled={busy} aria-label={`Cancel ${title}`}>
            Cancel
          </button>
        )}
        {restartable && (
          <button type="button" className="btn small" onClick={onRestart} disabled={busy} aria-label={`Restart ${title}`}>
            Restart
          </button>
        )}
      </div>
      {error && (
        <p className="alert error small" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
