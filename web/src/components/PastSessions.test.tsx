import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type { SessionSummary } from "../api";
import { PastSessions } from "./PastSessions";

const summary = (id: string, prompt: string, jobs: number): SessionSummary => ({
  id,
  model_id: "Go1JoystickFlatTerrain",
  prompt,
  num_steps: 200_000,
  created_at: "2026-12-01T10:00:00Z",
  jobs_total: jobs,
  jobs_done: jobs,
});

const sessions = [summary("s1", "trot forward", 3), summary("s2", "spin in place", 1)];

function renderList(onDelete: (id: string) => Promise<unknown>) {
  const onOpen = vi.fn();
  render(
    <PastSessions
      sessions={sessions}
      loading={false}
      error={null}
      currentId="s2"
      onOpen={onOpen}
      onRefresh={() => {}}
      onNew={() => {}}
      onDelete={onDelete}
    />,
  );
  return { onOpen };
}

describe("PastSessions delete", () => {
  it("asks first, deletes only the confirmed session, and Keep deletes nothing", async () => {
    const onDelete = vi.fn(() => Promise.resolve({}));
    const { onOpen } = renderList(onDelete);

    fireEvent.click(screen.getByRole("button", { name: "Delete session “trot forward”" }));
    expect(onDelete).not.toHaveBeenCalled();
    expect(onOpen).not.toHaveBeenCalled(); // the delete button does not open the session
    const ask = screen.getByRole("group", { name: "Delete “trot forward”?" });
    expect(ask).toHaveTextContent("Delete this session, its 3 jobs and their files?");

    fireEvent.click(within(ask).getByRole("button", { name: "Keep" }));
    expect(screen.queryByRole("group")).toBeNull();
    expect(onDelete).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole("button", { name: "Delete session “spin in place”" }));
    const ask2 = screen.getByRole("group", { name: "Delete “spin in place”?" });
    expect(ask2).toHaveTextContent("its job and their files");
    fireEvent.click(within(ask2).getByRole("button", { name: "Delete" }));
    expect(onDelete).toHaveBeenCalledTimes(1);
    expect(onDelete).toHaveBeenCalledWith("s2");
    await waitFor(() => expect(screen.queryByRole("group")).toBeNull());
  });

  it("shows the server's refusal under the session and keeps it listed", async () => {
    const reason = "session 's1' cannot be deleted while its job is still queued or running: job 7 (running)";
    const onDelete = vi.fn(() => Promise.reject(new Error(reason)));
    renderList(onDelete);

    fireEvent.click(screen.getByRole("button", { name: "Delete session “trot forward”" }));
    fireEvent.click(within(screen.getByRole("group")).getByRole("button", { name: "Delete" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(`Not deleted: ${reason}`);
    expect(screen.getByText("trot forward")).toBeInTheDocument();
    // The question stays open: cancel the job, then try again.
    expect(within(screen.getByRole("group")).getByRole("button", { name: "Delete" })).toBeEnabled();
  });

  it("disables the confirm while the delete runs", async () => {
    let finish: (v: unknown) => void = () => {};
    const onDelete = vi.fn(() => new Promise((resolve) => (finish = resolve)));
    renderList(onDelete);
    fireEvent.click(screen.getByRole("button", { name: "Delete session “trot forward”" }));
    fireEvent.click(within(screen.getByRole("group")).getByRole("button", { name: "Delete" }));
    const pending = within(screen.getByRole("group")).getByRole("button", { name: "Deleting…" });
    expect(pending).toBeDisabled();
    fireEvent.click(pending);
    expect(onDelete).toHaveBeenCalledTimes(1);
    finish({});
    await waitFor(() => expect(screen.queryByRole("group")).toBeNull());
  });
});
