import type { ConnectionState } from "../useEvents";

const TEXT: Record<ConnectionState, string> = {
  idle: "No session",
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
  unauthorized: "Token needed",
};

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <span className={`conn conn-${state}`} role="status" aria-live="polite" title="Live job updates">
      <span className="dot" aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
