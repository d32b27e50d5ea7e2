import {
  ApiError,
  api,
  cookieReady,
  eventsUrl,
  getToken,
  mediaUrl,
  onUnauthorized,
  request,
  sessionZipUrl,
  setToken,
} from "./api";
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
    expect(JSON.parse(init.body as string)).toEqual({ model_id: "CartpoleBalance", prompt: "spin", num_steps: 20_000, fresh: false });
    expect(new Headers(init.headers).get("Content-Type")).toBe("application/json");
  });

  it("never puts the token in URLs the browser loads itself (the cookie lets them in)", () => {
    setToken("a b&c");
    expect(mediaUrl("/api/jobs/1/video.mp4")).toBe("/api/jobs/1/video.mp4");
    expect(mediaUrl("/api/x?y=1", { download: "true" })).toBe("/api/x?y=1&download=true");
    expect(eventsUrl("s1", 42)).toBe(`ws://${window.location.host}/api/ws?session_id=s1&after=42`);
    expect(sessionZipUrl("s 1")).toBe("/api/sessions/s%201/download.zip");
  });

  it("gets the cookie set once per token before the socket needs it", async () => {
    expect(cookieReady()).toBeNull(); // no token: nothing to wait for
    setToken("t1");
    const fetch = mockFetch({ "GET /api/info": { ok: true } });
    const ready = cookieReady();
    expect(ready).not.toBeNull();
    expect(cookieReady()).toBe(ready); // one call at a time
    await ready;
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(new Headers(fetch.mock.calls[0]![1]!.headers).get("Authorization")).toBe("Bearer t1");
    expect(fetch.mock.calls[0]![0] as string).not.toContain("token=");
    expect(cookieReady()).toBeNull(); // answered: the cookie is set
    setToken("t2");
    expect(cookieReady()).not.toBeNull(); // a new token needs its own cookie
  });

  it("counts any answered call with the token as the cookie being set", async () => {
    setToken("t3");
    mockFetch({ "GET /api/sessions": [] });
    await api.sessions();
    expect(cookieReady()).toBeNull();
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
