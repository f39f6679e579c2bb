// A form generated from an endpoint's input JSON schema (the pydantic model that validates the API).
import { el } from "./dom.js";
import { boolWidget, enumWidget, fileWidget, jsonWidget, numberWidget, shell, textWidget } from "./widgets.js";

// Shown above "More settings" besides required, file, size and list fields: what people change most.
const PRIMARY = new Set([
  "prompt", "num_frames", "duration", "fps", "frames_per_second", "num_inference_steps", "seed", "enable_prompt_expansion",
]);
// Order of the main section: the prompt, then the media to upload, the size, the rest, and the LoRAs.
const RANK = { file: 1, size: 2, list: 4 };
const ITEM_NAMES = { loras: "LoRA" };

/** Follow a local `$ref` into the document's components. */
function deref(schema, components) {
  if (!schema?.$ref) return schema;
  return components[schema.$ref.split("/").pop()];
}

/** The field's kind and its non-null schema: `{kind, schema, nullable, ...}`. */
export function classify(name, schema, components, isFile) {
  let s = schema;
  let nullable = false;
  if (Array.isArray(s.anyOf)) {
    const alts = s.anyOf.filter((a) => a.type !== "null");
    nullable = alts.length < s.anyOf.length;
    const object = alts.map((a) => deref(a, components)).find((a) => a?.type === "object");
    const preset = alts.find((a) => Array.isArray(a.enum));
    if (object?.properties?.width && object?.properties?.height && preset) {
      return { kind: "size", schema: s, nullable, object, presets: preset.enum };
    }
    if (alts.length === 1) s = { ...s, ...deref(alts[0], components), anyOf: undefined };
  }
  s = { ...deref(s, components), description: s.description ?? deref(s, components)?.description, default: s.default };
  if (isFile && s.type === "string") return { kind: "file", schema: s, nullable };
  if (s.type === "array" && deref(s.items, components)?.type === "object") {
    return { kind: "list", schema: s, nullable, item: deref(s.items, components) };
  }
  if (Array.isArray(s.enum)) return { kind: "enum", schema: s, nullable };
  if (s.type === "boolean") return { kind: "bool", schema: s, nullable };
  if (s.type === "integer" || s.type === "number") return { kind: "number", schema: s, nullable };
  if (s.type === "string") return { kind: "text", schema: s, nullable };
  return { kind: "json", schema: s, nullable };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Widgets for an object schema's properties; `path` prefixes ids and names (`loras.0`). */
function widgetsFor(objectSchema, ctx, path, fileNames) {
  const required = new Set(objectSchema.required ?? []);
  return Object.entries(objectSchema.properties ?? {}).map(([name, raw]) => {
    const isFile = fileNames(name);
    const c = classify(name, raw, ctx.components, isFile);
    const fieldPath = path ? `${path}.${name}` : name;
    const spec = { name, path: fieldPath, id: `f-${fieldPath.replaceAll(".", "-")}`, required: required.has(name), ...c };
    const widget = makeWidget(spec, ctx);
    return { ...widget, spec, default: raw.default, required: required.has(name) };
  });
}

function makeWidget(spec, ctx) {
  switch (spec.kind) {
    case "file": return fileWidget(spec, ctx.upload);
    case "size": return sizeWidget(spec, ctx.sizePresets);
    case "list": return listWidget(spec, ctx);
    case "enum": return enumWidget(spec, spec.schema.enum);
    case "bool": return boolWidget(spec);
    case "number": return numberWidget(spec);
    case "text": return textWidget(spec);
    default: return jsonWidget(spec);
  }
}

/** The JSON body: required fields always, others only where they differ from the schema's default. */
function readObject(widgets) {
  const body = {};
  for (const w of widgets) {
    const value = w.read();
    if (value === undefined) continue;
    if (!w.required && same(value, w.default ?? null)) continue;
    body[w.name] = value;
  }
  return body;
}

function writeObject(widgets, values) {
  for (const w of widgets) w.write(values && w.name in values ? values[w.name] : w.default);
}

/** A preset picker plus width and height: `"landscape_16_9"` or `{"width": 768, "height": 512}`. */
function sizeWidget(spec, sizePresets) {
  const dims = (p) => (sizePresets[p] ? ` (${sizePresets[p][0]}×${sizePresets[p][1]})` : "");
  const select = el("select", { id: spec.id, name: spec.path },
    [...spec.presets.map((p) => el("option", { value: p }, `${p}${dims(p)}`)), el("option", { value: "custom" }, "custom size")]);
  const sub = (axis) => {
    const s = spec.object.properties[axis];
    const input = el("input", { type: "text", inputmode: "numeric", id: `${spec.id}-${axis}`, name: `${spec.path}.${axis}`, autocomplete: "off" });
    const error = el("p", { class: "error", id: `${spec.id}-${axis}-error` });
    const box = el("div", { class: "sub", "data-field": `${spec.path}.${axis}` }, [el("label", { for: input.id }, axis), input]);
    return { axis, input, error, box, schema: s };
  };
  const w = sub("width"), h = sub("height");
  const f = shell(spec, el("div", {}, [el("div", { class: "size-row" }, [select, w.box, h.box]), w.error, h.error]));
  const showDims = () => {
    const d = sizePresets[select.value];
    if (select.value === "custom") return;
    w.input.value = d ? d[0] : "";
    h.input.value = d ? d[1] : "";
    w.input.placeholder = h.input.placeholder = d ? "" : select.value;
  };
  select.addEventListener("change", () => {
    if (select.value === "custom" && !w.input.value) {
      w.input.value = w.schema.default ?? 512;
      h.input.value = h.schema.default ?? 512;
    }
    showDims();
  });
  // Typing a dimension means a custom size.
  for (const s of [w, h]) s.input.addEventListener("input", () => (select.value = "custom"));
  const num = (t) => (/^\d+$/.test(t.trim()) ? Number(t) : t.trim());
  return {
    ...f, name: spec.name, input: select,
    read: () => (select.value === "custom" ? { width: num(w.input.value), height: num(h.input.value) } : select.value),
    write(v) {
      if (v && typeof v === "object") {
        select.value = "custom";
        w.input.value = v.width ?? "";
        h.input.value = v.height ?? "";
      } else {
        select.value = v ?? spec.presets[0];
        showDims();
      }
    },
    error(rest, msg, item = {}) {
      const axis = rest.find((r) => r === "width" || r === "height");
      if (axis) {
        const s = axis === "width" ? w : h;
        s.error.textContent = `${axis}: ${msg}`;
        f.node.classList.add("invalid");
        return;
      }
      // A union reports one error per alternative: show only the one about the kind of value sent
      // (a custom size is not a preset name, and a preset name is not an object, needs no saying).
      const aboutPresets = ["one_of", "literal_error", "enum"].includes(item.type) || String(rest[0] ?? "").startsWith("literal");
      const aboutObject = ["model_type", "dict_type", "model_attributes_type"].includes(item.type);
      const custom = select.value === "custom";
      if ((custom && aboutPresets) || (!custom && aboutObject)) return;
      f.show(msg);
    },
  };
}

/** An editable list of objects (LoRAs): add and remove items up to `maxItems`. */
function listWidget(spec, ctx) {
  const max = spec.schema.maxItems ?? Infinity;
  const noun = ITEM_NAMES[spec.name] ?? spec.name.replace(/s$/, "");
  const holder = el("div", { class: "items" });
  const count = el("span", {});
  const add = el("button", { type: "button", class: "small" }, `Add ${noun}`);
  const f = shell(spec, el("div", {}, [holder, el("div", { class: "list-foot" }, [add, count])]), { tag: "fieldset" });
  let items = [];
  const isFile = (name) => ctx.fileFields.has(spec.name) && (name === "path" || name.endsWith("_url"));
  function render() {
    items.forEach((item, i) => {
      item.label.textContent = `${noun} ${i + 1}`;
      item.remove.setAttribute("aria-label", `Remove ${noun} ${i + 1}`);
    });
    add.disabled = items.length >= max;
    count.textContent = Number.isFinite(max) ? `${items.length} of ${max}` : `${items.length}`;
  }
  function addItem(values) {
    const index = items.length === 0 ? 0 : items.at(-1).index + 1;
    const widgets = widgetsFor(spec.item, ctx, `${spec.path}.${index}`, isFile);
    writeObject(widgets, values);
    const label = el("span", {});
    const remove = el("button", { type: "button", class: "small danger" }, "Remove");
    const item = { index, widgets, label, remove };
    item.node = el("div", { class: "list-item", "data-field": `${spec.path}.${index}` }, [el("div", { class: "item-head" }, [label, remove]), ...widgets.map((x) => x.node)]);
    remove.addEventListener("click", () => {
      items = items.filter((x) => x !== item);
      item.node.remove();
      render();
    });
    items.push(item);
    holder.append(item.node);
    render();
    return item;
  }
  add.addEventListener("click", () => addItem(null).widgets[0]?.input?.focus());
  render();
  return {
    ...f, name: spec.name, addItem,
    pending: () => Promise.all(items.flatMap((i) => i.widgets.map((w) => w.pending?.()))),
    read: () => items.map((i) => readObject(i.widgets)),
    write(values) {
      items.forEach((i) => i.node.remove());
      items = [];
      (Array.isArray(values) ? values : []).forEach((v) => addItem(v));
      render();
    },
    error(rest, msg, item) {
      const [index, name, ...more] = rest;
      const target = typeof index === "number" ? items[index]?.widgets.find((w) => w.name === name) : undefined;
      if (target) target.error(more, msg, item);
      else f.show(msg);
    },
    clear() {
      f.clear();
      items.forEach((i) => i.widgets.forEach((w) => w.clear()));
    },
  };
}

/**
 * Build the form for `schema` (the endpoint's input model) into `primary` and `more` containers.
 * Returns {read, write, showErrors, clearErrors, pending}.
 */
export function buildForm({ schema, components, fileFields, sizePresets, upload, primary, more }) {
  const ctx = { components, fileFields: new Set(fileFields), sizePresets, upload };
  const isFile = (name) => ctx.fileFields.has(name) || name.endsWith("_url");
  const widgets = widgetsFor(schema, ctx, "", isFile);
  const isMain = (w) => w.required || PRIMARY.has(w.name) || ["file", "size", "list"].includes(w.spec.kind);
  const rank = (w) => (w.name === "prompt" ? 0 : RANK[w.spec.kind] ?? 3);
  const main = widgets.filter(isMain).sort((a, b) => rank(a) - rank(b));
  primary.append(...main.map((w) => w.node));
  more.append(...widgets.filter((w) => !isMain(w)).map((w) => w.node));
  writeObject(widgets, null);
  const byName = new Map(widgets.map((w) => [w.name, w]));
  return {
    widgets: byName,
    read: () => readObject(widgets),
    write: (values) => writeObject(widgets, values),
    pending: () => Promise.all(widgets.map((w) => w.pending?.())),
    clearErrors: () => widgets.forEach((w) => w.clear()),
    /** Show 422 items beside their fields; returns the items that name no field, and the first field hit. */
    showErrors(detail) {
      const unplaced = [];
      let first = null;
      for (const item of detail) {
        const loc = Array.isArray(item.loc) ? [...item.loc] : [];
        if (loc[0] === "body") loc.shift();
        const w = byName.get(loc[0]);
        if (!w) { unplaced.push(item); continue; }
        w.error(loc.slice(1), item.msg, item);
        first ??= w;
      }
      return { unplaced, first };
    },
  };
}

