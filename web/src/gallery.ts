import type { Model } from "./api";

/** One robot of the gallery: its environments ("variants"), in the server's order. */
export type RobotGroup = {
  key: string;
  name: string;
  category: string;
  featured: boolean;
  variants: Model[];
};

/** The models as robots: featured robots first (in the order the server lists them), then the rest. */
export function groupModels(models: Model[]): RobotGroup[] {
  const groups = new Map<string, RobotGroup>();
  for (const m of models) {
    const key = m.group || m.id;
    let g = groups.get(key);
    if (!g) {
      g = { key, name: m.robot_name || m.name, category: m.category, featured: false, variants: [] };
      groups.set(key, g);
    }
    g.variants.push(m);
    g.featured ||= m.featured === true;
  }
  const all = [...groups.values()];
  // The server lists the featured models first, in the product's order; the first featured member
  // of each group decides where the group stands.
  const rank = (g: RobotGroup) => {
    const i = models.findIndex((m) => m.featured && (m.group || m.id) === g.key);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...all.filter((g) => g.featured).sort((a, b) => rank(a) - rank(b)), ...all.filter((g) => !g.featured)];
}

/** The variant a robot's card offers unless another is selected: its featured one, else its first ready one. */
export function defaultVariant(variants: Model[]): Model {
  return (
    variants.find((m) => m.featured && m.assets_available) ??
    variants.find((m) => m.assets_available) ??
    variants[0]!
  );
}

/** What a page selects before anyone picks: the stored choice if it is still offered, else the first featured model. */
export function initialModelId(models: Model[], stored: string | null): string | null {
  const ready = models.filter((m) => m.assets_available);
  if (stored && ready.some((m) => m.id === stored)) return stored;
  return (ready.find((m) => m.featured) ?? null)?.id ?? null;
}

const MODEL_KEY = "tabrl.model";

export function storedModelId(): string | null {
  try {
    return window.localStorage.getItem(MODEL_KEY) || null;
  } catch {
    return null;
  }
}

export function storeModelId(id: string | null): void {
  try {
    if (id) window.localStorage.setItem(MODEL_KEY, id);
    else window.localStorage.removeItem(MODEL_KEY);
  } catch {
    /* storage refused (private mode): the choice lasts as long as the page */
  }
}
