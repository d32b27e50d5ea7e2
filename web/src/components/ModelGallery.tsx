import { Fragment, useCallback, useEffect, useId, useMemo, useRef, useState, type ReactNode } from "react";
import { mediaUrl, type Model } from "../api";
import { formatCompact } from "../format";
import { defaultVariant, groupModels, type RobotGroup } from "../gallery";
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

  const groups = useMemo(() => groupModels(models ?? []), [models]);

  const categories = useMemo(() => {
    const counts = new Map<string, number>();
    for (const g of groups) counts.set(g.category, (counts.get(g.category) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [groups]);

  // Each robot whose variants pass the filters, with the variant its card shows: the selected one,
  // else its default when that passes, else its first that does.
  const visible = useMemo(() => {
    const q = query.trim().toLowerCase();
    const passes = (m: Model) => {
      if (availableOnly && !m.assets_available) return false;
      if (!q) return true;
      return [m.id, m.name, m.robot_name, m.category, m.suite, m.label, m.variant ?? ""].some((s) =>
        s.toLowerCase().includes(q),
      );
    };
    return groups.flatMap((g) => {
      if (category !== "all" && g.category !== category) return [];
      const matching = g.variants.filter(passes);
      if (matching.length === 0) return [];
      const fallback = defaultVariant(g.variants);
      const shown =
        matching.find((m) => m.id === selectedId) ?? (matching.includes(fallback) ? fallback : defaultVariant(matching));
      return [{ group: g, shown }];
    });
  }, [groups, query, category, availableOnly, selectedId]);

  const featured = visible.filter((v) => v.group.featured);
  const others = visible.filter((v) => !v.group.featured);

  const selected = models?.find((m) => m.id === selectedId) ?? null;
  const selectedGroup = selected ? groups.find((g) => g.variants.includes(selected)) : undefined;

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

  const cards = (list: typeof visible) =>
    list.map(({ group, shown }) => (
      <ModelButton
        key={group.key}
        group={group}
        model={shown}
        selected={shown.id === selectedId}
        onSelect={onSelect}
      />
    ));

  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <div className="panel-head">
        <h2 id={`${ids}-title`}>Model Selection</h2>
        {models && (
          <span className="muted small">
            {groups.length} robots · {models.filter((m) => m.assets_available).length} of {models.length} environments
            ready
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
              <option value="all">All categories ({groups.length})</option>
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
          {featured.length > 0 && (
            <h3 className="grid-heading" data-testid="featured-heading">
              Featured
            </h3>
          )}
          {cards(featured)}
          {featured.length > 0 && others.length > 0 && <h3 className="grid-heading">More robots</h3>}
          {cards(others)}
        </div>
      )}

      <div className="model-summary" aria-live="polite">
        {selected ? (
          <>
            <p data-testid="model-line">
              <strong>Model:</strong> <span className="model-line-name">{selected.name}</span>{" "}
              <span className="model-line-id">{selected.label}</span>
            </p>
            {selectedGroup && selectedGroup.variants.length > 1 && (
              <p className="variant-line">
                <label>
                  <strong>Variant:</strong>{" "}
                  <select
                    aria-label="Variant"
                    value={selected.id}
                    onChange={(e) => {
                      const next = selectedGroup.variants.find((m) => m.id === e.target.value);
                      if (next) onSelect(next);
                    }}
                  >
                    {selectedGroup.variants.map((m) => (
                      <option key={m.id} value={m.id} disabled={!m.assets_available}>
                        {m.variant ?? m.id} ({m.id})
                      </option>
                    ))}
                  </select>
                </label>{" "}
                <span className="muted small">
                  {selectedGroup.variants.length} environments of {selectedGroup.name}
                </span>
              </p>
            )}
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

/**
 * Thumbnails load a few at a time, in the grid's order (featured first). The server renders a
 * missing one on request, seconds each on a busy machine, and a browser opens about six connections
 * per host: unthrottled, thirty thumbnails would hold every one of them and the page's own calls
 * (estimate, Generate) would wait behind the pictures.
 */
const THUMBNAILS_AT_ONCE = 2;
const thumbnailQueue = {
  active: 0,
  waiting: [] as (() => void)[],
  request(start: () => void) {
    if (this.active < THUMBNAILS_AT_ONCE) {
      this.active += 1;
      start();
    } else this.waiting.push(start);
  },
  cancel(start: () => void) {
    this.waiting = this.waiting.filter((w) => w !== start);
  },
  release() {
    const next = this.waiting.shift();
    if (next) next();
    else this.active = Math.max(0, this.active - 1);
  },
};

/** Whether this card's thumbnail may load now, and what to call when it has loaded or failed. */
function useThumbnailTurn(url: string | null): [boolean, () => void] {
  const [turn, setTurn] = useState<string | null>(null);
  const held = useRef(false);
  useEffect(() => {
    if (!url) return;
    const start = () => {
      held.current = true;
      setTurn(url);
    };
    thumbnailQueue.request(start);
    return () => {
      thumbnailQueue.cancel(start);
      if (held.current) {
        held.current = false;
        thumbnailQueue.release();
      }
    };
  }, [url]);
  const done = useCallback(() => {
    if (held.current) {
      held.current = false;
      thumbnailQueue.release();
    }
  }, []);
  return [url !== null && turn === url, done];
}

type ButtonProps = { group: RobotGroup; model: Model; selected: boolean; onSelect: (m: Model) => void };

function ModelButton({ group, model, selected, onSelect }: ButtonProps) {
  const [broken, setBroken] = useState<string | null>(null);
  const descId = useId();
  const unavailable = !model.assets_available;
  const wanted = model.thumbnail_url && broken !== model.id ? model.thumbnail_url : null;
  const [showThumb, thumbnailDone] = useThumbnailTurn(wanted);
  const others = group.variants.length - 1;
  return (
    <button
      type="button"
      className={`model-card${selected ? " selected" : ""}${unavailable ? " unavailable" : ""}${group.featured ? " featured" : ""}`}
      aria-pressed={selected}
      aria-label={model.id}
      aria-describedby={descId}
      disabled={unavailable}
      title={unavailable ? `${model.id}: ${model.assets_reason ?? "not available here"}` : `${model.name} — ${model.label}`}
      data-group={group.key}
      onClick={() => {
        if (!unavailable) onSelect(model);
      }}
    >
      <span className="thumb">
        {showThumb ? (
          <img
            src={mediaUrl(wanted!)}
            alt=""
            width={160}
            height={120}
            decoding="async"
            onLoad={thumbnailDone}
            onError={() => {
              thumbnailDone();
              setBroken(model.id);
            }}
          />
        ) : (
          <span className="letter-tile" aria-hidden="true">
            {(group.name || model.id).charAt(0).toUpperCase()}
          </span>
        )}
        {selected && <span className="badge selected-badge">Selected</span>}
      </span>
      <span className="model-name">{group.name === model.id ? breakable(model.id) : group.name}</span>
      {model.variant && <span className="model-variant">{model.variant}</span>}
      {group.name !== model.id && <span className="model-id">{breakable(model.id)}</span>}
      <span id={descId} className="model-meta">
        <span className="category">{categoryLabel(model.category)}</span>
        {others > 0 && (
          <span className="badge subtle" title={group.variants.map((m) => m.id).join(", ")}>
            +{others} variant{others > 1 ? "s" : ""}
          </span>
        )}
        {model.base_policy.available && <span className="badge subtle">base</span>}
        {unavailable && <span className="reason">{model.assets_reason ?? "Not available here"}</span>}
      </span>
    </button>
  );
}
