// Live job events of one session over /api/ws, reconnecting with backoff and resuming after the last event seen.
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { cookieReady, eventsUrl, notifyUnauthorized, type JobEvent } from "./api";

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "unauthorized";

export const BACKOFF_MS = { first: 500, max: 10_000 };

/** `epoch`: change it to connect again from scratch (after a new token, say). */
export function useSessionEvents(
  sessionId: string | null,
  onEvent: (event: JobEvent) => void,
  epoch = 0,
): ConnectionState {
  // The state of the socket for one session: another session's (or none) reads as idle.
  const [connection, setConnection] = useState<{ sessionId: string | null; state: ConnectionState }>({
    sessionId: null,
    state: "idle",
  });
  const handler = useRef(onEvent);
  useLayoutEffect(() => {
    handler.current = onEvent;
  });

  useEffect(() => {
    if (!sessionId) return;
    const setState = (next: ConnectionState | ((s: ConnectionState) => ConnectionState)) =>
      setConnection((c) => {
        const previous = c.sessionId === sessionId ? c.state : "idle";
        return { sessionId, state: typeof next === "function" ? next(previous) : next };
      });
    let lastId = 0;
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = BACKOFF_MS.first;
    let stopped = false;

    const connect = () => {
      if (stopped) return;
      setState((s) => (s === "open" || s === "reconnecting" ? "reconnecting" : "connecting"));
      // The socket's URL has no token: it is let in by the cookie, which a call with the token sets.
      const ready = cookieReady();
      if (ready) void ready.then(open);
      else open();
    };

    const open = () => {
      if (stopped) return;
      let ws: WebSocket;
      try {
        ws = new WebSocket(eventsUrl(sessionId, lastId));
      } catch {
        schedule();
        return;
      }
      socket = ws;
      ws.onopen = () => {
        if (stopped) return;
        delay = BACKOFF_MS.first;
        setState("open");
      };
      ws.onmessage = (message: MessageEvent) => {
        if (stopped) return;
        let event: JobEvent;
        try {
          event = JSON.parse(String(message.data)) as JobEvent;
        } catch {
          return;
        }
        if (typeof event.id !== "number" || event.id <= lastId || !event.job) return;
        lastId = event.id;
        handler.current(event);
      };
      ws.onclose = (close: CloseEvent) => {
        if (stopped || socket !== ws) return;
        socket = null;
        if (close.code === 4401) {
          setState("unauthorized");
          notifyUnauthorized();
          return;
        }
        schedule();
      };
      ws.onerror = () => {
        /* onclose follows and schedules the retry */
      };
    };

    const schedule = () => {
      if (stopped) return;
      setState("reconnecting");
      const wait = delay;
      delay = Math.min(delay * 2, BACKOFF_MS.max);
      timer = setTimeout(connect, wait);
    };

    connect();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      if (socket) {
        const ws = socket;
        socket = null;
        ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        try {
          ws.close();
        } catch {
          /* already closed */
        }
      }
    };
  }, [sessionId, epoch]);

  return connection.sessionId === sessionId && sessionId ? connection.state : "idle";
}
