// The open session: what the server sent (in the query cache, kept current by live events), the
// actions on it (mutations: their pending state and errors are TanStack Query's), and its curves.
import { useMutation, useMutationState, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import {
  api,
  errorMessage,
  type BatchRequest,
  type ConfigureRequest,
  type Job,
  type JobEvent,
  type RefineRequest,
  type Session,
} from "./api";
import { applyEvent, type Curves } from "./curves";
import { keys, useCurves, useSession } from "./queries";
import { useSessionEvents } from "./useEvents";

const JOB_ACTION = ["job-action"] as const;
type JobAction = { job: Job; action: "cancel" | "restart" };

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

/** The design to show first: the newest with approaches for a reopened session, else the first. */
function designToShow(s: Session, newest: boolean): number {
  const withApproaches = s.designs.filter((d) => d.approaches.length > 0);
  const pick = newest
    ? (withApproaches[withApproaches.length - 1] ?? s.designs[s.designs.length - 1])
    : (withApproaches[0] ?? s.designs[0]);
  return pick?.index ?? 0;
}

type Options = {
  /** Changes when the token does: the socket connects again and the address's session is reopened. */
  epoch: number;
  /** A session opened from the list or the address: the form takes its model, prompt and steps. */
  onOpened: (session: Session) => void;
};

export function useStudioSession({ epoch, onOpened }: Options) {
  const queryClient = useQueryClient();
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [activeDesign, setActiveDesign] = useState(0);
  const [liveCurves, setLiveCurves] = useState<Curves>({});
  const session = useSession(sessionId).data ?? null;

  const updateJobs = useCallback(
    (id: string, change: (jobs: Job[]) => Job[]) =>
      queryClient.setQueryData<Session>(keys.session(id), (s) => (s ? { ...s, jobs: change(s.jobs) } : s)),
    [queryClient],
  );
  const refreshList = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.sessions }), [queryClient]);

  const batch = useMutation({
    mutationFn: (body: BatchRequest) => api.batch(body),
    onSuccess: ({ jobs }, body) => {
      updateJobs(body.session_id, (known) => jobs.reduce((acc, job) => upsertJob(acc, job, true), known));
      refreshList();
    },
  });
  const refine = useMutation({
    mutationFn: (body: RefineRequest) => api.refine(body),
    onSuccess: (s) => {
      queryClient.setQueryData<Session>(keys.session(s.id), (old) => ({
        ...s,
        jobs: s.jobs.reduce((acc, job) => upsertJob(acc, job, true), old?.jobs ?? []),
      }));
      const last = s.designs[s.designs.length - 1];
      if (last) setActiveDesign(last.index);
    },
  });
  const jobAction = useMutation({
    mutationKey: JOB_ACTION,
    mutationFn: ({ job, action }: JobAction) => (action === "cancel" ? api.cancel(job.id) : api.restart(job.id)),
    onSuccess: (updated) => updateJobs(updated.session_id, (jobs) => upsertJob(jobs, updated)),
  });

  const show = (s: Session, reopened: boolean) => {
    queryClient.setQueryData(keys.session(s.id), s);
    setSessionId(s.id);
    batch.reset();
    refine.reset();
    const actions = queryClient.getMutationCache();
    actions.findAll({ mutationKey: JOB_ACTION }).forEach((m) => actions.remove(m));
    setActiveDesign(designToShow(s, reopened));
    writeHash(s.id);
  };

  const configure = useMutation({
    mutationFn: (body: ConfigureRequest) => api.configure(body),
    onSuccess: (s) => {
      show(s, false);
      refreshList();
    },
  });
  const open = useMutation({
    mutationFn: (id: string) =>
      queryClient.fetchQuery({ queryKey: keys.session(id), queryFn: () => api.session(id), staleTime: 0 }),
    onSuccess: (s) => {
      show(s, true);
      onOpened(s);
    },
  });

  // The session named in the address: at start, after a new token, and when the address changes.
  const { mutate: openSession } = open;
  useEffect(() => {
    const fromHash = sessionIdFromHash(window.location.hash);
    if (fromHash && fromHash !== sessionId) openSession(fromHash);
    // `epoch`: a new token opens it again (the first try may have been refused).
  }, [epoch, openSession, sessionId]);
  useEffect(() => {
    const onHash = () => {
      const id = sessionIdFromHash(window.location.hash);
      if (id && id !== sessionId) openSession(id);
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [openSession, sessionId]);

  const onEvent = useCallback(
    (event: JobEvent) => {
      if (event.session_id !== sessionId) return;
      updateJobs(event.session_id, (jobs) => upsertJob(jobs, event.job));
      setLiveCurves((c) => applyEvent(c, event));
      if (event.type === "done" || event.type === "failed") refreshList();
    },
    [sessionId, updateJobs, refreshList],
  );
  const connection = useSessionEvents(session?.id ?? null, onEvent, epoch);

  const newSession = () => {
    setSessionId(null);
    setLiveCurves({});
    batch.reset();
    refine.reset();
    open.reset();
    writeHash(null);
  };

  // Cancel and restart run per job: the newest action on a job says whether it is pending or failed.
  const actions = useMutationState({
    filters: { mutationKey: JOB_ACTION },
    select: (m) => ({ jobId: (m.state.variables as JobAction).job.id, status: m.state.status, error: m.state.error }),
  });
  const pendingJobs = new Set<number>();
  const jobErrors = new Map<number, string>();
  for (const { jobId, status, error } of actions) {
    pendingJobs.delete(jobId);
    jobErrors.delete(jobId);
    if (status === "pending") pendingJobs.add(jobId);
    if (status === "error") jobErrors.set(jobId, errorMessage(error));
  }

  const jobs = session?.jobs ?? [];
  const curves = useCurves(jobs, liveCurves);

  return {
    session,
    jobs,
    curves,
    connection,
    activeDesign,
    setActiveDesign,
    configure: (body: ConfigureRequest) => configure.mutate(body),
    configuring: configure.isPending,
    configureError: configure.error ? errorMessage(configure.error) : null,
    open: openSession,
    opening: open.isPending ? open.variables : null,
    openError: open.error ? `Could not open session ${open.variables}: ${errorMessage(open.error)}` : null,
    dismissOpenError: () => open.reset(),
    // Training and refining share one error line: starting either clears the other's.
    // steps null (/api/info has not answered): the session's own steps.
    train: (approachIds: number[], steps: number | null, fromBase: boolean) => {
      if (!session) return;
      refine.reset();
      batch.mutate({
        session_id: session.id,
        approach_ids: approachIds,
        ...(steps !== null ? { num_steps: steps } : {}),
        from_base: fromBase,
      });
    },
    training: batch.isPending,
    refine: (jobId: number, words: string, provider?: string) => {
      batch.reset();
      refine.mutate({ job_id: jobId, ...(words ? { words } : {}), ...(provider ? { provider } : {}) });
    },
    refiningJobId: refine.isPending ? refine.variables.job_id : null,
    approachError: batch.error
      ? errorMessage(batch.error)
      : refine.error
        ? `Refine failed: ${errorMessage(refine.error)}`
        : null,
    cancel: (job: Job) => jobAction.mutate({ job, action: "cancel" }),
    restart: (job: Job) => jobAction.mutate({ job, action: "restart" }),
    pendingJobs,
    jobErrors,
    newSession,
  };
}
