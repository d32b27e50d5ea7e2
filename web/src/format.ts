// Small formatting helpers shared by the components.
import type { Info, Job } from "./api";

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 50000 → "50,000" */
export function formatInt(n: number): string {
  return integer.format(n);
}

/** 100000 → "100k", 1500000 → "1.5M" */
export function formatCompact(n: number): string {
  if (Math.abs(n) >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** A duration in seconds for a person: "45 s", "1 min 20 s", "1 h 5 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) {
    const rest = s % 60;
    return rest ? `${m} min ${rest} s` : `${m} min`;
  }
  const h = Math.floor(m / 60);
  const restMin = m % 60;
  return restMin ? `${h} h ${restMin} min` : `${h} h`;
}

/** A number for display: integers with separators, others with up to 3 decimals (fewer for big values). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return formatInt(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  const text = new Intl.NumberFormat("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(n);
  return text === "-0" ? "0" : text; // a tiny negative that rounds to zero reads "0"
}

export function formatValue(v: number | string | boolean): string {
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "yes" : "no";
  return v;
}

/** "forward_speed_mps" → "Forward speed (m/s)" */
export function humanizeKey(key: string): string {
  const units: [string, string][] = [
    ["_mps", " (m/s)"],
    ["_radps", " (rad/s)"],
    ["_rad", " (rad)"],
    ["_m", " (m)"],
    ["_s", " (s)"],
    ["_hz", " (Hz)"],
  ];
  let unit = "";
  let base = key;
  for (const [suffix, label] of units) {
    if (key.endsWith(suffix)) {
      unit = label;
      base = key.slice(0, -suffix.length);
      break;
    }
  }
  const words = base.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1) + unit;
}

/** Time for one approach (worker start, compile, training, video) from the server's estimate. */
export function estimateSeconds(info: Pick<Info, "estimate">, steps: number): number {
  const { overhead_s, steps_per_s } = info.estimate;
  return overhead_s + (steps_per_s > 0 ? steps / steps_per_s : 0);
}

export function jobPercent(job: Pick<Job, "progress" | "status">): number {
  if (job.status === "done") return 100;
  const p = Number.isFinite(job.progress) ? job.progress : 0;
  return Math.max(0, Math.min(100, Math.round(p * 100)));
}

export function statusText(job: Pick<Job, "status" | "error" | "kind">): string {
  switch (job.status) {
    case "queued":
      return "Queued";
    case "running":
      return job.kind === "render" ? "Rendering…" : "Training…";
    case "rendering":
      return "Rendering…";
    case "done":
      return "Complete ✓";
    case "failed":
      return job.error ? `Failed: ${job.error}` : "Failed";
    case "cancelled":
      return "Cancelled";
    case "interrupted":
      return "Interrupted";
    default:
      return String(job.status);
  }
}

export function formatDate(iso: string): string {
  // The server writes naive UTC timestamps for some rows; read them as UTC.
  const hasZone = /[zZ]|[+-]\d\d:?\d\d$/.test(iso);
  const d = new Date(hasZone ? iso : `${iso}Z`);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
