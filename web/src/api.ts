// The studio's HTTP API, as docs/api.md describes it: types, the token, and one function per endpoint.

import type { components } from "./api-schema";

// The wire types are generated from the server's schemas (tabrl/api/schemas.py → api-schema.ts,
// `make api-types`); these are their names on the page.
type Schemas = components["schemas"];
export type Info = Schemas["Info"];
/** GET /api/estimate: wall time on this machine, from its calibration and finished jobs. */
export type Estimate = Schemas["BatchEstimate"];
export type BasePolicy = Schemas["BasePolicyOut"];
export type Model = Schemas["ModelOut"];
export type WarmUp = Schemas["WarmUpOut"];
export type Provider = Schemas["ProviderInfo"];
export type ProvidersResponse = Schemas["ProvidersOut"];
export type Term = Schemas["TermOut"];
export type Approach = Schemas["ApproachOut"];
export type Design = Schemas["DesignOut"];
export type VerdictCheck = Schemas["CheckOut"];
/** An approach's success check measured on its rendered rollout. */
export type Verdict = Schemas["VerdictOut"];
export type StartVsTrained = Schemas["StartVsTrainedOut"];
export type Job = Schemas["JobOut"];
export type JobStatus = Job["status"];
export type Session = Schemas["SessionOut"];
export type SessionSummary = Schemas["SessionSummary"];
export type SessionDeleted = Schemas["SessionDeleted"];
/** A message on /api/ws. */
export type JobEvent = Schemas["EventOut"];
export type EventType = JobEvent["type"];

export type ConfigureRequest = Schemas["ConfigureRequest"];
export type BatchRequest = Schemas["BatchRequest"];
export type RefineRequest = Schemas["RefineRequest"];
export type JobsResponse = Schemas["JobsOut"];

// Generated with the types from tabrl/jobs/states.py.
export { ACTIVE_STATUSES, RESTARTABLE_STATUSES } from "./api-schema";

// ----------------------------------------------------------------------------- token

const TOKEN_KEY = "tabrl_token";

export function getToken(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_KEY) || null;
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  cookieFor = null;
  try {
    if (token) window.localStorage.setItem(TOKEN_KEY, token);
    else window.localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage refused (private mode): the token lives only as long as the call */
  }
}

/** A page opened with ?token=… keeps that token (and drops it from the address bar). */
export function adoptTokenFromUrl(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (!token) return;
  setToken(token);
  url.searchParams.delete("token");
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called whenever the server answers 401 (or closes the WebSocket for the token). */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function notifyUnauthorized(): void {
  unauthorizedListeners.forEach((listener) => listener());
}

/**
 * URLs the browser loads by itself (video, images, downloads, the WebSocket) never carry the token:
 * a token in a URL ends up in logs, history and proxies. The server's HttpOnly cookie, set on the
 * answer to any call that sent the token as a Bearer header, lets them through instead.
 */
export function mediaUrl(url: string, extra?: Record<string, string>): string {
  const query = new URLSearchParams(extra ?? {}).toString();
  if (!query) return url;
  return url + (url.includes("?") ? "&" : "?") + query;
}

// The token the server has set its cookie for (as far as this page knows: the cookie is HttpOnly).
let cookieFor: string | null = null;
let cookiePending: Promise<void> | null = null;

/**
 * Resolves once the server has set its cookie for the stored token; null when there is nothing
 * to wait for (no token, or a call with it has already been answered).
 */
export function cookieReady(): Promise<void> | null {
  const token = getToken();
  if (!token || cookieFor === token) return null;
  if (!cookiePending) {
    cookiePending = fetch("/api/info", { headers: { Authorization: `Bearer ${token}` }, credentials: "same-origin" })
      .then(() => {
        if (getToken() === token) cookieFor = token;
      })
      .catch(() => {
        /* the socket's own refusal or failure will say what is wrong */
      })
      .finally(() => {
        cookiePending = null;
      });
  }
  return cookiePending;
}

export function eventsUrl(sessionId: string, after: number): string {
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${window.location.host}/api/ws?session_id=${encodeURIComponent(sessionId)}&after=${after}`;
}

// ----------------------------------------------------------------------------- requests

export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;

  constructor(status: number, detail: string) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

/** A readable message for anything thrown by a call. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** One of FastAPI's own validation errors: {loc, msg, type}. */
function isValidationIssue(d: unknown): d is Schemas["ValidationError"] {
  return !!d && typeof d === "object" && "msg" in d;
}

function describeDetail(body: unknown, status: number, statusText: string): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail
        .map((d: unknown) => {
          if (!isValidationIssue(d)) return JSON.stringify(d);
          const loc = Array.isArray(d.loc) ? d.loc.filter((x) => x !== "body").join(".") : "";
          return loc ? `${loc}: ${String(d.msg)}` : String(d.msg);
        })
        .join("; ");
    }
    return JSON.stringify(detail);
  }
  return `The server answered ${status}${statusText ? ` ${statusText}` : ""}.`;
}

export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json");
  if (init.body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  const token = getToken();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...init, headers });
  } catch (error) {
    throw new ApiError(0, `Cannot reach the studio server (${errorMessage(error)}).`);
  }
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (token && response.status !== 401) cookieFor = token; // the answer set the cookie
  if (!response.ok) {
    if (response.status === 401) notifyUnauthorized();
    throw new ApiError(response.status, describeDetail(body, response.status, response.statusText));
  }
  if (body === null && text) throw new ApiError(response.status, "The server sent something that is not JSON.");
  return body as T;
}

const post = <T>(path: string, body?: unknown) =>
  request<T>(path, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });

export const api = {
  info: () => request<Info>("/api/info"),
  estimate: (modelId: string, steps: number, approaches: number) =>
    request<Estimate>(
      `/api/estimate?${new URLSearchParams({ model_id: modelId, steps: String(steps), approaches: String(approaches) })}`,
    ),
  models: () => request<Model[]>("/api/models/playground"),
  warmUp: () => request<WarmUp>("/api/warm-up"),
  providers: () => request<ProvidersResponse>("/api/llm/providers"),
  configure: (body: ConfigureRequest) => post<Session>("/api/training/configure", body),
  batch: (body: BatchRequest) => post<JobsResponse>("/api/training/batch", body),
  render: (jobId: number, seconds?: number) =>
    post<Job>("/api/training/render", seconds === undefined ? { job_id: jobId } : { job_id: jobId, seconds }),
  refine: (body: RefineRequest) => post<Session>("/api/training/refine", body),
  sessions: () => request<SessionSummary[]>("/api/sessions"),
  session: (id: string) => request<Session>(`/api/sessions/${encodeURIComponent(id)}`),
  deleteSession: (id: string) =>
    request<SessionDeleted>(`/api/sessions/${encodeURIComponent(id)}`, { method: "DELETE" }),
  job: (id: number) => request<Job>(`/api/jobs/${id}`),
  cancel: (id: number) => post<Job>(`/api/jobs/${id}/cancel`),
  restart: (id: number) => post<Job>(`/api/jobs/${id}/restart`),
};

export const sessionZipUrl = (sessionId: string) => `/api/sessions/${encodeURIComponent(sessionId)}/download.zip`;
