import { fireEvent, render, screen, within } from "@testing-library/react";
import { ModelGallery } from "./ModelGallery";
import { groupModels, initialModelId } from "../gallery";
import { model, models, variantOf } from "../test/fixtures";
import type { Model } from "../api";

function renderGallery(selectedId: string | null = null, onSelect = vi.fn(), list: Model[] = models) {
  render(
    <ModelGallery models={list} loading={false} error={null} onRetry={vi.fn()} selectedId={selectedId} onSelect={onSelect} />,
  );
  return onSelect;
}

/** The cards in the grid, top to bottom, by the model each offers. */
const cardIds = () =>
  [...document.querySelectorAll(".model-grid .model-card")].map((b) => b.getAttribute("aria-label"));

describe("ModelGallery", () => {
  it("shows one card per robot, named by the model id it offers, its variants grouped", () => {
    renderGallery();
    expect(cardIds()).toEqual(["Go1JoystickFlatTerrain", "AnymalC", "CartpoleBalance", "G1JoystickFlatTerrain"]);
    for (const id of ["Go1Getup", "Go1Handstand", "CartpoleSwingup"]) expect(screen.queryByRole("button", { name: id })).toBeNull();
    const go1 = screen.getByRole("button", { name: "Go1JoystickFlatTerrain" });
    expect(go1).toHaveTextContent("Unitree Go1");
    expect(go1).toHaveTextContent("joystick, flat terrain");
    expect(go1).toHaveTextContent("Go1JoystickFlatTerrain");
    expect(go1).toHaveTextContent("+4 variants");
    expect(screen.getByRole("button", { name: "CartpoleBalance" })).toHaveTextContent("+1 variant");
  });

  it("puts the featured robots first, in the server's featured order, under their own heading", () => {
    // The server's list in another order: catalog robots first, ANYmal C featured before Go1's variants.
    const shuffled = [models[2]!, models[3]!, models[5]!, models[1]!, models[0]!, models[4]!, models[6]!];
    renderGallery(null, vi.fn(), shuffled);
    expect(cardIds()).toEqual(["AnymalC", "Go1JoystickFlatTerrain", "CartpoleBalance", "G1JoystickFlatTerrain"]);
    const headings = [...document.querySelectorAll(".model-grid .grid-heading")].map((h) => h.textContent);
    expect(headings).toEqual(["Featured", "More robots"]);
    // The featured variant stands for Go1 even though another variant of it is listed before it.
    expect(groupModels(shuffled).map((g) => g.key)).toEqual(["anymal_c", "go1", "cartpole", "g1"]);
  });

  it("preselects the first featured ready model on a first visit, else keeps the stored choice", () => {
    expect(initialModelId(models, null)).toBe("Go1JoystickFlatTerrain");
    expect(initialModelId(models, "CartpoleSwingup")).toBe("CartpoleSwingup");
    expect(initialModelId(models, "NoLongerOffered")).toBe("Go1JoystickFlatTerrain");
    expect(initialModelId(models, "G1JoystickFlatTerrain")).toBe("Go1JoystickFlatTerrain"); // not ready here
    const go1Missing = models.map((m) => (m.group === "go1" ? { ...m, assets_available: false } : m));
    expect(initialModelId(go1Missing, null)).toBe("AnymalC");
    expect(initialModelId([model("CartpoleBalance")], null)).toBeNull();
  });

  it("disables robots without assets and shows why", () => {
    const onSelect = renderGallery();
    const g1 = screen.getByRole("button", { name: "G1JoystickFlatTerrain" });
    expect(g1).toBeDisabled();
    expect(g1).toHaveAttribute("title", expect.stringContaining("unitree_g1"));
    expect(g1).toHaveTextContent("not in /menagerie");
    fireEvent.click(g1);
    expect(onSelect).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "CartpoleBalance" })).toBeEnabled();
  });

  it("marks the selection with aria-pressed and reports clicks", () => {
    const onSelect = renderGallery("Go1JoystickFlatTerrain");
    expect(screen.getByRole("button", { name: "Go1JoystickFlatTerrain" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("button", { name: "CartpoleBalance" })).toHaveAttribute("aria-pressed", "false");
    fireEvent.click(screen.getByRole("button", { name: "CartpoleBalance" }));
    expect(onSelect).toHaveBeenCalledWith(expect.objectContaining({ id: "CartpoleBalance" }));
  });

  it("a selected variant takes its robot's card, and the model line picks among the variants", () => {
    const onSelect = renderGallery("Go1Handstand");
    const card = screen.getByRole("button", { name: "Go1Handstand" });
    expect(card).toHaveAttribute("aria-pressed", "true");
    expect(card).toHaveTextContent("handstand");
    expect(screen.queryByRole("button", { name: "Go1JoystickFlatTerrain" })).toBeNull();
    expect(screen.getByTestId("model-line")).toHaveTextContent("Model: Unitree Go1 · handstand Go1Handstand (Classic Control)");
    const picker = screen.getByRole("combobox", { name: "Variant" });
    expect(within(picker).getAllByRole("option").map((o) => o.getAttribute("value"))).toEqual([
      "Go1JoystickFlatTerrain",
      "Go1JoystickRoughTerrain",
      "Go1Getup",
      "Go1Handstand",
      "Go1Footstand",
    ]);
    expect(picker).toHaveValue("Go1Handstand");
    fireEvent.change(picker, { target: { value: "Go1Getup" } });
    expect(onSelect).toHaveBeenCalledWith(expect.objectContaining({ id: "Go1Getup" }));
  });

  it("offers no variant picker for a robot with one environment", () => {
    renderGallery("AnymalC");
    expect(screen.getByTestId("model-line")).toHaveTextContent("ANYbotics ANYmal C");
    expect(screen.queryByRole("combobox", { name: "Variant" })).toBeNull();
  });

  it("shows the selected model and its base policy", () => {
    renderGallery("Go1JoystickFlatTerrain");
    expect(screen.getByText("Go1JoystickFlatTerrain (Quadruped Robot)")).toBeInTheDocument();
    expect(screen.getByTestId("model-line")).toHaveTextContent("Unitree Go1 · joystick, flat terrain");
    expect(screen.getByText(/✓ Available \(trained for 100k steps\)/)).toBeInTheDocument();
    expect(screen.getByTestId("model-body")).toHaveTextContent("Body: 4 legs, no head");
  });

  it("says nothing of the body where the catalog has no plan", () => {
    renderGallery("CartpoleBalance");
    expect(screen.queryByTestId("model-body")).toBeNull();
  });

  it("says when there is no base policy", () => {
    renderGallery("CartpoleBalance");
    expect(screen.getByText(/Not available — no base policy trained yet/)).toBeInTheDocument();
  });

  it("falls back to a letter tile when a thumbnail fails", () => {
    const { container } = render(
      <ModelGallery models={[model("CartpoleBalance")]} loading={false} error={null} onRetry={vi.fn()} selectedId={null} onSelect={vi.fn()} />,
    );
    const img = container.querySelector(".thumb img")!;
    expect(img).toHaveAttribute("src", "/api/models/CartpoleBalance/thumbnail.png");
    fireEvent.error(img);
    expect(container.querySelector(".thumb img")).toBeNull();
    expect(container.querySelector(".letter-tile")).toHaveTextContent("C");
  });

  it("loads thumbnails two at a time, in the grid's order, so the page's own calls are not kept waiting", () => {
    const { container } = render(
      <ModelGallery models={models} loading={false} error={null} onRetry={vi.fn()} selectedId={null} onSelect={vi.fn()} />,
    );
    const loading = () => [...container.querySelectorAll(".thumb img")].map((i) => i.getAttribute("src"));
    expect(loading()).toEqual(["/api/models/Go1JoystickFlatTerrain/thumbnail.png", "/api/models/AnymalC/thumbnail.png"]);
    fireEvent.load(container.querySelector(".thumb img")!);
    expect(loading()).toHaveLength(3);
    expect(loading()[2]).toBe("/api/models/CartpoleBalance/thumbnail.png");
  });

  it("filters robots by search text, category and readiness; a search for a variant shows that variant", () => {
    renderGallery();
    const search = screen.getByRole("searchbox", { name: "Search models" });
    fireEvent.change(search, { target: { value: "go1" } });
    expect(cardIds()).toEqual(["Go1JoystickFlatTerrain"]);
    fireEvent.change(search, { target: { value: "handstand" } });
    expect(cardIds()).toEqual(["Go1Handstand"]);
    fireEvent.change(search, { target: { value: "swing-up" } });
    expect(cardIds()).toEqual(["CartpoleSwingup"]);
    fireEvent.change(search, { target: { value: "" } });
    fireEvent.change(screen.getByRole("combobox", { name: "Category" }), { target: { value: "humanoid" } });
    expect(screen.getAllByRole("button", { pressed: false }).map((b) => b.getAttribute("aria-label"))).toEqual([
      "G1JoystickFlatTerrain",
    ]);
    fireEvent.click(screen.getByRole("checkbox", { name: "Ready only" }));
    expect(screen.getByText(/No model matches/)).toBeInTheDocument();
    fireEvent.change(screen.getByRole("combobox", { name: "Category" }), { target: { value: "quadruped" } });
    expect(cardIds()).toEqual(["Go1JoystickFlatTerrain", "AnymalC"]);
  });

  it("counts robots per category, not environments", () => {
    renderGallery();
    const options = within(screen.getByRole("combobox", { name: "Category" }))
      .getAllByRole("option")
      .map((o) => o.textContent);
    expect(options).toEqual(["All categories (4)", "Classic Control (1)", "Humanoid (1)", "Quadruped (2)"]);
  });

  it("a robot whose default variant is missing offers a ready one", () => {
    const list = [
      variantOf("PandaPickCube", "panda", "Franka Emika Panda", "pick up a cube", { featured: true, assets_available: false }),
      variantOf("PandaOpenCabinet", "panda", "Franka Emika Panda", "open a cabinet"),
    ];
    renderGallery(null, vi.fn(), list);
    expect(cardIds()).toEqual(["PandaOpenCabinet"]);
    expect(screen.getByRole("button", { name: "PandaOpenCabinet" })).toBeEnabled();
  });

  it("shows a skeleton while loading and an error with retry", () => {
    const onRetry = vi.fn();
    const { rerender } = render(
      <ModelGallery models={null} loading error={null} onRetry={onRetry} selectedId={null} onSelect={vi.fn()} />,
    );
    expect(screen.getByLabelText("Loading models")).toHaveAttribute("aria-busy", "true");
    rerender(<ModelGallery models={null} loading={false} error="boom" onRetry={onRetry} selectedId={null} onSelect={vi.fn()} />);
    expect(screen.getByRole("alert")).toHaveTextContent("boom");
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(onRetry).toHaveBeenCalled();
  });
});
