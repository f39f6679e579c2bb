// The landing page: the served endpoints (from /api/endpoints) and the server's state (from /health).
import { ApiError, call } from "./api.js";
import { el, fetchJson } from "./dom.js";
import { setupKeyBox } from "./key_box.js";

const REFRESH_MS = 5000;

/** "LTX-2.3 22B: image to video" → ["LTX-2.3 22B", "Image to video"]: cards are grouped by family. */
export function splitTitle(title) {
  const at = title.indexOf(":");
  if (at < 0) return ["Endpoints", title];
  const task = title.slice(at + 1).trim();
  return [title.slice(0, at).trim(), task.charAt(0).toUpperCase() + task.slice(1)];
}

function endpointCard(e) {
  const inputs = e.file_fields.map((f) => el("span", { class: "chip" }, f === "loras" ? "LoRAs" : f));
  return el("article", { class: "card", "data-endpoint": e.endpoint_id }, [
    el("div", { class: "chips" }, [el("span", { class: `chip ${e.output}` }, `${e.output} out`), ...inputs]),
    el("h3", {}, splitTitle(e.title)[1]),
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
    const families = new Map();
    for (const e of endpoints) {
      const family = splitTitle(e.title)[0];
      if (!families.has(family)) families.set(family, []);
      families.get(family).push(e);
    }
    box.replaceChildren(...[...families].map(([family, members]) => el("section", { class: "family", "aria-label": family }, [
      el("h2", {}, `${family} · ${members.length}`),
      el("div", { class: "cards" }, members.map(endpointCard)),
    ])));
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
    health = await call("/health"); // with the key when one is saved: the details need it
  } catch (err) {
    if (err instanceof ApiError && err.body?.status) health = err.body; // 503: up, but unhealthy
    else {
      box.replaceChildren(el("p", {}, [el("span", { class: "dot bad" }), `Unreachable: ${err.message}`]));
      return;
    }
  }
  const headline = el("p", {}, [
    el("span", { class: `dot ${health.ready ? "ok" : health.status === "ok" ? "warn" : "bad"}` }),
    health.ready ? "Ready" : `Not ready${health.reason ? `: ${health.reason}` : ""}`,
  ]);
  if (!("workers" in health)) {
    box.replaceChildren(headline, el("p", { class: "muted" }, "Enter your API key above to see the workers and the queue."));
    return;
  }
  const workers = Array.isArray(health.workers) ? health.workers : [];
  const live = workers.filter((w) => w.alive);
  const ready = live.filter((w) => w.state === "ready" || w.state === "busy");
  box.replaceChildren(
    headline,
    el("dl", {}, [
      el("dt", {}, "Workers ready"), el("dd", { id: "workers-ready" }, `${ready.length} of ${live.length}`),
      el("dt", {}, "Queue length"), el("dd", { id: "queue-length" }, String(health.queue_length ?? "?")),
      el("dt", {}, "API keys"), el("dd", {}, health.auth ? "required" : "off (loopback only)"),
    ]),
    el("ul", { class: "workers" }, workers.map(workerLine)),
    ...Object.entries(health.waiting ?? {}).map(([endpoint, w]) =>
      el("p", { class: "hint" }, `${w.queued} waiting for ${endpoint}: ${w.reason}`)),
  );
}

setupKeyBox(showState);
showEndpoints();
showState();
setInterval(showState, REFRESH_MS);
