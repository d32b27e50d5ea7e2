import { ApiError, api, eventsUrl, getToken, onUnauthorized, request, setToken, withToken } from "./api";
import { jsonResponse, mockFetch, session } from "./test/fixtures";

describe("api client", () => {
  it("sends the token as a Bearer header", async () => {
    setToken("sekret");
    const fetch = mockFetch({ "GET /api/info": { ok: true } });
    await request("/api/info");
    const headers = new Headers(fetch.mock.calls[0]![1]!.headers);
    expect(headers.get("Authorization")).toBe("Bearer sekret");
  });

  it("sends no Authorization header without a token", async () => {
    const fetch = mockFetch({ "GET /api/sessions": [] });
    await api.sessions();
    expect(new Headers(fetch.mock.calls[0]![1]!.headers).has("Authorization")).toBe(false);
  });

  it("posts JSON bodies", async () => {
    const fetch = mockFetch({ "POST /api/training/configure": session });
    const s = await api.configure({ model_id: "CartpoleBalance", prompt: "spin", num_steps: 20_000, fresh: false });
    expect(s.id).toBe("s1");
    const init = fetch.mock.calls[0]![1]!;
    expect(init.method).toBe("POST");
    expect(JSON.parse(String(init.body))).toEqual({ model_id: "CartpoleBalance", prompt: "spin", num_steps: 20_000, fresh: false });
    expect(new Headers(init.headers).get("Content-Type")).toBe("application/json");
  });

  it("adds the token to URLs the browser loads itself", () => {
    expect(withToken("/api/jobs/1/video.mp4")).toBe("/api/jobs/1/video.mp4");
    setToken("a b&c");
    expect(withToken("/api/jobs/1/video.mp4")).toBe("/api/jobs/1/video.mp4?token=a+b%26c");
    expect(withToken("/api/x?y=1", { download: "true" })).toBe("/api/x?y=1&download=true&token=a+b%26c");
    expect(eventsUrl("s1", 42)).toBe(`ws://${window.location.host}/api/ws?session_id=s1&after=42&token=a+b%26c`);
  });

  it("turns error responses into ApiError with the server's detail", async () => {
    mockFetch({ "POST /api/training/batch": jsonResponse({ detail: "no session 'zz'" }, 404) });
    const error = await api.batch({ session_id: "zz" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(404);
    expect((error as ApiError).detail).toBe("no session 'zz'");
  });

  it("reads FastAPI validation lists", async () => {
    mockFetch({
      "POST /api/training/configure": jsonResponse({ detail: [{ loc: ["body", "num_steps"], msg: "Input should be a valid integer" }] }, 422),
    });
    await expect(api.configure({ model_id: "x", prompt: "y", num_steps: 1 })).rejects.toThrow(
      "num_steps: Input should be a valid integer",
    );
  });

  it("tells listeners about a 401", async () => {
    const listener = vi.fn();
    const off = onUnauthorized(listener);
    mockFetch({ "GET /api/info": jsonResponse({ detail: "This studio requires a token" }, 401) });
    await expect(api.info()).rejects.toThrow("requires a token");
    expect(listener).toHaveBeenCalledTimes(1);
    off();
  });

  it("reports an unreachable server", async () => {
    vi.stubGlobal("fetch", vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(api.info()).rejects.toThrow("Cannot reach the studio server (Failed to fetch).");
  });

  it("keeps the token in localStorage", () => {
    setToken("t1");
    expect(getToken()).toBe("t1");
    setToken(null);
    expect(getToken()).toBeNull();
  });
});
