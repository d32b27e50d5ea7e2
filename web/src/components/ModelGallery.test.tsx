import { fireEvent, render, screen } from "@testing-library/react";
import { ModelGallery } from "./ModelGallery";
import { models } from "../test/fixtures";

function renderGallery(selectedId: string | null = null, onSelect = vi.fn()) {
  render(
    <ModelGallery models={models} loading={false} error={null} onRetry={vi.fn()} selectedId={selectedId} onSelect={onSelect} />,
  );
  return onSelect;
}

describe("ModelGallery", () => {
  it("renders one button per model, named by the model id", () => {
    renderGallery();
    for (const m of models) expect(screen.getByRole("button", { name: m.id })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "CartpoleBalance" })).toHaveTextContent("CartpoleBalance");
  });

  it("disables models without assets and shows why", () => {
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

  it("shows the selected model and its base policy", () => {
    renderGallery("Go1JoystickFlatTerrain");
    expect(screen.getByText("Go1JoystickFlatTerrain (Quadruped Robot)")).toBeInTheDocument();
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
      <ModelGallery models={models.slice(0, 1)} loading={false} error={null} onRetry={vi.fn()} selectedId={null} onSelect={vi.fn()} />,
    );
    const img = container.querySelector("img[loading=lazy]")!;
    expect(img).toHaveAttribute("src", "/api/models/CartpoleBalance/thumbnail.png");
    fireEvent.error(img);
    expect(container.querySelector("img[loading=lazy]")).toBeNull();
    expect(container.querySelector(".letter-tile")).toHaveTextContent("C");
  });

  it("filters by search text and category", () => {
    renderGallery();
    fireEvent.change(screen.getByRole("searchbox", { name: "Search models" }), { target: { value: "go1" } });
    expect(screen.getByRole("button", { name: "Go1JoystickFlatTerrain" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "CartpoleBalance" })).toBeNull();
    fireEvent.change(screen.getByRole("searchbox", { name: "Search models" }), { target: { value: "" } });
    fireEvent.change(screen.getByRole("combobox", { name: "Category" }), { target: { value: "humanoid" } });
    expect(screen.getAllByRole("button", { pressed: false }).map((b) => b.getAttribute("aria-label"))).toEqual([
      "G1JoystickFlatTerrain",
    ]);
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
