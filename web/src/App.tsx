import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { api, errorMessage, getToken, onUnauthorized, setToken, type Approach, type Job, type Session } from "./api";
import { ApproachCards } from "./components/ApproachCards";
import { BehaviorForm } from "./components/BehaviorForm";
import { ConnectionIndicator } from "./components/ConnectionIndicator";
import { ErrorAlert } from "./components/ErrorAlert";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { ModelGallery } from "./components/ModelGallery";
import { PastSessions } from "./components/PastSessions";
import { TokenForm } from "./components/TokenForm";
import { TrainingProgress } from "./components/TrainingProgress";
import { VideoComparison, type ComparisonItem } from "./components/VideoComparison";
import { keys, useEstimate, useInfo, useModels, useProviders, useSessionList, useWarmUp } from "./queries";
import { initialModelId, storedModelId, storeModelId } from "./gallery";
import { sessionIdFromHash, useStudioSession } from "./useStudioSession";

/** Per design, the newest finished video of each approach, in approach order (a design holds /api/info's
 * `approaches` of them). */
export function comparisonGroups(session: Session, jobs: Job[]) {
  const latestDone = new Map<number, Job>();
  for (const job of [...jobs].sort((a, b) => a.id - b.id)) {
    if (job.session_id === session.id && job.status === "done" && job.video_url) latestDone.set(job.approach_id, job);
  }
  return session.designs
    .map((design) => {
      const approaches = design.approaches;
      const items: ComparisonItem[] = approaches
        .filter((a) => latestDone.has(a.id))
        .map((a) => ({ approach: a, job: latestDone.get(a.id)! }));
      return { design, items, expected: approaches.length };
    })
    .filter((g) => g.items.length > 0);
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function App() {
  const queryClient = useQueryClient();

  // -- access: a new token (epoch) asks the server for everything again
  const [epoch, setEpoch] = useState(0);
  const [refused, setRefused] = useState<"no" | "asked" | "rejected">("no");
  useEffect(() => onUnauthorized(() => setRefused(getToken() !== null ? "rejected" : "asked")), []);

  // -- what the server offers
  const info = useInfo();
  const models = useModels();
  const warmUp = useWarmUp();
  const providers = useProviders().data?.providers ?? [];
  const sessions = useSessionList();
  const needToken = refused !== "no" || (info.data?.token_required === true && !getToken());

  // -- the form
  // Until someone picks (or a session is opened): the stored choice, else the first featured robot
  // (Go1). A page opened on a session's address waits for the session's model instead.
  const [chosenModelId, setChosenModelId] = useState<string | null>(null);
  const [openedOnSession] = useState(() => sessionIdFromHash(window.location.hash) !== null);
  const modelList = models.data;
  const firstModelId = useMemo(
    () => (modelList && !openedOnSession ? initialModelId(modelList, storedModelId()) : null),
    [modelList, openedOnSession],
  );
  const modelId = chosenModelId ?? firstModelId;
  const setModelId = (id: string | null) => {
    setChosenModelId(id);
    storeModelId(id);
  };
  const [prompt, setPrompt] = useState("");
  const [chosenSteps, setChosenSteps] = useState<number | null>(null);
  const [chosenProviders, setChosenProviders] = useState<string[] | null>(null);
  const [fresh, setFresh] = useState(false);
  const [fromBase, setFromBase] = useState(true);
  // The server's range and default (/api/info); until it answers, only a session's own steps.
  const range = info.data?.steps;
  const steps = !range ? chosenSteps : chosenSteps === null ? range.default : clamp(chosenSteps, range.min, range.max);
  const preferred = providers.find((p) => p.default && p.ready);
  const selectedProviders = chosenProviders ?? (preferred ? [preferred.name] : []);
  const estimate = useEstimate(modelId, steps, info.data?.approaches ?? null);

  // -- the session
  const studio = useStudioSession({
    epoch,
    onOpened: (s) => {
      setModelId(s.model_id);
      setPrompt(s.prompt);
      setChosenSteps(s.num_steps);
    },
  });
  const { session, jobs, curves } = studio;

  const submitToken = (token: string) => {
    setToken(token);
    setRefused("no");
    setEpoch((e) => e + 1);
    void queryClient.invalidateQueries();
  };

  const configure = () => {
    if (!modelId) return;
    studio.configure({
      model_id: modelId,
      prompt: prompt.trim(),
      ...(steps !== null ? { num_steps: steps } : {}),
      ...(selectedProviders.length > 0 ? { providers: selectedProviders } : {}),
      fresh,
    });
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
  const groups = (session ? comparisonGroups(session, jobs) : []).map((g) => ({
    ...g,
    items: g.items.map((i) => ({ ...i, curve: curves[i.job.id] })),
  }));

  return (
    <>
      <header className="app-header">
        <div className="header-inner">
          <a className="brand" href="#" onClick={(e) => e.preventDefault()} aria-label="TabRL Training Studio">
            <img src="/favicon.svg" alt="" width={28} height={28} />
            <h1>TabRL Training Studio</h1>
          </a>
          <div className="header-side">
            {session && <ConnectionIndicator state={studio.connection} announce />}
            <button
              type="button"
              className="btn small"
              onClick={() => {
                const panel = document.getElementById("past-sessions");
                panel?.scrollIntoView({ behavior: "smooth", block: "start" });
                panel?.focus({ preventScroll: true });
              }}
            >
              Past sessions
            </button>
            {info.data && <span className="muted small">v{info.data.version}</span>}
          </div>
        </div>
      </header>

      <main className="layout">
        <div className="main-col">
          {needToken && <TokenForm onSubmit={submitToken} rejected={refused === "rejected"} />}
          {info.error && !needToken && (
            <ErrorAlert
              message={`Could not reach the studio: ${errorMessage(info.error)}`}
              action="Retry"
              onAction={() => void info.refetch()}
            />
          )}
          {studio.openError && (
            <ErrorAlert message={studio.openError} action="Dismiss" onAction={studio.dismissOpenError} small />
          )}
          {studio.opening && (
            <p className="alert info" role="status">
              Opening session {studio.opening}…
            </p>
          )}

          {warmUp && !warmUp.ready && (
            <p className="alert info" role="status" data-testid="warm-up">
              {warmUp.note}…
            </p>
          )}

          <ErrorBoundary title="The model gallery failed">
            <ModelGallery
              models={models.data ?? null}
              loading={models.isFetching}
              error={models.error ? errorMessage(models.error) : null}
              onRetry={() => void models.refetch()}
              selectedId={modelId}
              onSelect={(m) => setModelId(m.id)}
            />
          </ErrorBoundary>

          <ErrorBoundary title="The behavior form failed">
            <BehaviorForm
              info={info.data ?? null}
              estimate={estimate}
              providers={providers}
              prompt={prompt}
              onPromptChange={setPrompt}
              steps={steps}
              onStepsChange={setChosenSteps}
              selectedProviders={selectedProviders}
              onProvidersChange={setChosenProviders}
              fresh={fresh}
              onFreshChange={setFresh}
              modelSelected={modelId !== null}
              busy={studio.configuring}
              error={studio.configureError}
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
                activeDesign={studio.activeDesign}
                onActiveDesignChange={studio.setActiveDesign}
                jobs={jobs}
                onTrain={(ids) => studio.train(ids, steps, fromBase)}
                fromBase={fromBase}
                onFromBaseChange={setFromBase}
                onRefine={(jobId, words) => studio.refine(jobId, words, selectedProviders[0])}
                maxRefineChars={info.data?.max_refine_chars}
                training={studio.training}
                refiningJobId={studio.refiningJobId}
                error={studio.approachError}
              />
            </ErrorBoundary>
          )}

          {session && (
            <ErrorBoundary title="The progress list failed">
              <TrainingProgress
                jobs={jobs}
                approaches={approaches}
                designLabels={designLabels}
                connection={studio.connection}
                onCancel={studio.cancel}
                onRestart={studio.restart}
                pending={studio.pendingJobs}
                errors={studio.jobErrors}
                curves={curves}
              />
            </ErrorBoundary>
          )}

          {session && groups.length > 0 && (
            <ErrorBoundary title="The video comparison failed">
              <section className="panel comparison-panel" aria-labelledby="comparison-title">
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

        {/* Below the work, not beside it: the comparison gets the page's full width. */}
        <aside className="side-col">
          <ErrorBoundary title="The session list failed">
            <PastSessions
              sessions={sessions.data ?? null}
              loading={sessions.isFetching}
              error={sessions.error ? errorMessage(sessions.error) : null}
              currentId={session?.id ?? null}
              onOpen={studio.open}
              onRefresh={() => void sessions.refetch()}
              onNew={studio.newSession}
              onDelete={async (id) => {
                await api.deleteSession(id);
                if (id === session?.id) studio.newSession();
                queryClient.removeQueries({ queryKey: keys.session(id) });
                await sessions.refetch();
              }}
            />
          </ErrorBoundary>
        </aside>
      </main>
    </>
  );
}
