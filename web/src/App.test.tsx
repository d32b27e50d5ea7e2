import { QueryClientProvider } from "@tanstack/react-query";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "./App";
import { createQueryClient } from "./queries";
import type { JobEvent, Session } from "./api";
import {
  doneJob,
  FakeSocket,
  info,
  job,
  jobEvent,
  jsonResponse,
  mockFetch,
  models,
  session,
  warmUpReady,
} from "./test/fixtures";

const proto = HTMLMediaElement.prototype;
const readyState = Object.getOwnPropertyDescriptor(proto, "readyState");
beforeEach(() => {
  FakeSocket.all = [];
  vi.stubGlobal("WebSocket", FakeSocket);
  vi.spyOn(proto, "play").mockImplementation(() => Promise.resolve());
  vi.spyOn(proto, "pause").mockImplementation(() => undefined);
  Object.defineProperty(proto, "readyState", { configurable: true, get: () => 4 });
});
afterEach(() => {
  vi.restoreAllMocks();
  if (readyState) Object.defineProperty(proto, "readyState", readyState);
});

/** The page as main.tsx mounts it, with a cache of its own. */
const renderApp = () =>
  render(
    <QueryClientProvider client={createQueryClient()}>
      <App />
    </QueryClientProvider>,
  );

const baseRoutes = {
  "GET /api/info": info,
  "GET /api/models/playground": models,
  "GET /api/llm/providers": { providers: [], default: null, builtin: true },
  "GET /api/sessions": [],
  "GET /api/warm-up": warmUpReady,
};

function send(event: JobEvent) {
  const socket = FakeSocket.all[FakeSocket.all.length - 1]!;
  act(() => socket.onmessage?.({ data: JSON.stringify(event) }));
}

const ev = (id: number, type: JobEvent["type"], j: JobEvent["job"]): JobEvent => jobEvent(id, type, j);

describe("App", () => {
  it("says what the server still prepares, and asks for the models again as robots become ready", async () => {
    let done = 5;
    const building = vi.fn(() => ({
      ...warmUpReady,
      ready: false,
      catalog: { ...warmUpReady.catalog, state: "building", done },
      note: `Preparing robots: ${done} of 57 compiled`,
    }));
    const list = vi.fn(() => models);
    mockFetch({ ...baseRoutes, "GET /api/warm-up": building, "GET /api/models/playground": list });
    renderApp();
    expect(await screen.findByText("Preparing robots: 5 of 57 compiled…")).toBeInTheDocument();
    const asked = list.mock.calls.length;
    done = 17;
    expect(await screen.findByText("Preparing robots: 17 of 57 compiled…", {}, { timeout: 4000 })).toBeInTheDocument();
    await waitFor(() => expect(list.mock.calls.length).toBeGreaterThan(asked));
  });


  it("takes the steps' default and range and the approaches per design from /api/info", async () => {
    const estimate = vi.fn();
    const fetch = mockFetch({
      ...baseRoutes,
      "GET /api/info": { ...info, steps: { min: 20_000, max: 60_000, default: 40_000 }, approaches: 2 },
      "GET /api/estimate": () => {
        estimate();
        return { model_id: "CartpoleBalance", steps: 40_000, approaches: 2, workers: 1, seconds: 50, per_approach_s: 25, waves: [], basis: "b", calibrated: true };
      },
    });
    renderApp();
    fireEvent.click(await screen.findByRole("button", { name: "CartpoleBalance" }));
    await waitFor(() => expect(screen.getByText("40,000", { selector: "output" })).toBeInTheDocument());
    const slider = screen.getByRole("slider", { name: "Training Steps" });
    expect(slider).toHaveAttribute("min", "20000");
    expect(slider).toHaveAttribute("max", "60000");
    await waitFor(() => expect(estimate).toHaveBeenCalled());
    const asked = fetch.mock.calls
      .map(([input]) => (typeof input === "string" ? input : input instanceof URL ? input.href : input.url))
      .filter((u) => u.startsWith("/api/estimate"));
    expect(asked[asked.length - 1]).toContain("steps=40000");
    expect(asked[asked.length - 1]).toContain("approaches=2");
  });

  it("goes from a prompt to approaches, training progress and videos", async () => {
    const configure = vi.fn(() => session);
    const batch = vi.fn((body: unknown) => ({
      jobs: (body as { approach_ids: number[] }).approach_ids.map((a, i) => job(20 + i, a)),
    }));
    mockFetch({ ...baseRoutes, "POST /api/training/configure": configure, "POST /api/training/batch": batch });
    renderApp();

    const cartpole = await screen.findByRole("button", { name: "CartpoleBalance" });
    const generate = screen.getByRole("button", { name: "Generate Training Approaches" });
    expect(generate).toBeDisabled();
    fireEvent.click(cartpole);
    expect(cartpole).toHaveAttribute("aria-pressed", "true");
    fireEvent.change(screen.getByLabelText("Describe the behavior you want"), { target: { value: "spin in place" } });
    await waitFor(() => expect(screen.getByText("50,000", { selector: "output" })).toBeInTheDocument());
    fireEvent.click(generate);

    expect(await screen.findByRole("heading", { name: "Hip Oscillator" })).toBeInTheDocument();
    expect(configure).toHaveBeenCalledWith({ model_id: "CartpoleBalance", prompt: "spin in place", num_steps: 50_000, fresh: false });
    expect(window.location.hash).toBe("#session=s1");
    await waitFor(() => expect(FakeSocket.all.length).toBeGreaterThan(0));
    expect(FakeSocket.all[FakeSocket.all.length - 1]!.url).toContain("session_id=s1&after=0");

    fireEvent.click(screen.getByRole("button", { name: "Train All" }));
    await waitFor(() => expect(screen.getAllByRole("progressbar")).toHaveLength(3));
    expect(batch).toHaveBeenCalledWith({ session_id: "s1", approach_ids: [1, 2, 3], num_steps: 50_000, from_base: true });

    // Server data goes through TanStack Query, which tells the page about a change in a later task: wait.
    send(ev(1, "progress", job(20, 1, { status: "running", progress: 0.42 })));
    await waitFor(() => expect(screen.getAllByRole("progressbar")[0]).toHaveAttribute("aria-valuenow", "42"));

    send(ev(2, "done", doneJob(20, 1)));
    send(ev(3, "done", doneJob(21, 2)));
    await waitFor(() => expect(screen.getAllByTestId("comparison-video")).toHaveLength(2));
    send(ev(4, "done", doneJob(22, 3)));
    await waitFor(() => expect(screen.getAllByTestId("comparison-video")).toHaveLength(3));
    await waitFor(() => expect(vi.mocked(proto.play)).toHaveBeenCalledTimes(3));
    expect(screen.getAllByRole("progressbar").map((b) => b.getAttribute("aria-valuenow"))).toEqual(["100", "100", "100"]);
  });

  it("fills in each card's rehearsal when the server has played it", async () => {
    const mark = (rehearsing: boolean): Session => ({
      ...session,
      designs: session.designs.map((d) => ({
        ...d,
        approaches: d.approaches.map((a) => ({
          ...a,
          rehearsing,
          rehearsal: rehearsing ? null : { note: `Rehearsed ${a.name}: upright 3/3.`, stands: true, upright: 3, copies: 3, share: 1 },
        })),
      })),
    });
    let asked = 0;
    const get = vi.fn(() => (++asked < 2 ? mark(true) : mark(false)));
    mockFetch({ ...baseRoutes, "POST /api/training/configure": () => mark(true), "GET /api/sessions/s1": get });
    renderApp();
    fireEvent.click(await screen.findByRole("button", { name: "CartpoleBalance" }));
    fireEvent.change(screen.getByLabelText("Describe the behavior you want"), { target: { value: "spin in place" } });
    await waitFor(() => expect(screen.getByRole("button", { name: "Generate Training Approaches" })).toBeEnabled());
    fireEvent.click(screen.getByRole("button", { name: "Generate Training Approaches" }));

    expect(await screen.findAllByText(/Rehearsing: playing the prior/)).toHaveLength(3);
    expect(await screen.findByText("Rehearsed Hip Oscillator: upright 3/3.", {}, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.queryByText(/Rehearsing: playing the prior/)).toBeNull();
    const polls = get.mock.calls.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(get.mock.calls.length).toBe(polls); // nothing rehearsing: no more asking
  });

  it("shows the configure error detail", async () => {
    mockFetch({
      ...baseRoutes,
      "POST /api/training/configure": jsonResponse({ detail: "the prompt is empty after trimming" }, 422),
    });
    renderApp();
    fireEvent.click(await screen.findByRole("button", { name: "CartpoleBalance" }));
    fireEvent.change(screen.getByLabelText("Describe the behavior you want"), { target: { value: "x" } });
    fireEvent.click(screen.getByRole("button", { name: "Generate Training Approaches" }));
    expect(await screen.findByText("the prompt is empty after trimming")).toBeInTheDocument();
  });

  it("opens with Go1 selected on a first visit, and remembers a person's pick for the next", async () => {
    mockFetch(baseRoutes);
    const first = renderApp();
    const go1 = await screen.findByRole("button", { name: "Go1JoystickFlatTerrain" });
    await waitFor(() => expect(go1).toHaveAttribute("aria-pressed", "true"));
    expect(screen.getByTestId("model-line")).toHaveTextContent("Unitree Go1 · joystick, flat terrain");
    fireEvent.change(screen.getByRole("combobox", { name: "Variant" }), { target: { value: "Go1Getup" } });
    expect(screen.getByRole("button", { name: "Go1Getup" })).toHaveAttribute("aria-pressed", "true");
    first.unmount();

    renderApp(); // the next visit: the stored pick, not the featured default
    const getup = await screen.findByRole("button", { name: "Go1Getup" });
    await waitFor(() => expect(getup).toHaveAttribute("aria-pressed", "true"));
    expect(screen.queryByRole("button", { name: "Go1JoystickFlatTerrain" })).toBeNull();
  });

  it("reopens the session named in the address", async () => {
    window.history.replaceState(null, "", "/#session=s1");
    const reopened: Session = { ...session, num_steps: 30_000, jobs: [doneJob(20, 1), job(21, 2, { status: "interrupted" })] };
    mockFetch({
      ...baseRoutes,
      "GET /api/sessions": [
        { id: "s1", model_id: "CartpoleBalance", prompt: "spin in place", num_steps: 30_000, created_at: "2025-01-01T10:00:00", jobs_total: 2, jobs_done: 1 },
      ],
      "GET /api/sessions/s1": reopened,
    });
    renderApp();
    expect(await screen.findByRole("heading", { name: "Hip Oscillator" })).toBeInTheDocument();
    expect(screen.getByLabelText("Describe the behavior you want")).toHaveValue("spin in place");
    expect(screen.getByText("30,000", { selector: "output" })).toBeInTheDocument();
    expect(await screen.findByRole("button", { name: "CartpoleBalance" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getAllByTestId("comparison-video")).toHaveLength(1);
    expect(screen.getAllByRole("button", { name: /^Restart Approach 2/ })).toHaveLength(1);
    const list = screen.getByRole("heading", { name: "Past Sessions" }).closest("section")!;
    expect(within(list).getByText("1/2 done · 30,000 steps")).toBeInTheDocument();
  });

  it("asks for a token and then sends it", async () => {
    const fetch = mockFetch({ ...baseRoutes, "GET /api/info": { ...info, token_required: true } });
    renderApp();
    const input = await screen.findByLabelText("Access token");
    fireEvent.change(input, { target: { value: "sekret" } });
    fireEvent.click(screen.getByRole("button", { name: "Use token" }));
    await waitFor(() => expect(screen.queryByLabelText("Access token")).toBeNull());
    await waitFor(() =>
      expect(
        fetch.mock.calls.some(([, init]) => new Headers(init?.headers).get("Authorization") === "Bearer sekret"),
      ).toBe(true),
    );
    expect(window.localStorage.getItem("tabrl_token")).toBe("sekret");
  });

  it("asks for a token when a call is refused", async () => {
    mockFetch({ ...baseRoutes, "GET /api/models/playground": jsonResponse({ detail: "requires a token" }, 401) });
    renderApp();
    expect(await screen.findByLabelText("Access token")).toBeInTheDocument();
  });
});
