import type { Approach, EventType, Info, Job, JobEvent, Model, Provider, Session } from "../api";

export const info: Info = {
  version: "0.1.0",
  steps: { min: 10_000, max: 100_000, default: 50_000 },
  video_seconds: 10,
  approaches: 3,
  workers: 1,
  estimate: { overhead_s: 20, steps_per_s: 7000, parallel_speedup: 1 },
  examples: ["spin in place", "walk forward"],
  max_prompt_chars: 2000,
  max_refine_chars: 500,
  token_required: false,
};

export function provider(name: string, extra: Partial<Provider> = {}): Provider {
  return {
    name,
    kind: "openai",
    model: null,
    base_url: null,
    mode: null,
    key_set: true,
    key_source: "environment",
    default: false,
    ready: true,
    ...extra,
  };
}

export function model(id: string, extra: Partial<Model> = {}): Model {
  return {
    id,
    name: id,
    robot_name: id.slice(0, 4),
    group: id.toLowerCase(),
    variant: null,
    featured: false,
    category: "classic",
    label: `${id} (Classic Control)`,
    suite: "dm_control",
    action_size: 1,
    assets_available: true,
    assets_reason: null,
    base_policy: { available: false, steps: null, note: "no base policy trained yet" },
    thumbnail_url: `/api/models/${id}/thumbnail.png`,
    ...extra,
  };
}

/** A variant of a robot, as the server describes it (friendly name, group, variant words). */
export function variantOf(id: string, group: string, robotName: string, variant: string | null, extra: Partial<Model> = {}) {
  return model(id, {
    name: variant ? `${robotName} · ${variant}` : robotName,
    robot_name: robotName,
    group,
    variant,
    ...extra,
  });
}

const go1 = { category: "quadruped", body: "4 legs, no head", lacks: ["head", "arms", "waist"] };

/** In the server's order: the featured models first (Go1, then ANYmal C), then the catalog's. */
export const models: Model[] = [
  variantOf("Go1JoystickFlatTerrain", "go1", "Unitree Go1", "joystick, flat terrain", {
    ...go1,
    featured: true,
    label: "Go1JoystickFlatTerrain (Quadruped Robot)",
    base_policy: { available: true, steps: 100_000, note: "" },
  }),
  variantOf("AnymalC", "anymal_c", "ANYbotics ANYmal C", null, { category: "quadruped", featured: true }),
  variantOf("CartpoleBalance", "cartpole", "Cart-pole", "balance"),
  variantOf("CartpoleSwingup", "cartpole", "Cart-pole", "swing-up"),
  variantOf("G1JoystickFlatTerrain", "g1", "Unitree G1", "joystick, flat terrain", {
    category: "humanoid",
    assets_available: false,
    assets_reason: "Menagerie robot 'unitree_g1' is not in /menagerie",
    thumbnail_url: null,
  }),
  variantOf("Go1JoystickRoughTerrain", "go1", "Unitree Go1", "joystick, rough terrain", go1),
  variantOf("Go1Getup", "go1", "Unitree Go1", "get up", go1),
  variantOf("Go1Handstand", "go1", "Unitree Go1", "handstand", go1),
  variantOf("Go1Footstand", "go1", "Unitree Go1", "footstand", go1),
];

export function approach(id: number, index: number, extra: Partial<Approach> = {}): Approach {
  return {
    id,
    index,
    design: 0,
    name: ["Hip Oscillator", "Dance Rhythm", "Full Body Sway"][index] ?? `Approach ${index + 1}`,
    summary: `Focus ${index + 1}`,
    terms: [
      { term: "joint_osc", weight: 1.5, params: { group: "hips" }, expr: null, label: "joint osc (hips)" },
      { term: "expr", weight: 0.25, params: {}, expr: "abs(base_lin_vel[0])", label: "expr (abs(base_lin_vel[0]))" },
    ],
    source: "builtin",
    fallback: false,
    notes: [],
    program: {},
    ...extra,
  };
}

export function job(id: number, approachId: number, extra: Partial<Job> = {}): Job {
  return {
    id,
    session_id: "s1",
    approach_id: approachId,
    kind: "train",
    status: "queued",
    progress: 0,
    steps_done: 0,
    total_steps: 50_000,
    mean_reward: null,
    eta_s: null,
    error: null,
    created_at: "2025-01-01T10:00:00",
    started_at: null,
    finished_at: null,
    video_url: null,
    poster_url: null,
    policy_url: null,
    metrics: null,
    ...extra,
  };
}

export function doneJob(id: number, approachId: number, extra: Partial<Job> = {}): Job {
  return job(id, approachId, {
    status: "done",
    progress: 1,
    steps_done: 50_000,
    mean_reward: 1.2345,
    video_url: `/api/jobs/${id}/video.mp4`,
    poster_url: `/api/jobs/${id}/poster.jpg`,
    sheet_url: `/api/jobs/${id}/sheet.jpg`,
    policy_url: `/api/jobs/${id}/policy.zip`,
    metrics: { mean_reward: 1.2345, forward_speed_mps: 0.51234, falls: 0, fps: 30 },
    ...extra,
  });
}

export const session: Session = {
  id: "s1",
  model_id: "CartpoleBalance",
  model_label: "CartpoleBalance (Classic Control)",
  prompt: "spin in place",
  num_steps: 50_000,
  created_at: "2025-01-01T10:00:00",
  designs: [
    {
      index: 0,
      provider: "builtin",
      label: "Built-in designer",
      model: "",
      error: null,
      cached: false,
      approaches: [approach(1, 0), approach(2, 1), approach(3, 2, { fallback: true, notes: ["kept simple"] })],
    },
  ],
  jobs: [],
};

/**
 * An event message about `job`. Its payload is not checked against its type: the page must cope with
 * whatever arrives (older servers, kept unknown keys), so tests feed it sparse or odd payloads too.
 */
export function jobEvent(id: number, type: EventType, job: Job, data: Record<string, unknown> = {}): JobEvent {
  return { id, job_id: job.id, session_id: job.session_id, type, data, created_at: "2025-01-01T10:00:00", job } as JobEvent;
}

/** A fetch stub answering by "METHOD path" (query ignored); unknown routes answer 404. A route is the
 * JSON to answer, a Response, or a function of the request's JSON body giving either. */
/** ``GET /api/warm-up`` of a server with everything prepared. */
export const warmUpReady = {
  ready: true,
  catalog: { state: "ready", done: 57, total: 57, current: [], error: null, seconds: 0.1 },
  workers: 2,
  workers_ready: 2,
  note: "Ready",
};

export function mockFetch(routes: Record<string, unknown>) {
  const answer = (input: RequestInfo | URL, init?: RequestInit): Response => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href, "http://localhost");
    const key = `${init?.method ?? "GET"} ${url.pathname}`;
    if (!(key in routes)) return jsonResponse({ detail: `no route ${key}` }, 404);
    let route = routes[key];
    if (typeof route === "function") {
      const body: unknown = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
      route = (route as (b: unknown) => unknown)(body);
    }
    if (route instanceof Response) return route;
    return jsonResponse(route, 200);
  };
  const fn = vi.fn((input: RequestInfo | URL, init?: RequestInit) => Promise.resolve(answer(input, init)));
  vi.stubGlobal("fetch", fn);
  return fn;
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A WebSocket stand-in for jsdom: tests open, feed and drop it by hand. */
export class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((c: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.();
  }
  send(event: Partial<JobEvent>) {
    this.onmessage?.({ data: JSON.stringify(event) });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
}
