import type { ConnectionState } from "../useEvents";

const TEXT: Record<ConnectionState, string> = {
  idle: "No session",
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
  unauthorized: "Token needed",
};

/** `announce`: a live region for screen readers (one per page is enough). */
export function ConnectionIndicator({ state, announce = false }: { state: ConnectionState; announce?: boolean }) {
  return (
    <span
      className={`conn conn-${state}`}
      role={announce ? "status" : undefined}
      aria-live={announce ? "polite" : undefined}
      title="Live job updates"
    >
      <span className="dot" aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
