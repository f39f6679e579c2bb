// The landing page: the served endpoints (from /api/endpoints) and the server's state (from /health).
import { el, fetchJson } from "./dom.js";

const REFRESH_MS = 5000;

function endpointCard(e) {
  const inputs = e.file_fields.map((f) => el("span", { class: "chip" }, f === "loras" ? "LoRAs" : f));
  return el("article", { class: "card", "data-endpoint": e.endpoint_id }, [
    el("div", { class: "chips" }, [el("span", { class: `chip ${e.output}` }, `${e.output} out`), ...inputs]),
    el("h2", {}, e.title),
    el("code", {}, e.endpoint_id),
    el("div", { class: "links" }, [
      el("a", { class: "button primary small", href: e.playground_url }, "Open playground"),
      el("a", { class: "button small", href: e.openapi_url }, "OpenAPI"),
    ]),
  ]);
}

async function showEndpoints() {
  const box = document.getElementById("endpoints");
  try {
    const { endpoints } = await fetchJson("/api/endpoints");
    box.replaceChildren(...endpoints.map(endpointCard));
  } catch (err) {
    box.replaceChildren(el("p", { class: "form-error" }, `Could not list the endpoints: ${err.message}`));
  }
  box.removeAttribute("aria-busy");
}

function workerLine(w) {
  const tone = !w.alive ? "bad" : w.state === "ready" || w.state === "busy" ? "ok" : "warn";
  const what = w.current_job ? ` · running ${w.current_job.slice(0, 8)}` : "";
  return el("li", {}, [el("span", { class: `dot ${tone}` }), `${w.worker_id} · ${w.device ?? "?"} · ${w.state}${what}`]);
}

async function showState() {
  const box = document.getElementById("server-state");
  let health;
  try {
    health = await fetchJson("/health");
  } catch (err) {
    box.replaceChildren(el("p", {}, [el("span", { class: "dot bad" }), `Unreachable: ${err.message}`]));
    return;
  }
  const workers = Array.isArray(health.workers) ? health.workers : [];
  const live = workers.filter((w) => w.alive);
  const ready = live.filter((w) => w.state === "ready" || w.state === "busy");
  box.replaceChildren(
    el("p", {}, [el("span", { class: `dot ${health.ready ? "ok" : "warn"}` }), health.ready ? "Ready" : "Starting: no worker has loaded the model yet"]),
    el("dl", {}, [
      el("dt", {}, "Workers ready"), el("dd", { id: "workers-ready" }, `${ready.length} of ${live.length}`),
      el("dt", {}, "Queue length"), el("dd", { id: "queue-length" }, String(health.queue_length ?? "?")),
      el("dt", {}, "API keys"), el("dd", {}, health.auth ? "required" : "off (loopback only)"),
    ]),
    el("ul", { class: "workers" }, workers.map(workerLine)),
  );
}

showEndpoints();
showState();
setInterval(showState, REFRESH_MS);
