// One widget per input kind. A widget is {name, node, read(), write(value), error(rest, msg), clear()}:
// `read()` returns the JSON value to send (undefined: leave the field out so the server's default applies)
// and `error(rest, msg)` shows a 422 item whose `loc` continues with `rest` beside the right control.
import { bytes, el } from "./dom.js";

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The label row, control, description and error line every field shares. */
export function shell(spec, control, { labelFor = spec.id, tag = "div" } = {}) {
  const meta = rangeText(spec.schema);
  const extras = [
    spec.required ? el("span", { class: "tag" }, "required") : null,
    meta ? el("span", { class: "meta" }, meta) : null,
  ];
  const error = el("p", { class: "error", id: `${spec.id}-error`, "aria-live": "polite" });
  const hint = spec.schema.description ? el("p", { class: "hint", id: `${spec.id}-hint` }, spec.schema.description) : null;
  // A group (the LoRA list) is named by its legend; every other field by a label for its input.
  const head = tag === "fieldset"
    ? el("legend", {}, [spec.name, ...extras])
    : el("div", { class: "label-row" }, [el("label", { for: labelFor }, spec.name), ...extras]);
  const node = el(tag, { class: "field", "data-field": spec.path }, [head, control, hint, error]);
  return {
    node,
    show(msg) {
      error.textContent = error.textContent ? `${error.textContent} ${msg}` : msg;
      node.classList.add("invalid");
    },
    clear() {
      error.textContent = "";
      node.classList.remove("invalid");
      node.querySelectorAll(".error").forEach((e) => (e.textContent = ""));
    },
  };
}

function rangeText(schema) {
  const parts = [];
  const lo = schema.minimum ?? schema.exclusiveMinimum;
  // Caps like a seed's 2^63-1 say nothing to a person: show only ranges one would type within.
  const hi = Math.abs(schema.maximum ?? schema.exclusiveMaximum) < 1e9 ? schema.maximum ?? schema.exclusiveMaximum : undefined;
  if (lo !== undefined && hi !== undefined) parts.push(`${lo} – ${hi}`);
  else if (lo !== undefined) parts.push(`≥ ${lo}`);
  else if (hi !== undefined) parts.push(`≤ ${hi}`);
  if (schema.default !== undefined && schema.default !== null && typeof schema.default !== "object") {
    const text = String(schema.default);
    parts.push(`default ${text.length > 24 ? `${text.slice(0, 22)}…` : text}`);
  }
  return parts.join(" · ");
}

function describedBy(spec) {
  return [spec.schema.description ? `${spec.id}-hint` : null, `${spec.id}-error`].filter(Boolean).join(" ");
}

/** Text and numbers typed by a person; bad text is sent as typed so the API explains what is wrong. */
function parseNumber(text) {
  const t = text.trim();
  return NUMBER.test(t) ? Number(t) : t;
}

export function numberWidget(spec) {
  const s = spec.schema;
  const integer = s.type === "integer";
  const input = el("input", {
    type: "text", inputmode: integer ? "numeric" : "decimal", id: spec.id, name: spec.path,
    autocomplete: "off", placeholder: spec.nullable ? "random" : "", "aria-describedby": describedBy(spec),
  });
  const lo = s.minimum, hi = s.maximum;
  // A slider beside the box where the range is small enough to drag through (guidance scales, steps).
  const slide = lo !== undefined && hi !== undefined && (!integer || hi - lo <= 100);
  const slider = slide
    ? el("input", { type: "range", min: lo, max: hi, step: integer ? 1 : (hi - lo) / 100, "aria-label": `${spec.name} slider`, tabindex: -1 })
    : null;
  if (slider) {
    slider.addEventListener("input", () => (input.value = integer ? slider.value : String(+Number(slider.value).toFixed(3))));
    input.addEventListener("input", () => NUMBER.test(input.value.trim()) && (slider.value = input.value));
  }
  const f = shell(spec, el("div", { class: `number-row${slider ? "" : " alone"}` }, [input, slider]));
  return {
    ...f, name: spec.name, input,
    read() {
      if (!input.value.trim()) return spec.nullable ? null : undefined;
      return parseNumber(input.value);
    },
    write(v) {
      input.value = v === null || v === undefined ? "" : String(v);
      if (slider && v !== null && v !== undefined) slider.value = v;
    },
    error: (rest, msg) => f.show(msg),
  };
}

export function textWidget(spec) {
  const long = /prompt/.test(spec.name);
  const input = long
    ? el("textarea", { id: spec.id, name: spec.path, rows: spec.name === "prompt" ? 4 : 3, "aria-describedby": describedBy(spec) })
    : el("input", { type: "text", id: spec.id, name: spec.path, "aria-describedby": describedBy(spec) });
  const example = spec.schema.examples?.[0];
  if (typeof example === "string") input.placeholder = example;
  const f = shell(spec, input);
  const fallback = spec.schema.default;
  return {
    ...f, name: spec.name, input,
    read() {
      if (input.value !== "") return input.value;
      // Clearing a field whose default is text means "empty", not "the default".
      return typeof fallback === "string" && fallback !== "" ? "" : spec.nullable ? null : undefined;
    },
    write: (v) => (input.value = v ?? ""),
    error: (rest, msg) => f.show(msg),
  };
}

export function enumWidget(spec, values) {
  const options = values.map((v) => el("option", { value: v }, v));
  if (spec.nullable) options.unshift(el("option", { value: "" }, "(none)"));
  const select = el("select", { id: spec.id, name: spec.path, "aria-describedby": describedBy(spec) }, options);
  const f = shell(spec, select);
  return {
    ...f, name: spec.name, input: select,
    read: () => (select.value === "" ? (spec.nullable ? null : undefined) : select.value),
    write: (v) => (select.value = v ?? ""),
    error: (rest, msg) => f.show(msg),
  };
}

export function boolWidget(spec) {
  const box = el("input", { type: "checkbox", id: spec.id, name: spec.path, "aria-describedby": describedBy(spec) });
  const hint = spec.schema.description ? el("p", { class: "hint", id: `${spec.id}-hint` }, spec.schema.description) : null;
  const error = el("p", { class: "error", id: `${spec.id}-error`, "aria-live": "polite" });
  const node = el("div", { class: "field", "data-field": spec.path }, [
    el("div", { class: "check" }, [box, el("label", { for: spec.id }, spec.name),
      el("span", { class: "meta muted", style: "font-size:0.78rem" }, spec.schema.default !== undefined ? `default ${spec.schema.default ? "on" : "off"}` : "")]),
    hint, error,
  ]);
  return {
    node, name: spec.name, input: box,
    read: () => box.checked,
    write: (v) => (box.checked = Boolean(v)),
    error(rest, msg) { error.textContent = msg; node.classList.add("invalid"); },
    clear() { error.textContent = ""; node.classList.remove("invalid"); },
  };
}

/** Free-form JSON for shapes the page has no widget for (so a new field kind still works). */
export function jsonWidget(spec) {
  const input = el("textarea", { id: spec.id, name: spec.path, rows: 3, class: "mono", placeholder: "JSON", "aria-describedby": describedBy(spec) });
  const f = shell(spec, input);
  return {
    ...f, name: spec.name, input,
    read() {
      if (!input.value.trim()) return undefined;
      try { return JSON.parse(input.value); } catch { return input.value; }
    },
    write: (v) => (input.value = v === undefined || v === null ? "" : JSON.stringify(v)),
    error: (rest, msg) => f.show(rest.length ? `${rest.join(".")}: ${msg}` : msg),
  };
}

/** What a file field accepts, from fal's naming (`audio_url`, `image_url`, `end_image_url`, `video_url`). */
function acceptFor(name) {
  if (/audio/.test(name)) return "audio/*";
  if (/image/.test(name)) return "image/*";
  if (/video/.test(name)) return "video/*";
  if (name === "path") return ".safetensors";
  return "";
}

/** A URL box plus a file picker that uploads through the storage API and puts the file's URL in the box. */
export function fileWidget(spec, upload) {
  const input = el("input", {
    type: "text", inputmode: "url", id: spec.id, name: spec.path, autocomplete: "off",
    placeholder: "https://… or data: URI, or upload a file", "aria-describedby": describedBy(spec),
  });
  const picker = el("input", { type: "file", accept: acceptFor(spec.name), "aria-label": `Upload a file for ${spec.path}` });
  const preview = el("div", { class: "file-preview", "aria-live": "polite" });
  const f = shell(spec, el("div", {}, [
    el("div", { class: "file-row" }, [input, el("span", { class: "button file-pick" }, ["Upload", picker])]),
    preview,
  ]));
  let pending = Promise.resolve();
  picker.addEventListener("change", () => {
    const file = picker.files?.[0];
    if (file) pending = uploadInto(file);
  });
  async function uploadInto(file) {
    f.clear();
    const bar = el("progress", { max: 1, value: 0, "aria-label": `Uploading ${file.name}` });
    preview.replaceChildren(bar, `Uploading ${file.name} (${bytes(file.size)})…`);
    try {
      input.value = await upload(file, (x) => (bar.value = x));
      preview.replaceChildren(...previewOf(file), `${file.name} · ${bytes(file.size)} · uploaded`);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    } catch (err) {
      // Shown beside the field; a later Run sends what the box holds (the API then says what is missing).
      preview.replaceChildren();
      f.show(`Upload failed: ${err.message}`);
    } finally {
      picker.value = "";
    }
  }
  return {
    ...f, name: spec.name, input,
    pending: () => pending,
    read: () => input.value.trim() || undefined,
    write(v) { input.value = v ?? ""; preview.replaceChildren(); },
    error: (rest, msg) => f.show(msg),
  };
}

function previewOf(file) {
  const url = URL.createObjectURL(file);
  if (file.type.startsWith("image/")) return [el("img", { src: url, alt: `Preview of ${file.name}` })];
  if (file.type.startsWith("audio/")) return [el("audio", { src: url, controls: true, preload: "metadata" })];
  if (file.type.startsWith("video/")) return [el("video", { src: url, controls: true, muted: true, preload: "metadata" })];
  return [];
}
