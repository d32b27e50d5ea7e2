import { Fragment, useEffect, useId, useMemo, useRef, useState, type ReactNode } from "react";
import { mediaUrl, type Model } from "../api";
import { formatCompact } from "../format";
import { ErrorAlert } from "./ErrorAlert";

export const CATEGORY_LABELS: Record<string, string> = {
  quadruped: "Quadruped",
  humanoid: "Humanoid",
  arm: "Arm",
  hand: "Hand",
  classic: "Classic Control",
};

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? category.charAt(0).toUpperCase() + category.slice(1);
}

/** "CartpoleBalanceSparse" with line-break chances between its words (the text stays the same). */
export function breakable(name: string): ReactNode {
  const parts = name.split(/(?<=[a-z0-9])(?=[A-Z])/);
  return parts.map((part, i) => (
    <Fragment key={i}>
      {i > 0 && <wbr />}
      {part}
    </Fragment>
  ));
}

type Props = {
  models: Model[] | null;
  loading: boolean;
  error: string | null;
  onRetry: () => void;
  selectedId: string | null;
  onSelect: (model: Model) => void;
};

export function ModelGallery({ models, loading, error, onRetry, selectedId, onSelect }: Props) {
  const [query, setQuery] = useState("");
  const [category, setCategory] = useState("all");
  const [availableOnly, setAvailableOnly] = useState(false);
  const ids = useId();

  const categories = useMemo(() => {
    const counts = new Map<string, number>();
    for (const m of models ?? []) counts.set(m.category, (counts.get(m.category) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [models]);

  const visible = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (models ?? []).filter((m) => {
      if (category !== "all" && m.category !== category) return false;
      if (availableOnly && !m.assets_available) return false;
      if (!q) return true;
      return [m.id, m.name, m.robot_name, m.category, m.suite, m.label].some((s) => s.toLowerCase().includes(q));
    });
  }, [models, query, category, availableOnly]);

  const selected = models?.find((m) => m.id === selectedId) ?? null;

  // A reopened session selects a model that may sit far down the grid: bring it into the grid's view
  // (the grid scrolls, not the page).
  const grid = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = grid.current;
    const button = box?.querySelector<HTMLElement>('[aria-pressed="true"]');
    if (!box || !button) return;
    const top = button.offsetTop; // the grid is positioned, so this is within it
    if (top < box.scrollTop || top + button.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - 8);
    }
  }, [selectedId, visible]);

  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <div className="panel-head">
        <h2 id={`${ids}-title`}>Model Selection</h2>
        {models && (
          <span className="muted small">
            {models.filter((m) => m.assets_available).length} of {models.length} models ready
          </span>
        )}
      </div>

      {models && models.length > 0 && (
        <div className="toolbar" role="search">
          <label className="field grow">
            <span className="sr-only">Search models</span>
            <input
              type="search"
              placeholder="Search models (Go1, hand, cartpole…)"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
            />
          </label>
          <label className="field">
            <span className="sr-only">Category</span>
            <select value={category} onChange={(e) => setCategory(e.target.value)}>
              <option value="all">All categories ({models.length})</option>
              {categories.map(([c, n]) => (
                <option key={c} value={c}>
                  {categoryLabel(c)} ({n})
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={availableOnly} onChange={(e) => setAvailableOnly(e.target.checked)} />
            Ready only
          </label>
        </div>
      )}

      {error ? (
        <ErrorAlert message={`Could not load the models: ${error}`} action="Retry" onAction={onRetry} />
      ) : loading || !models ? (
        <div className="model-grid" aria-busy="true" aria-label="Loading models">
          {Array.from({ length: 12 }, (_, i) => (
            <div key={i} className="model-card skeleton" aria-hidden="true">
              <div className="thumb" />
              <div className="line" />
              <div className="line short" />
            </div>
          ))}
          <p className="sr-only" role="status">
            Loading models… (the first time can take half a minute)
          </p>
        </div>
      ) : visible.length === 0 ? (
        <p className="empty">No model matches “{query}”.</p>
      ) : (
        <div className="model-grid" ref={grid}>
          {visible.map((m) => (
            <ModelButton key={m.id} model={m} selected={m.id === selectedId} onSelect={onSelect} />
          ))}
        </div>
      )}

      <div className="model-summary" aria-live="polite">
        {selected ? (
          <>
            <p>
              <strong>Model:</strong> {selected.label}
            </p>
            {selected.body && (
              <p data-testid="model-body">
                <strong>Body:</strong> {selected.body}
              </p>
            )}
            <p>
              <strong>Base Policy:</strong>{" "}
              {selected.base_policy.available ? (
                <span className="ok">
                  ✓ Available (
                  {selected.base_policy.steps != null
                    ? `trained for ${formatCompact(selected.base_policy.steps)} steps`
                    : selected.base_policy.note || "ready"}
                  )
                </span>
              ) : (
                <span className="muted">Not available — {selected.base_policy.note || "none trained yet"}</span>
              )}
            </p>
          </>
        ) : (
          models && <p className="muted">Pick a model to train.</p>
        )}
      </div>
    </section>
  );
}

function ModelButton({ model, selected, onSelect }: { model: Model; selected: boolean; onSelect: (m: Model) => void }) {
  const [broken, setBroken] = useState(false);
  const descId = useId();
  const unavailable = !model.assets_available;
  const showThumb = model.thumbnail_url && !broken;
  return (
    <button
      type="button"
      className={`model-card${selected ? " selected" : ""}${unavailable ? " unavailable" : ""}`}
      aria-pressed={selected}
      aria-label={model.id}
      aria-describedby={descId}
      disabled={unavailable}
      title={unavailable ? `${model.id}: ${model.assets_reason ?? "not available here"}` : model.label}
      onClick={() => {
        if (!unavailable) onSelect(model);
      }}
    >
      <span className="thumb">
        {showThumb ? (
          <img
            loading="lazy"
            src={mediaUrl(model.thumbnail_url!)}
            alt=""
            width={160}
            height={120}
            onError={() => setBroken(true)}
          />
        ) : (
          <span className="letter-tile" aria-hidden="true">
            {(model.robot_name || model.name || model.id).charAt(0).toUpperCase()}
          </span>
        )}
        {selected && <span className="badge selected-badge">Selected</span>}
      </span>
      <span className="model-name">{breakable(model.name === model.id ? model.id : model.name)}</span>
      {model.name !== model.id && <span className="model-id">{model.id}</span>}
      <span id={descId} className="model-meta">
        <span className="category">{categoryLabel(model.category)}</span>
        {model.base_policy.available && <span className="badge subtle">base</span>}
        {unavailable && <span className="reason">{model.assets_reason ?? "Not available here"}</span>}
      </span>
    </button>
  );
}
