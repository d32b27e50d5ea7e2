import { useId, useState } from "react";
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
  /** Deletes a session with its jobs and files; rejects with the server's reason (e.g. a job still runs). */
  onDelete: (id: string) => Promise<unknown>;
};

export function PastSessions({ sessions, loading, error, currentId, onOpen, onRefresh, onNew, onDelete }: Props) {
  const ids = useId();
  // One session at a time is asked about; its delete runs once confirmed, its refusal shows under it.
  const [confirming, setConfirming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<{ id: string; message: string } | null>(null);
  const remove = (id: string) => {
    setDeleting(id);
    setRefusal(null);
    onDelete(id)
      .then(() => setConfirming(null))
      .catch((e: unknown) => setRefusal({ id, message: e instanceof Error ? e.message : String(e) }))
      .finally(() => setDeleting(null));
  };
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
              {confirming === s.id ? (
                <div className="session-confirm small" role="group" aria-label={`Delete “${s.prompt}”?`}>
                  <span>Delete this session, its {s.jobs_total === 1 ? "job" : `${s.jobs_total} jobs`} and their files?</span>
                  <button
                    type="button"
                    className="btn small danger"
                    onClick={() => remove(s.id)}
                    disabled={deleting === s.id}
                  >
                    {deleting === s.id ? "Deleting…" : "Delete"}
                  </button>
                  <button
                    type="button"
                    className="btn small"
                    onClick={() => {
                      setConfirming(null);
                      setRefusal(null);
                    }}
                    disabled={deleting === s.id}
                  >
                    Keep
                  </button>
                </div>
              ) : (
                <button
                  type="button"
                  className="btn small session-delete"
                  aria-label={`Delete session “${s.prompt}”`}
                  onClick={() => {
                    setConfirming(s.id);
                    setRefusal(null);
                  }}
                >
                  Delete
                </button>
              )}
              {refusal?.id === s.id && (
                <p className="session-error small" role="alert">
                  Not deleted: {refusal.message}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
