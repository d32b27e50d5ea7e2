import { useId } from "react";
import type { SessionSummary } from "../api";
import { formatDate, formatInt } from "../format";
import { ErrorAlert } from "./ErrorAlert";

type Props = {
  sessions: SessionSummary[] | null;
  loading: boolean;
  error: string | null;
  currentId: string | null;
  onOpen: (id: string) => void;
  onRefresh: () => void;
  onNew: () => void;
};

export function PastSessions({ sessions, loading, error, currentId, onOpen, onRefresh, onNew }: Props) {
  const ids = useId();
  return (
    <section id="past-sessions" tabIndex={-1} className="panel sessions-panel" aria-labelledby={`${ids}-title`}>
      <div className="panel-head">
        <h2 id={`${ids}-title`}>Past Sessions</h2>
        <div className="actions">
          <button type="button" className="btn small" onClick={onRefresh} disabled={loading}>
            Refresh
          </button>
          <button type="button" className="btn small" onClick={onNew} disabled={!currentId}>
            New session
          </button>
        </div>
      </div>
      {error && (
        <ErrorAlert message={`Could not load the sessions: ${error}`} action="Retry" onAction={onRefresh} small />
      )}
      {!error && loading && !sessions && <p className="muted small">Loading…</p>}
      {sessions && sessions.length === 0 && <p className="empty small">No sessions yet.</p>}
      {sessions && sessions.length > 0 && (
        <ul className="session-list">
          {sessions.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className={`session-item${s.id === currentId ? " current" : ""}`}
                aria-current={s.id === currentId ? "true" : undefined}
                onClick={() => onOpen(s.id)}
              >
                <span className="session-prompt">{s.prompt}</span>
                <span className="session-meta small muted">
                  <span>{s.model_id}</span>
                  <span>{formatDate(s.created_at)}</span>
                  <span>
                    {s.jobs_done}/{s.jobs_total} done · {formatInt(s.num_steps)} steps
                  </span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
