import type { Verdict } from "../api";
import { formatNumber } from "../format";

/** ✓ or ✗ under a video: the approach's own success check with every measured figure. */
export function VerdictLine({ verdict }: { verdict: Verdict | null | undefined }) {
  if (!verdict || verdict.checks.length === 0) return null;
  const label = verdict.passed ? "Success check passed" : "Success check failed";
  return (
    <div className={`verdict ${verdict.passed ? "pass" : "fail"}`} data-testid="verdict" aria-label={label}>
      <span className="verdict-mark" aria-hidden="true">
        {verdict.passed ? "✓" : "✗"}
      </span>
      <ul className="verdict-checks">
        {verdict.checks.map((c) => (
          <li key={c.check} className={c.passed ? "pass" : "fail"}>
            {c.text ? (
              <span className="verdict-text">{c.text}</span>
            ) : (
              <FigureWords check={c} />
            )}
            <span className="sr-only">{c.passed ? " passed" : " failed"}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A check without its words (a run measured before they existed): the metric's name and figures. */
function FigureWords({ check: c }: { check: Verdict["checks"][number] }) {
  return (
    <>
      <span className="verdict-subject">{c.subject}</span>{" "}
      <strong>
        {formatNumber(c.measured)}
        {c.unit ? ` ${c.unit}` : ""}
      </strong>{" "}
      <span className="muted">
        ({c.passed ? "" : "need "}
        {c.op.replace(">=", "≥").replace("<=", "≤")} {formatNumber(c.value)})
      </span>
    </>
  );
}
