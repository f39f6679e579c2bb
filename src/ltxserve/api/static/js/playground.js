// The playground page: one endpoint's form, a run through the queue API, live status, result, code, history.
import * as api from "./api.js";
import { ago, el, fetchJson } from "./dom.js";
import { RunView } from "./run_view.js";
import { setupKeyBox } from "./key_box.js";
import { buildForm } from "./schema_form.js";
import { LANGUAGES } from "./snippets.js";

const $ = (id) => document.getElementById(id);
const endpointId = decodeURIComponent(location.pathname.replace(/^\/playground\//, ""));
const base = location.origin;
const view = new RunView(document);
let form, info, current = null, language = localStorage.getItem("ltxserve.codeLanguage") || "python";

async function main() {
  const openapiUrl = `/openapi/queue/openapi.json?endpoint_id=${encodeURIComponent(endpointId)}`;
  const [catalogue, openapi] = await Promise.all([fetchJson("/api/endpoints"), fetchJson(openapiUrl)]);
  info = catalogue.endpoints.find((e) => e.endpoint_id === endpointId);
  document.title = `${info.title} · ltxserve playground`;
  $("title").textContent = info.title;
  $("endpoint-id").textContent = endpointId;
  $("openapi-link").href = openapiUrl;
  // The picker groups endpoints by family ("LTX-2.3 22B: image to video" → "LTX-2.3 22B").
  const groups = new Map();
  for (const e of catalogue.endpoints) {
    const family = e.title.includes(":") ? e.title.split(":")[0] : "Endpoints";
    if (!groups.has(family)) groups.set(family, el("optgroup", { label: family }));
    groups.get(family).append(el("option", { value: e.endpoint_id, selected: e.endpoint_id === endpointId }, e.endpoint_id));
  }
  $("endpoint-picker").replaceChildren(...groups.values());
  $("endpoint-picker").addEventListener("change", (e) => (location.href = `/playground/${e.target.value}`));

  const components = openapi.components.schemas;
  const ref = openapi.paths[`/${endpointId}`].post.requestBody.content["application/json"].schema.$ref;
  form = buildForm({
    schema: components[ref.split("/").pop()],
    components,
    fileFields: info.file_fields,
    sizePresets: catalogue.size_presets ?? {},
    upload: api.upload,
    primary: $("fields-primary"),
    more: $("fields-more"),
  });
  $("input-form").addEventListener("input", scheduleCode);
  $("input-form").addEventListener("change", scheduleCode);
  $("input-form").addEventListener("click", (e) => e.target.closest("button[type=button]") && scheduleCode());
  $("input-form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  // Ctrl+Enter (⌘+Enter) runs from anywhere in the form, the prompt box included.
  $("input-form").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !$("run").disabled) { e.preventDefault(); run(); }
  });
  $("cancel").addEventListener("click", cancelCurrent);
  $("reset-form").addEventListener("click", () => { form.write(null); form.clearErrors(); scheduleCode(); });
  setupKeyBox(showHistory);
  setupCode();
  $("history-refresh").addEventListener("click", showHistory);
  document.body.dataset.ready = "true";
  performance.mark("ltxserve:form-ready"); // benchmarks/bench_playground.py reads this
  await showHistory();
  const reopen = new URLSearchParams(location.search).get("request");
  if (reopen) reopenById(reopen);
}

// -- running -----------------------------------------------------------------------------------------------

async function run() {
  await form.pending(); // uploads still in flight
  form.clearErrors();
  $("form-error").textContent = "";
  const input = form.read();
  view.reset();
  view.setStatus("queued", "Submitting", "Sending the request…");
  $("run").disabled = true;
  let job;
  try {
    job = await api.submit(endpointId, input);
  } catch (err) {
    $("run").disabled = false;
    showError(err);
    return;
  }
  await follow(job);
}

/** Follow a submitted (or reopened) job to its end: stream, then the result or the failure. */
async function follow(job, initial = null) {
  const abort = new AbortController();
  current = { job, abort };
  $("request-id").textContent = job.request_id;
  $("cancel").disabled = false;
  $("run").disabled = true;
  let last = initial;
  try {
    if (last?.status !== "COMPLETED") {
      try {
        for await (const event of api.statusEvents(job, abort.signal)) {
          view.update(event);
          last = event;
        }
      } catch (err) {
        if (abort.signal.aborted) return;
      }
      // The stream ended early (a proxy, a dropped connection): poll until the job completes.
      while (last?.status !== "COMPLETED") {
        await new Promise((r) => setTimeout(r, 1000));
        if (abort.signal.aborted) return;
        last = await api.status(job);
        view.logsBox.replaceChildren();
        view.lines = 0;
        view.update(last);
      }
    }
    await finish(job, last);
  } catch (err) {
    showError(err);
  } finally {
    if (current?.job === job) current = null;
    if (!current) {
      // (A reopened request may have taken over meanwhile: its buttons stay as they are.)
      $("cancel").disabled = true;
      $("run").disabled = false;
    }
    showHistory();
  }
}

async function finish(job, completed) {
  if (completed.error_type === "client_cancelled") {
    view.showFailure("cancelled", "Cancelled", "The request was cancelled.");
    return;
  }
  try {
    const output = await api.result(job);
    await view.showResult(output, info.output, completed.metrics?.inference_time);
  } catch (err) {
    showError(err);
  }
}

/** A failure: 422 items beside their fields, anything else in the status line and above the form. */
function showError(err) {
  const items = err instanceof api.ApiError ? err.fieldErrors : [];
  const { unplaced, first } = form.showErrors(items);
  if (first) {
    $("more-settings").open ||= $("fields-more").contains(first.node);
    first.node.scrollIntoView({ block: "center", behavior: "smooth" });
  }
  const text = unplaced.length ? unplaced.map((d) => d.msg).join("; ") : items.length ? "" : err.message;
  $("form-error").textContent = text;
  const summary = items.length ? `Invalid input: ${items.map((d) => d.msg).join("; ")}` : err.message;
  view.showFailure("error", err.status === 422 ? "Invalid" : "Failed", summary);
  if (err.status === 401) $("api-key").focus();
}

async function cancelCurrent() {
  if (!current) return;
  $("cancel").disabled = true;
  try {
    await api.cancel(current.job);
    view.markCancelling();
  } catch (err) {
    view.setStatus("error", "Cancel failed", err.message);
  }
}

// -- copy-as-code ------------------------------------------------------------------------------------------

function setupCode() {
  const tabs = Object.entries(LANGUAGES).map(([key, [label]]) =>
    el("button", { type: "button", role: "tab", "data-language": key, "aria-selected": String(key === language),
      onclick: () => { language = key; localStorage.setItem("ltxserve.codeLanguage", key); renderCode(); } }, label));
  const copy = el("button", { type: "button", class: "small copy", id: "copy-code", onclick: copyCode }, "Copy");
  $("code-tabs").replaceChildren(...tabs, copy);
  renderCode();
}

let codeTimer;
function scheduleCode() {
  clearTimeout(codeTimer);
  codeTimer = setTimeout(renderCode, 120);
}

function renderCode() {
  for (const tab of $("code-tabs").querySelectorAll("[role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.language === language));
  }
  const [, make] = LANGUAGES[language];
  $("code").firstElementChild.textContent = make(base, endpointId, form.read());
  $("code").dataset.language = language;
}

async function copyCode() {
  renderCode();
  const text = $("code").textContent;
  try {
    await navigator.clipboard.writeText(text);
    $("copy-code").textContent = "Copied";
  } catch {
    // Clipboard access needs a secure context: select the text so Ctrl+C works.
    getSelection().selectAllChildren($("code"));
    $("copy-code").textContent = "Selected: press Ctrl+C";
  }
  setTimeout(() => ($("copy-code").textContent = "Copy"), 1500);
}

// -- history: this key's recent requests, from the API ------------------------------------------------------

let historyItems = [];

async function showHistory() {
  const list = $("history");
  try {
    historyItems = (await api.history(null, 15)).requests;
  } catch (err) {
    const text = err.status === 401 ? "Enter your API key to see your recent requests." : `Could not load: ${err.message}`;
    list.replaceChildren(el("li", { class: "muted" }, text));
    return;
  }
  if (!historyItems.length) {
    list.replaceChildren(el("li", { class: "muted" }, "No requests with this key yet."));
    return;
  }
  list.replaceChildren(...historyItems.map((item) => el("li", {}, historyButton(item))));
}

function historyButton(item) {
  const kind = item.status !== "COMPLETED" ? (item.status === "IN_QUEUE" ? "queued" : "running") : item.outcome;
  const label = { queued: "queued", running: "running", ok: "done", error: "failed", cancelled: "cancelled" }[kind];
  const prompt = item.input?.prompt ?? "(input not stored)";
  const other = item.endpoint_id === endpointId ? "" : `${item.endpoint_id.split("/").slice(1).join("/")} · `;
  return el("button", { type: "button", "data-request-id": item.request_id, onclick: () => reopen(item),
    title: `${item.endpoint_id}\n${item.request_id}` }, [
    el("span", { class: `badge ${kind}` }, label),
    el("span", { class: "what" }, `${other}${prompt}`),
    el("span", { class: "when" }, ago(item.created_at)),
  ]);
}

async function reopenById(requestId) {
  const item = historyItems.find((i) => i.request_id === requestId)
    ?? (await api.history(endpointId, 100).catch(() => ({ requests: [] }))).requests.find((i) => i.request_id === requestId);
  if (item) reopen(item);
  else view.setStatus("error", "Not found", `Request ${requestId} is not among this key's recent requests.`);
}

/** Put a past request back: its input in the form, its logs, its result (or follow it if still running). */
async function reopen(item) {
  if (item.endpoint_id !== endpointId) {
    location.href = `/playground/${item.endpoint_id}?request=${item.request_id}`;
    return;
  }
  if (current) current.abort.abort();
  form.clearErrors();
  $("form-error").textContent = "";
  if (item.input && Object.keys(item.input).length) form.write(item.input);
  renderCode();
  view.reset();
  history.replaceState(null, "", `?request=${item.request_id}`);
  const status = await api.status(item).catch((err) => (showError(err), null));
  if (!status) return;
  if (status.status !== "COMPLETED") return follow(item); // the stream replays the logs so far
  view.update(status);
  await follow(item, status);
}

main().catch((err) => {
  $("title").textContent = "The playground could not start";
  $("form-error").textContent = err.message;
});
