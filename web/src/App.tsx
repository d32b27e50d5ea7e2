import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  api,
  errorMessage,
  getToken,
  onUnauthorized,
  setToken,
  type Approach,
  type Estimate,
  type Info,
  type Job,
  type JobEvent,
  type Model,
  type Provider,
  type Session,
  type SessionSummary,
} from "./api";
import { ApproachCards } from "./components/ApproachCards";
import { BehaviorForm, DEFAULT_STEPS } from "./components/BehaviorForm";
import { ConnectionIndicator } from "./components/ConnectionIndicator";
import { ErrorAlert } from "./components/ErrorAlert";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { ModelGallery } from "./components/ModelGallery";
import { PastSessions } from "./components/PastSessions";
import { TokenForm } from "./components/TokenForm";
import { TrainingProgress } from "./components/TrainingProgress";
import { VideoComparison, type ComparisonItem } from "./components/VideoComparison";
import { applyEvent, parseCurvesCsv, type Curves } from "./curves";
import { useSessionEvents } from "./useEvents";

const VIDEOS_PER_DESIGN = 3;

export function sessionIdFromHash(hash: string): string | null {
  const match = /^#?session=([^&]+)/.exec(hash);
  return match ? decodeURIComponent(match[1]!) : null;
}

function writeHash(sessionId: string | null) {
  const { pathname, search } = window.location;
  const next = sessionId ? `${pathname}${search}#session=${encodeURIComponent(sessionId)}` : `${pathname}${search}`;
  if (next !== `${pathname}${search}${window.location.hash}`) window.history.replaceState(window.history.state, "", next);
}

/** Adds or replaces a job; `onlyNew` keeps a state already heard from the live events. */
export function upsertJob(jobs: Job[], job: Job, onlyNew = false): Job[] {
  const i = jobs.findIndex((j) => j.id === job.id);
  if (i < 0) return [...jobs, job];
  if (onlyNew) return jobs;
  const next = jobs.slice();
  next[i] = job;
  return next;
}

/** Per design, the newest finished video of each approach, in approach order. */
export function comparisonGroups(session: Session, jobs: Job[]) {
  const latestDone = new Map<number, Job>();
  for (const job of [...jobs].sort((a, b) => a.id - b.id)) {
    if (job.session_id === session.id && job.status === "done" && job.video_url) latestDone.set(job.approach_id, job);
  }
  return session.designs
    .map((design) => {
      const approaches = design.approaches.slice(0, VIDEOS_PER_DESIGN);
      const items: ComparisonItem[] = approaches
        .filter((a) => latestDone.has(a.id))
        .map((a) => ({ approach: a, job: latestDone.get(a.id)! }));
      return { design, items, expected: approaches.length };
    })
    .filter((g) => g.items.length > 0);
}

export function App() {
  // -- access
  const [epoch, setEpoch] = useState(0);
  const [needToken, setNeedToken] = useState(false);
  const [tokenRejected, setTokenRejected] = useState(false);

  // -- what the server offers
  const [info, setInfo] = useState<Info | null>(null);
  const [infoError, setInfoError] = useState<string | null>(null);
  const [models, setModels] = useState<Model[] | null>(null);
  const [modelsLoading, setModelsLoading] = useState(true);
  const [modelsError, setModelsError] = useState<string | null>(null);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [sessionsLoading, setSessionsLoading] = useState(false);
  const [sessionsError, setSessionsError] = useState<string | null>(null);

  // -- the form
  const [modelId, setModelId] = useState<string | null>(null);
  const [prompt, setPrompt] = useState("");
  const [steps, setSteps] = useState(DEFAULT_STEPS.default);
  const stepsChosen = useRef(false);
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [selectedProviders, setSelectedProviders] = useState<string[]>([]);
  const [fresh, setFresh] = useState(false);
  const [configuring, setConfiguring] = useState(false);
  const [configureError, setConfigureError] = useState<string | null>(null);

  // -- the session
  const [session, setSession] = useState<Session | null>(null);
  const sessionRef = useRef<string | null>(null);
  sessionRef.current = session?.id ?? null;
  const [jobs, setJobs] = useState<Job[]>([]);
  const [curves, setCurves] = useState<Curves>({});
  const curvesFetched = useRef(new Set<number>());
  const [activeDesign, setActiveDesign] = useState(0);
  const [opening, setOpening] = useState<string | null>(null);
  const [openError, setOpenError] = useState<string | null>(null);
  const [training, setTraining] = useState(false);
  const [approachError, setApproachError] = useState<string | null>(null);
  const [refiningJobId, setRefiningJobId] = useState<number | null>(null);
  const [pendingJobs, setPendingJobs] = useState<Set<number>>(new Set());
  const [jobErrors, setJobErrors] = useState<Map<number, string>>(new Map());

  useEffect(
    () =>
      onUnauthorized(() => {
        setTokenRejected(getToken() !== null);
        setNeedToken(true);
      }),
    [],
  );

  // -- loading what the page needs
  const loadInfo = useCallback(() => {
    setInfoError(null);
    api
      .info()
      .then((i) => {
        setInfo(i);
        if (i.token_required && !getToken()) setNeedToken(true);
        if (!stepsChosen.current) setSteps(i.steps.default);
        else setSteps((s) => Math.min(i.steps.max, Math.max(i.steps.min, s)));
      })
      .catch((e) => setInfoError(errorMessage(e)));
  }, []);

  // The time under the slider: measured on this machine for the chosen robot and steps (debounced while sliding).
  useEffect(() => {
    if (!modelId || !info) return;
    let stale = false;
    const timer = setTimeout(() => {
      api
        .estimate(modelId, steps, 3)
        .then((e) => !stale && setEstimate(e))
        .catch(() => !stale && setEstimate(null));
    }, 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [modelId, steps, info]);

  const loadModels = useCallback(() => {
    setModelsLoading(true);
    setModelsError(null);
    api
      .models()
      .then(setModels)
      .catch((e) => setModelsError(errorMessage(e)))
      .finally(() => setModelsLoading(false));
  }, []);

  const loadProviders = useCallback(() => {
    api
      .providers()
      .then((p) => {
        setProviders(p.providers);
        const preferred = p.providers.find((x) => x.default && x.ready);
        setSelectedProviders((current) => (current.length === 0 && preferred ? [preferred.name] : current));
      })
      .catch(() => setProviders([])); // the built-in designer still works
  }, []);

  const loadSessions = useCallback(() => {
    setSessionsLoading(true);
    api
      .sessions()
      .then((s) => {
        setSessions(s);
        setSessionsError(null);
      })
      .catch((e) => setSessionsError(errorMessage(e)))
      .finally(() => setSessionsLoading(false));
  }, []);

  // -- sessions
  const applySession = useCallback((s: Session, restoreForm: boolean) => {
    setSession(s);
    setJobs(s.jobs);
    setApproachError(null);
    setJobErrors(new Map());
    const withApproaches = s.designs.filter((d) => d.approaches.length > 0);
    const last = withApproaches[withApproaches.length - 1] ?? s.designs[s.designs.length - 1];
    const first = withApproaches[0] ?? s.designs[0];
    setActiveDesign((restoreForm ? last : first)?.index ?? 0);
    if (restoreForm) {
      setModelId(s.model_id);
      setPrompt(s.prompt);
      setSteps(s.num_steps);
      stepsChosen.current = true;
    }
    writeHash(s.id);
  }, []);

  const openSession = useCallback(
    (id: string) => {
      setOpening(id);
      setOpenError(null);
      api
        .session(id)
        .then((s) => applySession(s, true))
        .catch((e) => setOpenError(`Could not open session ${id}: ${errorMessage(e)}`))
        .finally(() => setOpening(null));
    },
    [applySession],
  );

  const newSession = () => {
    setSession(null);
    setJobs([]);
    setCurves({});
    setApproachError(null);
    setOpenError(null);
    writeHash(null);
  };

  useEffect(() => {
    loadInfo();
    loadModels();
    loadProviders();
    loadSessions();
    const fromHash = sessionIdFromHash(window.location.hash);
    if (fromHash && fromHash !== sessionRef.current) openSession(fromHash);
  }, [epoch, loadInfo, loadModels, loadProviders, loadSessions, openSession]);

  useEffect(() => {
    const onHash = () => {
      const id = sessionIdFromHash(window.location.hash);
      if (id && id !== sessionRef.current) openSession(id);
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [openSession]);

  // -- live events
  const onEvent = useCallback(
    (event: JobEvent) => {
      if (event.session_id !== sessionRef.current) return;
      setJobs((js) => upsertJob(js, event.job));
      setCurves((c) => applyEvent(c, event));
      if (event.type === "done" || event.type === "failed") loadSessions();
    },
    [loadSessions],
  );
  const connection = useSessionEvents(session?.id ?? null, onEvent, epoch);

  // -- actions
  const submitToken = (token: string) => {
    setToken(token);
    setNeedToken(false);
    setTokenRejected(false);
    setEpoch((e) => e + 1);
  };

  const configure = () => {
    if (!modelId) return;
    setConfiguring(true);
    setConfigureError(null);
    api
      .configure({
        model_id: modelId,
        prompt: prompt.trim(),
        num_steps: steps,
        ...(selectedProviders.length > 0 ? { providers: selectedProviders } : {}),
        fresh,
      })
      .then((s) => {
        applySession(s, false);
        loadSessions();
      })
      .catch((e) => setConfigureError(errorMessage(e)))
      .finally(() => setConfiguring(false));
  };

  const [fromBase, setFromBase] = useState(true);
  const train = (approachIds: number[]) => {
    if (!session) return;
    setTraining(true);
    setApproachError(null);
    api
      .batch({ session_id: session.id, approach_ids: approachIds, num_steps: steps, from_base: fromBase })
      .then(({ jobs: created }) => {
        setJobs((js) => created.reduce((acc, job) => upsertJob(acc, job, true), js));
        loadSessions();
      })
      .catch((e) => setApproachError(errorMessage(e)))
      .finally(() => setTraining(false));
  };

  const refine = (jobId: number, words: string) => {
    setRefiningJobId(jobId);
    setApproachError(null);
    api
      .refine({
        job_id: jobId,
        ...(words ? { words } : {}),
        ...(selectedProviders[0] ? { provider: selectedProviders[0] } : {}),
      })
      .then((s) => {
        setSession(s);
        setJobs((js) => s.jobs.reduce((acc, job) => upsertJob(acc, job, true), js));
        const last = s.designs[s.designs.length - 1];
        if (last) setActiveDesign(last.index);
      })
      .catch((e) => setApproachError(`Refine failed: ${errorMessage(e)}`))
      .finally(() => setRefiningJobId(null));
  };

  const jobAction = (job: Job, action: (id: number) => Promise<Job>) => {
    setPendingJobs((p) => new Set(p).add(job.id));
    setJobErrors((m) => {
      const next = new Map(m);
      next.delete(job.id);
      return next;
    });
    action(job.id)
      .then((updated) => setJobs((js) => upsertJob(js, updated)))
      .catch((e) => setJobErrors((m) => new Map(m).set(job.id, errorMessage(e))))
      .finally(() =>
        setPendingJobs((p) => {
          const next = new Set(p);
          next.delete(job.id);
          return next;
        }),
      );
  };

  // -- derived
  const approaches = useMemo(() => {
    const map = new Map<number, Approach>();
    session?.designs.forEach((d) => d.approaches.forEach((a) => map.set(a.id, a)));
    return map;
  }, [session]);
  const designLabels = useMemo(
    () => new Map((session?.designs ?? []).map((d) => [d.index, d.label || `Design ${d.index + 1}`])),
    [session],
  );
  const groups = useMemo(
    () =>
      (session ? comparisonGroups(session, jobs) : []).map((g) => ({
        ...g,
        items: g.items.map((i) => ({ ...i, curve: curves[i.job.id] })),
      })),
    [session, jobs, curves],
  );
  const sessionJobs = useMemo(() => jobs.filter((j) => j.session_id === session?.id), [jobs, session]);

  // A finished job whose progress events are no longer in the log still has its curves.csv.
  useEffect(() => {
    for (const job of sessionJobs) {
      if (job.status !== "done" || !job.curves_url || curves[job.id]?.length || curvesFetched.current.has(job.id)) continue;
      curvesFetched.current.add(job.id);
      fetch(job.curves_url, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
        .then((text) => {
          const points = parseCurvesCsv(text);
          if (points.length) setCurves((c) => (c[job.id]?.length ? c : { ...c, [job.id]: points }));
        })
        .catch(() => undefined); // the chart is a bonus: the video and metrics are still there
    }
  }, [sessionJobs, curves]);

  return (
    <>
      <header className="app-header">
        <div className="header-inner">
          <a className="brand" href="#" onClick={(e) => e.preventDefault()} aria-label="TabRL Training Studio">
            <img src="/favicon.svg" alt="" width={28} height={28} />
            <h1>TabRL Training Studio</h1>
          </a>
          <div className="header-side">
            {session && <ConnectionIndicator state={connection} announce />}
            <button
              type="button"
              className="btn small narrow-only"
              onClick={() => {
                const panel = document.getElementById("past-sessions");
                panel?.scrollIntoView({ behavior: "smooth", block: "start" });
                panel?.focus({ preventScroll: true });
              }}
            >
              Past sessions
            </button>
            {info && <span className="muted small">v{info.version}</span>}
          </div>
        </div>
      </header>

      <main className="layout">
        <div className="main-col">
          {needToken && <TokenForm onSubmit={submitToken} rejected={tokenRejected} />}
          {infoError && !needToken && (
            <ErrorAlert message={`Could not reach the studio: ${infoError}`} action="Retry" onAction={loadInfo} />
          )}
          {openError && (
            <ErrorAlert message={openError} action="Dismiss" onAction={() => setOpenError(null)} small />
          )}
          {opening && (
            <p className="alert info" role="status">
              Opening session {opening}…
            </p>
          )}

          <ErrorBoundary title="The model gallery failed">
            <ModelGallery
              models={models}
              loading={modelsLoading}
              error={modelsError}
              onRetry={loadModels}
              selectedId={modelId}
              onSelect={(m) => setModelId(m.id)}
            />
          </ErrorBoundary>

          <ErrorBoundary title="The behavior form failed">
            <BehaviorForm
              info={info}
              estimate={estimate && estimate.model_id === modelId ? estimate : null}
              providers={providers}
              prompt={prompt}
              onPromptChange={setPrompt}
              steps={steps}
              onStepsChange={(s) => {
                stepsChosen.current = true;
                setSteps(s);
              }}
              selectedProviders={selectedProviders}
              onProvidersChange={setSelectedProviders}
              fresh={fresh}
              onFreshChange={setFresh}
              modelSelected={modelId !== null}
              busy={configuring}
              error={configureError}
              onSubmit={configure}
            />
          </ErrorBoundary>

          {session && (
            <ErrorBoundary title="The approaches failed to show">
              <p className="session-context muted small">
                Session <code>{session.id}</code> · {session.model_label} · “{session.prompt}”
              </p>
              <ApproachCards
                designs={session.designs}
                activeDesign={activeDesign}
                onActiveDesignChange={setActiveDesign}
                jobs={sessionJobs}
                onTrain={train}
                fromBase={fromBase}
                onFromBaseChange={setFromBase}
                onRefine={refine}
                training={training}
                refiningJobId={refiningJobId}
                error={approachError}
              />
            </ErrorBoundary>
          )}

          {session && (
            <ErrorBoundary title="The progress list failed">
              <TrainingProgress
                jobs={sessionJobs}
                approaches={approaches}
                designLabels={designLabels}
                connection={connection}
                onCancel={(job) => jobAction(job, api.cancel)}
                onRestart={(job) => jobAction(job, api.restart)}
                pending={pendingJobs}
                errors={jobErrors}
                curves={curves}
              />
            </ErrorBoundary>
          )}

          {session && groups.length > 0 && (
            <ErrorBoundary title="The video comparison failed">
              <section className="panel" aria-labelledby="comparison-title">
                <div className="panel-head">
                  <h2 id="comparison-title">Side-by-Side Comparison</h2>
                </div>
                {groups.map((g) => (
                  <VideoComparison
                    key={g.design.index}
                    sessionId={session.id}
                    items={g.items}
                    expected={g.expected}
                    title={session.designs.length > 1 ? g.design.label || `Design ${g.design.index + 1}` : undefined}
                  />
                ))}
              </section>
            </ErrorBoundary>
          )}
        </div>

        <aside className="side-col">
          <ErrorBoundary title="The session list failed">
            <PastSessions
              sessions={sessions}
              loading={sessionsLoading}
              error={sessionsError}
              currentId={session?.id ?? null}
              onOpen={openSession}
              onRefresh={loadSessions}
              onNew={newSession}
            />
          </ErrorBoundary>
        </aside>
      </main>
    </>
  );
}
