import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { Job } from "../api";
import { doneJob, session } from "../test/fixtures";
import { VideoComparison, type ComparisonItem } from "./VideoComparison";

const proto = HTMLMediaElement.prototype;
const saved = {
  paused: Object.getOwnPropertyDescriptor(proto, "paused"),
  readyState: Object.getOwnPropertyDescriptor(proto, "readyState"),
};
const pausedState = new WeakMap<HTMLMediaElement, boolean>();

beforeEach(() => {
  Object.defineProperty(proto, "paused", {
    configurable: true,
    get(this: HTMLMediaElement) {
      return pausedState.get(this) ?? true;
    },
  });
  Object.defineProperty(proto, "readyState", { configurable: true, get: () => 4 });
  vi.spyOn(proto, "play").mockImplementation(function (this: HTMLMediaElement) {
    pausedState.set(this, false);
    return Promise.resolve();
  });
  vi.spyOn(proto, "pause").mockImplementation(function (this: HTMLMediaElement) {
    pausedState.set(this, true);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  if (saved.paused) Object.defineProperty(proto, "paused", saved.paused);
  if (saved.readyState) Object.defineProperty(proto, "readyState", saved.readyState);
});

const approaches = session.designs[0]!.approaches;
const items = (jobs: Job[]): ComparisonItem[] =>
  jobs.map((job) => ({ job, approach: approaches.find((a) => a.id === job.approach_id)! }));

const videos = () => screen.getAllByTestId<HTMLVideoElement>("comparison-video");

describe("VideoComparison", () => {
  it("renders one muted inline video per done job, with its metrics", () => {
    render(<VideoComparison sessionId="s1" items={items([doneJob(11, 1), doneJob(12, 2)])} expected={3} />);
    const vs = videos();
    expect(vs).toHaveLength(2);
    expect(vs[0]).toHaveAttribute("src", "/api/jobs/11/video.mp4");
    expect(vs[0]).toHaveAttribute("poster", "/api/jobs/11/poster.jpg");
    expect(vs[0]!.muted).toBe(true);
    expect(vs[0]).toHaveAttribute("playsinline");
    expect(vs[0]).toHaveAttribute("preload", "auto");
    expect(screen.getByText("Hip Oscillator")).toBeInTheDocument();
    expect(screen.getAllByText("Mean reward")[0]!.nextSibling).toHaveTextContent("1.23");
    expect(screen.getAllByText("Forward speed (m/s)")[0]!.nextSibling).toHaveTextContent("0.512");
    expect(screen.getByText("2 of 3 videos so far; they start together when all are here.")).toBeInTheDocument();
  });

  it("Play All sets one time and plays every video", async () => {
    render(<VideoComparison sessionId="s1" items={items([doneJob(11, 1), doneJob(12, 2)])} expected={3} />);
    const vs = videos();
    vs[0]!.currentTime = 4;
    vs[1]!.currentTime = 2;
    const play = vi.mocked(proto.play);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Play All" }));
    });
    await waitFor(() => expect(play).toHaveBeenCalledTimes(2));
    expect(new Set(play.mock.contexts)).toEqual(new Set(vs));
    expect(vs.map((v) => v.currentTime)).toEqual([4, 4]);
    fireEvent.click(screen.getByRole("button", { name: "Pause" }));
    expect(vs.every((v) => v.paused)).toBe(true);
  });

  it("starts all three together once the third arrives", async () => {
    const { rerender } = render(
      <VideoComparison sessionId="s1" items={items([doneJob(11, 1), doneJob(12, 2)])} expected={3} />,
    );
    const play = vi.mocked(proto.play);
    expect(play).not.toHaveBeenCalled();
    await act(async () => {
      rerender(
        <VideoComparison sessionId="s1" items={items([doneJob(11, 1), doneJob(12, 2), doneJob(13, 3)])} expected={3} />,
      );
    });
    await waitFor(() => expect(play).toHaveBeenCalledTimes(3));
    expect(videos().every((v) => !v.paused && v.currentTime === 0)).toBe(true);
  });

  it("toggles loop on every video", () => {
    render(<VideoComparison sessionId="s1" items={items([doneJob(11, 1), doneJob(12, 2)])} expected={3} />);
    const loop = screen.getByRole("button", { name: "Loop" });
    expect(loop).toHaveAttribute("aria-pressed", "true");
    expect(videos().every((v) => v.loop)).toBe(true);
    fireEvent.click(loop);
    expect(loop).toHaveAttribute("aria-pressed", "false");
    expect(videos().every((v) => !v.loop)).toBe(true);
  });

  it("keeps followers within the drift limit and follows a user's seek", async () => {
    render(<VideoComparison sessionId="s1" items={items([doneJob(11, 1), doneJob(12, 2), doneJob(13, 3)])} expected={3} />);
    await waitFor(() => expect(vi.mocked(proto.play)).toHaveBeenCalledTimes(3));
    const [lead, a, b] = videos() as [HTMLVideoElement, HTMLVideoElement, HTMLVideoElement];
    lead.currentTime = 5;
    a.currentTime = 5.1; // within 0.15 s: left alone
    b.currentTime = 4.5; // too far behind
    fireEvent.timeUpdate(lead);
    expect(a.currentTime).toBe(5.1);
    expect(b.currentTime).toBe(5);
    fireEvent.seeked(b); // our own seek: no echo
    lead.currentTime = 5;
    a.currentTime = 8; // a person dragged this one
    fireEvent.seeked(a);
    expect(lead.currentTime).toBe(8);
    expect(b.currentTime).toBe(8);
  });

  it("links downloads and the whole session without the token in any URL", () => {
    window.localStorage.setItem("tabrl_token", "sekret");
    render(<VideoComparison sessionId="s1" items={items([doneJob(11, 1)])} expected={3} />);
    expect(screen.getByRole("link", { name: "Download video of Hip Oscillator" })).toHaveAttribute(
      "href",
      "/api/jobs/11/video.mp4?download=true",
    );
    expect(screen.getByRole("link", { name: "Download policy of Hip Oscillator" })).toHaveAttribute(
      "href",
      "/api/jobs/11/policy.zip",
    );
    expect(screen.getByRole("link", { name: "Download All" })).toHaveAttribute("href", "/api/sessions/s1/download.zip");
    expect(videos()[0]).toHaveAttribute("src", "/api/jobs/11/video.mp4");
    expect(document.body.innerHTML).not.toContain("sekret");
  });

  it("shows the contact sheet over a video on hover or keyboard focus, and under it while pinned", () => {
    render(
      <VideoComparison sessionId="s1" items={items([doneJob(11, 1), doneJob(12, 2, { sheet_url: null })])} expected={3} />,
    );
    const [first, second] = videos() as [HTMLVideoElement, HTMLVideoElement];
    const name = "Ten frames of the video of approach 1, Hip Oscillator, in order";
    expect(screen.queryByRole("img", { name })).toBeNull();

    fireEvent.mouseEnter(first.parentElement!);
    const preview = screen.getByRole("img", { name });
    expect(preview).toHaveAttribute("src", "/api/jobs/11/sheet.jpg");
    expect(preview).toHaveClass("preview");
    expect(first.parentElement).toContainElement(preview); // over the video, not in the caption
    fireEvent.mouseLeave(first.parentElement!);
    expect(screen.queryByRole("img", { name })).toBeNull();

    act(() => first.focus()); // from the keyboard (no pointer involved)
    expect(screen.getByRole("img", { name })).toHaveClass("preview");
    act(() => first.blur());
    expect(screen.queryByRole("img", { name })).toBeNull();

    const frames = screen.getByRole("button", { name: "Frames of Hip Oscillator: ten stills of its video" });
    expect(frames).toHaveAttribute("aria-pressed", "false");
    fireEvent.click(frames);
    expect(frames).toHaveAttribute("aria-pressed", "true");
    const pinned = screen.getByRole("img", { name });
    expect(pinned).not.toHaveClass("preview");
    expect(first.parentElement).not.toContainElement(pinned);
    fireEvent.click(frames);
    expect(screen.queryByRole("img", { name })).toBeNull();

    // A job without a sheet (an older server) offers none.
    fireEvent.mouseEnter(second.parentElement!);
    expect(screen.queryAllByTestId("contact-sheet")).toHaveLength(0);
    expect(screen.queryByRole("button", { name: /^Frames of Dance Rhythm/ })).toBeNull();
  });

  it("asks for full screen on one video", () => {
    render(<VideoComparison sessionId="s1" items={items([doneJob(11, 1)])} expected={3} />);
    const request = vi.fn(() => Promise.resolve());
    videos()[0]!.requestFullscreen = request;
    fireEvent.click(screen.getByRole("button", { name: "Full screen: Hip Oscillator" }));
    expect(request).toHaveBeenCalled();
  });

  it("enlarges one video at a click, keeps the same playing elements, and goes back", async () => {
    render(
      <VideoComparison sessionId="s1" items={items([doneJob(11, 1), doneJob(12, 2), doneJob(13, 3)])} expected={3} />,
    );
    await waitFor(() => expect(videos().every((v) => !v.paused)).toBe(true));
    const before = videos();
    const cards = screen.getAllByTestId("video-card");
    expect(cards.every((c) => c.dataset.enlarged === "false")).toBe(true);

    const enlarge = screen.getByRole("button", { name: "Enlarge: Dance Rhythm" });
    expect(enlarge).toHaveAttribute("aria-pressed", "false");
    fireEvent.click(enlarge);
    expect(cards[1]).toHaveAttribute("data-enlarged", "true");
    expect(cards[1]).toHaveClass("enlarged");
    expect(cards[0]).toHaveAttribute("data-enlarged", "false");
    expect(cards[0]!.parentElement).toHaveClass("has-enlarged");
    // The same video elements, in the same order, still playing: nothing is remounted or paused.
    expect(videos()).toEqual(before);
    expect(videos().every((v) => !v.paused)).toBe(true);

    // Another one takes its place; pressing it again (or Escape) goes back to side by side.
    fireEvent.click(screen.getByRole("button", { name: /^Enlarge: Hip Oscillator/ }));
    expect(cards[0]).toHaveAttribute("data-enlarged", "true");
    expect(cards[1]).toHaveAttribute("data-enlarged", "false");
    const back = screen.getByRole("button", { name: "Back to side by side: Hip Oscillator" });
    expect(back).toHaveAttribute("aria-pressed", "true");
    fireEvent.click(back);
    expect(cards.every((c) => c.dataset.enlarged === "false")).toBe(true);
    expect(cards[0]!.parentElement).not.toHaveClass("has-enlarged");

    fireEvent.click(screen.getByRole("button", { name: "Enlarge: Dance Rhythm" }));
    fireEvent.keyDown(videos()[1]!, { key: "Escape" });
    expect(cards.every((c) => c.dataset.enlarged === "false")).toBe(true);
  });

  it("offers no enlarging for a single video", () => {
    render(<VideoComparison sessionId="s1" items={items([doneJob(11, 1)])} expected={3} />);
    expect(screen.queryByRole("button", { name: /^Enlarge/ })).toBeNull();
  });
});
