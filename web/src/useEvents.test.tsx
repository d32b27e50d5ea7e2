import { act, renderHook } from "@testing-library/react";
import { onUnauthorized, setToken, type JobEvent } from "./api";
import { FakeSocket, job, jobEvent, mockFetch } from "./test/fixtures";
import { BACKOFF_MS, useSessionEvents } from "./useEvents";

const event = (id: number, progress: number): JobEvent =>
  jobEvent(id, "progress", job(1, 1, { status: "running", progress }));

beforeEach(() => {
  FakeSocket.all = [];
  vi.stubGlobal("WebSocket", FakeSocket);
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("useSessionEvents", () => {
  it("delivers events, reconnects with backoff after the last id, and skips repeats", () => {
    const onEvent = vi.fn<(event: JobEvent) => void>();
    const { result, unmount } = renderHook(() => useSessionEvents("s1", onEvent));
    const first = FakeSocket.all[0]!;
    expect(first.url).toBe(`ws://${window.location.host}/api/ws?session_id=s1&after=0`);
    expect(result.current).toBe("connecting");
    act(() => first.open());
    expect(result.current).toBe("open");
    act(() => {
      first.send(event(5, 0.1));
      first.send(event(6, 0.2));
      first.send(event(6, 0.2)); // a repeat
    });
    expect(onEvent).toHaveBeenCalledTimes(2);
    expect(onEvent.mock.calls[1]![0].job.progress).toBe(0.2);

    act(() => first.drop());
    expect(result.current).toBe("reconnecting");
    expect(FakeSocket.all).toHaveLength(1);
    act(() => {
      vi.advanceTimersByTime(BACKOFF_MS.first);
    });
    const second = FakeSocket.all[1]!;
    expect(second.url).toContain("after=6");
    act(() => second.drop()); // fails again: waits twice as long
    act(() => {
      vi.advanceTimersByTime(BACKOFF_MS.first);
    });
    expect(FakeSocket.all).toHaveLength(2);
    act(() => {
      vi.advanceTimersByTime(BACKOFF_MS.first);
    });
    expect(FakeSocket.all).toHaveLength(3);
    act(() => FakeSocket.all[2]!.open());
    expect(result.current).toBe("open");
    unmount();
    expect(FakeSocket.all[2]!.closed).toBe(true);
  });

  it("stays idle without a session and stops on a token refusal, asking for the token", () => {
    const unauthorized = vi.fn();
    const off = onUnauthorized(unauthorized);
    const { result, rerender } = renderHook(({ id }: { id: string | null }) => useSessionEvents(id, vi.fn()), {
      initialProps: { id: null as string | null },
    });
    expect(result.current).toBe("idle");
    expect(FakeSocket.all).toHaveLength(0);
    rerender({ id: "s1" });
    act(() => FakeSocket.all[0]!.drop(4401));
    expect(result.current).toBe("unauthorized");
    expect(unauthorized).toHaveBeenCalledTimes(1); // the page shows the token form
    act(() => {
      vi.advanceTimersByTime(60_000);
    });
    expect(FakeSocket.all).toHaveLength(1); // and never reconnects
    off();
  });

  it("with a token, connects only after the server has set its cookie, and never sends the token", async () => {
    setToken("sekret");
    const fetch = mockFetch({ "GET /api/info": { ok: true } });
    renderHook(() => useSessionEvents("s1", vi.fn()));
    expect(FakeSocket.all).toHaveLength(0); // waiting for the cookie
    await act(async () => {
      await Promise.resolve();
      await Promise.resolve();
      await Promise.resolve();
    });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(FakeSocket.all).toHaveLength(1);
    expect(FakeSocket.all[0]!.url).not.toContain("sekret");
    expect(FakeSocket.all[0]!.url).not.toContain("token");
  });
});
