// What the page reads from the server, through TanStack Query: one key and one hook per resource.
import { keepPreviousData, QueryClient, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, type Job, type Session } from "./api";
import { parseCurvesCsv, type CurvePoint, type Curves } from "./curves";

export const keys = {
  info: ["info"] as const,
  models: ["models"] as const,
  warmUp: ["warm-up"] as const,
  providers: ["providers"] as const,
  sessions: ["sessions"] as const,
  session: (id: string | null) => ["session", id] as const,
  estimate: (modelId: string | null, steps: number | null) => ["estimate", modelId, steps] as const,
  curves: (jobId: number) => ["curves", jobId] as const,
};

/**
 * The page's cache. Nothing is refetched behind the page's back (no retries, no refetch on focus):
 * a failed call shows its error at once with a Retry, and live job state comes from the WebSocket.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false, staleTime: Infinity },
      mutations: { retry: false },
    },
  });
}

export const useInfo = () => useQuery({ queryKey: keys.info, queryFn: api.info });
export const useModels = () => useQuery({ queryKey: keys.models, queryFn: api.models });
/**
 * What the server still prepares after its start (a new install compiles its robot catalog in the
 * background): asked every 2 s until it is ready; the model list is asked again as robots become ready.
 */
export function useWarmUp() {
  const queryClient = useQueryClient();
  const warmUp = useQuery({
    queryKey: keys.warmUp,
    queryFn: api.warmUp,
    refetchInterval: (query) => (query.state.data?.ready || query.state.error ? false : 2000),
  });
  const done = warmUp.data?.catalog.done;
  const seen = useRef(done);
  useEffect(() => {
    if (seen.current !== undefined && done !== seen.current) {
      void queryClient.invalidateQueries({ queryKey: keys.models });
    }
    seen.current = done;
  }, [done, queryClient]);
  return warmUp.data ?? null;
}

export const useSessionList = () => useQuery({ queryKey: keys.sessions, queryFn: api.sessions });

/** The configured LLM providers; none when the call fails (the built-in designer still works). */
export function useProviders() {
  return useQuery({
    queryKey: keys.providers,
    queryFn: () => api.providers().catch(() => ({ providers: [], default: null, builtin: true as const })),
  });
}

/** Whether some approach of `session` is still being rehearsed (the server does it after answering). */
export const rehearsing = (session: Session | undefined): boolean =>
  !!session?.designs.some((d) => d.approaches.some((a) => a.rehearsing));

/**
 * The session as the server last sent it, kept current by the page's live events; asked again every
 * second while an approach is being rehearsed, so its card fills in when the rehearsal ends.
 */
export function useSession(id: string | null) {
  return useQuery({
    queryKey: keys.session(id),
    queryFn: (): Promise<Session> => api.session(id!),
    enabled: id !== null,
    refetchInterval: (query) => (rehearsing(query.state.data) && !query.state.error ? 1000 : false),
  });
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** The time under the slider: measured on this machine for the chosen robot and steps (debounced while sliding),
 * for a design's `approaches` (/api/info's; null until it answers, and no estimate is asked for until then). */
export function useEstimate(modelId: string | null, steps: number | null, approaches: number | null) {
  const settledSteps = useDebounced(steps, 250);
  const query = useQuery({
    queryKey: keys.estimate(modelId, settledSteps),
    queryFn: () => api.estimate(modelId!, settledSteps!, approaches!),
    enabled: modelId !== null && settledSteps !== null && approaches !== null,
    placeholderData: keepPreviousData,
    staleTime: 0, // every finished job refines the server's figures
  });
  return query.data && query.data.model_id === modelId && !query.isError ? query.data : null;
}

async function fetchCurves(url: string): Promise<CurvePoint[]> {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`curves.csv: ${response.status}`);
  return parseCurvesCsv(await response.text());
}

/**
 * Each job's training curve: what its live events said, else (a finished job whose progress events
 * are no longer in the log) its curves.csv. The chart is a bonus: a failed download just shows none.
 */
export function useCurves(jobs: Job[], live: Curves): Curves {
  const wanted = jobs.filter((j) => j.status === "done" && j.curves_url && !live[j.id]?.length);
  const fetched = useQueries({
    queries: wanted.map((job) => ({
      queryKey: keys.curves(job.id),
      queryFn: () => fetchCurves(job.curves_url!),
    })),
  });
  const curves: Curves = { ...live };
  wanted.forEach((job, i) => {
    const points = fetched[i]?.data;
    if (points?.length) curves[job.id] = points;
  });
  return curves;
}
