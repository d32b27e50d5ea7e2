import { useCallback, useEffect, useId, useRef, useState } from "react";
import { mediaUrl, sessionZipUrl, type Approach, type Job, type Verdict } from "../api";
import type { CurvePoint } from "../curves";
import { formatValue, humanizeKey } from "../format";
import { TrainingChart } from "./TrainingChart";
import { StartLine, startVsTrainedOf } from "./StartLine";
import { VerdictLine } from "./VerdictLine";

export type ComparisonItem = { job: Job; approach: Approach; curve?: CurvePoint[] };

type Props = {
  sessionId: string;
  items: ComparisonItem[];
  /** How many videos make the set complete; when they are all there, they start playing together. */
  expected: number;
  title?: string;
};

/** Videos further apart than this (seconds) are brought back in step. */
export const MAX_DRIFT_S = 0.15;
const READY_TIMEOUT_MS = 10_000;
const HAVE_FUTURE_DATA = 3;

const PREFERRED_METRICS = [
  "mean_reward",
  "forward_speed_mps",
  "lateral_speed_mps",
  "yaw_rate_radps",
  "base_height_mean_m",
  "upright_fraction",
  "falls",
  "drift_m",
];
const HIDDEN_METRICS = new Set(["video_frames", "fps", "width", "height"]);

function scalarMetrics(metrics: Job["metrics"]): [string, number | string | boolean][] {
  if (!metrics) return [];
  return Object.entries(metrics).filter(
    (e): e is [string, number | string | boolean] =>
      typeof e[1] === "number" || typeof e[1] === "string" || typeof e[1] === "boolean",
  );
}

/** The verdict inside a job's metrics (older servers send it only there). */
function verdictOf(metrics: Job["metrics"]): Verdict | null {
  const v = metrics?.verdict as Verdict | null | undefined;
  return v && typeof v === "object" && Array.isArray(v.checks) ? v : null;
}

/** Focus that came from the keyboard (a click on the video focuses it too, but then the mouse shows the sheet). */
function focusVisible(element: Element): boolean {
  try {
    return element.matches(":focus-visible");
  } catch {
    return true; // a browser without :focus-visible: any focus
  }
}

/** Resolves once the video can play from where it stands (or after a timeout: then play() decides). */
function whenReady(video: HTMLVideoElement, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve) => {
    const events = ["canplay", "canplaythrough", "seeked", "loadeddata", "error"];
    const done = () => {
      events.forEach((e) => video.removeEventListener(e, check));
      clearTimeout(timer);
      resolve();
    };
    function check() {
      if (video.error || (!video.seeking && video.readyState >= HAVE_FUTURE_DATA)) done();
    }
    events.forEach((e) => video.addEventListener(e, check));
    const timer = setTimeout(done, timeoutMs);
    check();
  });
}

export function VideoComparison({ sessionId, items, expected, title }: Props) {
  const ids = useId();
  const videos = useRef(new Map<number, HTMLVideoElement>());
  const ourSeeks = useRef(new WeakSet<HTMLVideoElement>());
  const orchestrating = useRef(0);
  const autoplayedKey = useRef<string | null>(null);
  const [loop, setLoop] = useState(true);
  const [playing, setPlaying] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The contact sheet (ten frames in one image): over the video while it is hovered or focused from
  // the keyboard, and under it while its "Frames" button is pressed.
  const [previewed, setPreviewed] = useState<number | null>(null);
  const [pinned, setPinned] = useState<ReadonlySet<number>>(new Set());
  const togglePinned = (jobId: number) =>
    setPinned((p) => {
      const next = new Set(p);
      if (!next.delete(jobId)) next.add(jobId);
      return next;
    });
  const endPreview = (jobId: number) => setPreviewed((p) => (p === jobId ? null : p));
  // One video can be enlarged to the section's full width; the others stay below it, still in step
  // (the same video elements: only their layout changes, so playback is never interrupted).
  const [enlargedId, setEnlargedId] = useState<number | null>(null);
  const enlarged = items.some((i) => i.job.id === enlargedId) ? enlargedId : null;
  const toggleEnlarged = (jobId: number) => {
    const next = enlarged === jobId ? null : jobId;
    setEnlargedId(next);
    const card = videos.current.get(next ?? jobId)?.closest("figure");
    requestAnimationFrame(() => card?.scrollIntoView?.({ block: "nearest", behavior: "smooth" }));
  };

  const ordered = useCallback(
    () => items.map((i) => videos.current.get(i.job.id)).filter((v): v is HTMLVideoElement => !!v),
    [items],
  );

  const seekTo = (video: HTMLVideoElement, t: number) => {
    const end = Number.isFinite(video.duration) && video.duration > 0 ? Math.max(0, video.duration - 0.05) : Infinity;
    const target = Math.max(0, Math.min(t, end));
    if (Math.abs(video.currentTime - target) < 0.01) return;
    ourSeeks.current.add(video);
    try {
      video.currentTime = target;
    } catch {
      ourSeeks.current.delete(video);
    }
  };

  const playAll = useCallback(
    async (from?: number) => {
      const all = ordered();
      const lead = all[0];
      if (!lead) return;
      orchestrating.current += 1;
      setError(null);
      try {
        all.forEach((v) => v.pause());
        const atEnd = lead.ended || (Number.isFinite(lead.duration) && lead.currentTime >= lead.duration - 0.05);
        const t = from ?? (atEnd ? 0 : lead.currentTime);
        all.forEach((v) => seekTo(v, t));
        await Promise.all(all.map((v) => whenReady(v)));
        const results = await Promise.allSettled(all.map((v) => Promise.resolve(v.play())));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) {
          const reason: unknown = failed.reason;
          setError(`A video would not play: ${reason instanceof Error ? reason.message : String(reason)}`);
        }
        setPlaying(results.some((r) => r.status === "fulfilled"));
      } finally {
        orchestrating.current -= 1;
      }
    },
    [ordered],
  );

  const pauseAll = () => {
    orchestrating.current += 1;
    try {
      ordered().forEach((v) => v.pause());
    } finally {
      orchestrating.current -= 1;
    }
    setPlaying(false);
  };

  // When the whole set has arrived, start it (muted) from the beginning, together.
  const key = items.map((i) => `${i.job.id}:${i.job.video_url}`).join("|");
  useEffect(() => {
    if (expected <= 0 || items.length < expected || autoplayedKey.current === key) return;
    autoplayedKey.current = key;
    void playAll(0);
  }, [key, items.length, expected, playAll]);

  // A person seeked one video (native controls): take the others along.
  const onSeeked = (video: HTMLVideoElement) => {
    if (ourSeeks.current.has(video)) {
      ourSeeks.current.delete(video);
      return;
    }
    if (orchestrating.current) return;
    ordered().forEach((o) => {
      if (o !== video) seekTo(o, video.currentTime);
    });
  };

  // The first video leads: others that drift too far are put back in step.
  const onTimeUpdate = (video: HTMLVideoElement) => {
    const all = ordered();
    if (video !== all[0] || video.paused || video.seeking || orchestrating.current) return;
    for (const o of all.slice(1)) {
      if (o.paused || o.seeking || o.ended) continue;
      if (Math.abs(o.currentTime - video.currentTime) > MAX_DRIFT_S) seekTo(o, video.currentTime);
    }
  };

  const onPlay = (video: HTMLVideoElement) => {
    if (orchestrating.current) return;
    setPlaying(true);
    ordered().forEach((o) => {
      if (o !== video && o.paused) {
        seekTo(o, video.currentTime);
        Promise.resolve(o.play()).catch(() => undefined);
      }
    });
  };

  const onPause = (video: HTMLVideoElement) => {
    if (orchestrating.current || video.ended) return;
    const others = ordered().filter((o) => o !== video && !o.paused);
    if (others.length === 0) {
      setPlaying(false);
      return;
    }
    orchestrating.current += 1;
    try {
      others.forEach((o) => o.pause());
    } finally {
      orchestrating.current -= 1;
    }
    setPlaying(false);
  };

  const fullScreen = (jobId: number) => {
    const video = videos.current.get(jobId);
    if (!video) return;
    const request: (() => Promise<void> | void) | undefined =
      video.requestFullscreen?.bind(video) ??
      (video as HTMLVideoElement & { webkitEnterFullscreen?: () => void }).webkitEnterFullscreen?.bind(video);
    try {
      const result = request?.();
      if (result instanceof Promise) {
        result.catch((e: unknown) => setError(`Full screen was refused: ${String(e)}`));
      }
    } catch (e) {
      setError(`Full screen was refused: ${String(e)}`);
    }
  };

  if (items.length === 0) return null;

  return (
    <div
      className="comparison"
      aria-labelledby={`${ids}-title`}
      role="group"
      onKeyDown={(e) => {
        if (e.key === "Escape" && enlarged !== null) setEnlargedId(null);
      }}
    >
      {title && (
        <h3 id={`${ids}-title`} className="comparison-title">
          {title}
        </h3>
      )}
      <div className={`video-grid n${items.length}${enlarged !== null ? " has-enlarged" : ""}`}>
        {items.map(({ job, approach, curve }) => {
          const metrics = scalarMetrics(job.metrics);
          const shown = PREFERRED_METRICS.flatMap((k) => metrics.filter(([m]) => m === k)).slice(0, 6);
          const rest = metrics.filter(([k]) => !shown.some(([s]) => s === k) && !HIDDEN_METRICS.has(k));
          const { width, height } = job.metrics ?? {};
          const aspect = typeof width === "number" && typeof height === "number" && width > 0 && height > 0
            ? `${width} / ${height}`
            : undefined;
          const sheetAlt = `Ten frames of the video of approach ${approach.index + 1}, ${approach.name}, in order`;
          return (
            <figure
              key={job.id}
              className={`card video-card${enlarged === job.id ? " enlarged" : ""}`}
              data-testid="video-card"
              data-enlarged={enlarged === job.id}
            >
              <div
                className="video-frame"
                style={aspect ? { aspectRatio: aspect } : undefined}
                onMouseEnter={() => setPreviewed(job.id)}
                onMouseLeave={() => endPreview(job.id)}
                onFocus={(e) => {
                  if (focusVisible(e.target)) setPreviewed(job.id);
                }}
                onBlur={() => endPreview(job.id)}
              >
                <video
                  data-testid="comparison-video"
                  data-job-id={job.id}
                  ref={(el) => {
                    if (el) videos.current.set(job.id, el);
                    else videos.current.delete(job.id);
                  }}
                  src={mediaUrl(job.video_url!)}
                  poster={job.poster_url ? mediaUrl(job.poster_url) : undefined}
                  muted
                  playsInline
                  preload="auto"
                  loop={loop}
                  controls
                  tabIndex={0} // focusable in every browser: keyboard focus shows the contact sheet
                  aria-label={`Video of approach ${approach.index + 1}: ${approach.name}`}
                  onSeeked={(e) => onSeeked(e.currentTarget)}
                  onTimeUpdate={(e) => onTimeUpdate(e.currentTarget)}
                  onPlay={(e) => onPlay(e.currentTarget)}
                  onPause={(e) => onPause(e.currentTarget)}
                />
                {job.sheet_url && previewed === job.id && !pinned.has(job.id) && (
                  <img
                    className="contact-sheet preview"
                    data-testid="contact-sheet"
                    src={mediaUrl(job.sheet_url)}
                    alt={sheetAlt}
                  />
                )}
              </div>
              {job.sheet_url && pinned.has(job.id) && (
                <img className="contact-sheet" data-testid="contact-sheet" src={mediaUrl(job.sheet_url)} alt={sheetAlt} />
              )}
              <figcaption>
                <div className="video-caption">
                  <span className="eyebrow">Approach {approach.index + 1}</span>
                  <strong>{approach.name}</strong>
                  {job.kind === "render" && <span className="badge subtle">re-rendered</span>}
                </div>
                <VerdictLine verdict={job.verdict ?? verdictOf(job.metrics)} />
                <StartLine comparison={startVsTrainedOf(job)} />
                {shown.length > 0 && <MetricList entries={shown} />}
                {rest.length > 0 && (
                  <details className="more-metrics small">
                    <summary>All metrics</summary>
                    <MetricList entries={rest} />
                  </details>
                )}
                {curve && curve.length > 0 && <TrainingChart points={curve} label={approach.name} height={120} />}
                <div className="video-actions">
                  <a
                    className="btn small"
                    href={mediaUrl(job.video_url!, { download: "true" })}
                    download
                    aria-label={`Download video of ${approach.name}`}
                  >
                    Download
                  </a>
                  {job.policy_url && (
                    <a
                      className="btn small"
                      href={mediaUrl(job.policy_url)}
                      download
                      aria-label={`Download policy of ${approach.name}`}
                    >
                      Policy
                    </a>
                  )}
                  {job.sheet_url && (
                    <button
                      type="button"
                      className="btn small"
                      aria-pressed={pinned.has(job.id)}
                      onClick={() => togglePinned(job.id)}
                      aria-label={`Frames of ${approach.name}: ten stills of its video`}
                    >
                      Frames
                    </button>
                  )}
                  {items.length > 1 && (
                    <button
                      type="button"
                      className="btn small"
                      aria-pressed={enlarged === job.id}
                      onClick={() => toggleEnlarged(job.id)}
                      aria-label={
                        enlarged === job.id ? `Back to side by side: ${approach.name}` : `Enlarge: ${approach.name}`
                      }
                    >
                      {enlarged === job.id ? "Side by side" : "Enlarge"}
                    </button>
                  )}
                  <button
                    type="button"
                    className="btn small"
                    onClick={() => fullScreen(job.id)}
                    aria-label={`Full screen: ${approach.name}`}
                  >
                    Full screen
                  </button>
                </div>
              </figcaption>
            </figure>
          );
        })}
      </div>
      <div className="video-controls">
        <button type="button" className="btn primary" onClick={() => void playAll()}>
          Play All
        </button>
        <button type="button" className="btn" onClick={pauseAll} data-playing={playing}>
          Pause
        </button>
        <button type="button" className="btn" aria-pressed={loop} onClick={() => setLoop((l) => !l)}>
          Loop
        </button>
        <a className="btn" href={sessionZipUrl(sessionId)} download>
          Download All
        </a>
        {items.length < expected && (
          <span className="muted small">
            {items.length} of {expected} videos so far; they start together when all are here.
          </span>
        )}
      </div>
      {error && (
        <p className="alert error small" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function MetricList({ entries }: { entries: [string, number | string | boolean][] }) {
  return (
    <dl className="metrics">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{humanizeKey(k)}</dt>
          <dd>{formatValue(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
