// Drives a live ltxserve with the official @fal-ai/client, unmodified. Prints one JSON summary line.
// Usage: LTXSERVE_URL=http://127.0.0.1:8000 FAL_KEY=... node flows.mjs <fetch|proxy|middleware> <inputs.json>
import { readFileSync } from "node:fs";
import { createFalClient, ValidationError, ApiError } from "@fal-ai/client";

const base = process.env.LTXSERVE_URL;
const key = process.env.FAL_KEY;
const mode = process.argv[2];
const inputs = JSON.parse(readFileSync(process.argv[3], "utf8"));

// The README's configuration: rewrite the hosted hosts to the server's prefixes.
const HOSTS = {
  "https://queue.fal.run/": `${base}/queue/`,
  "https://fal.run/": `${base}/run/`,
  "https://rest.fal.ai/": `${base}/rest/`,
};
function rewritingFetch(input, init) {
  let url = typeof input === "string" ? input : input.url;
  for (const [hosted, local] of Object.entries(HOSTS)) {
    if (url.startsWith(hosted)) url = local + url.slice(hosted.length);
  }
  return fetch(url, init);
}

// docs/api.md's recipes, one per mode: the proxy route, a request middleware, or a custom fetch.
function rewrite(url) {
  for (const [hosted, local] of Object.entries(HOSTS)) {
    if (url.startsWith(hosted)) return local + url.slice(hosted.length);
  }
  return url;
}
const fal =
  mode === "proxy"
    ? createFalClient({ credentials: key, proxyUrl: { url: `${base}/api/fal/proxy`, when: "always" } })
    : mode === "middleware"
      ? createFalClient({
          credentials: key,
          requestMiddleware: async (request) => ({ ...request, url: rewrite(request.url) }),
        })
      : createFalClient({ credentials: key, fetch: rewritingFetch });

const assert = (cond, msg) => {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
};
const fieldOf = (id) => (id.includes("text-to-audio") ? "audio" : "video");
const summary = { mode, endpoints: {} };

for (const [id, input] of Object.entries(inputs)) {
  const field = fieldOf(id);
  const seen = { polling: [], streaming: [] };
  // subscribe, polling with logs
  const polled = await fal.subscribe(id, {
    input, logs: true, onQueueUpdate: (u) => seen.polling.push(u),
  });
  assert(polled.data[field].url.startsWith(base), `${id} subscribe url`);
  assert(polled.requestId, `${id} requestId`);
  // subscribe, status stream
  const streamed = await fal.subscribe(id, {
    input, logs: true, mode: "streaming", onQueueUpdate: (u) => seen.streaming.push(u),
  });
  assert(streamed.data[field], `${id} streaming result`);
  const streamLogs = seen.streaming.flatMap((u) => u.logs || []).map((l) => l.message);
  assert(streamLogs.some((m) => m.includes("step")), `${id} stream logs`);
  // submit → status → result
  const { request_id } = await fal.queue.submit(id, { input, priority: "low" });
  await fal.queue.subscribeToStatus(id, { requestId: request_id, logs: true });
  const status = await fal.queue.status(id, { requestId: request_id, logs: true });
  assert(status.status === "COMPLETED" && status.logs.length > 0, `${id} status`);
  const result = await fal.queue.result(id, { requestId: request_id });
  assert(result.data[field].file_size > 0, `${id} result`);
  // run
  const ran = await fal.run(id, { input });
  assert(ran.data[field], `${id} run`);
  summary.endpoints[id] = { polling: seen.polling.length, streaming: seen.streaming.length };
}

// upload, then use the URL as audio_url
const a2v = "fal-ai/ltx-2.3-22b/audio-to-video";
const uploaded = await fal.storage.upload(new Blob([new Uint8Array(64)], { type: "audio/wav" }));
assert(uploaded.startsWith(base), "upload url");
const withUpload = await fal.subscribe(a2v, { input: { prompt: "x", audio_url: uploaded } });
assert(withUpload.data.video, "uploaded audio used");
// a Blob in the input is uploaded by the client itself
const withBlob = await fal.subscribe(a2v, {
  input: { prompt: "x", audio_url: new Blob([new Uint8Array(32)], { type: "audio/wav" }) },
});
assert(withBlob.data.video, "blob input");
// sync_mode and data URI input
const synced = await fal.run(a2v, { input: { prompt: "x", audio_url: inputs[a2v].audio_url, sync_mode: true } });
assert(synced.data.video.url.startsWith("data:video/mp4;base64,"), "sync_mode data uri");
// cancel
const t2a = "fal-ai/ltx-2.3-quality/text-to-audio";
const sub = await fal.queue.submit(t2a, { input: { prompt: "to cancel" } });
await fal.queue.cancel(t2a, { requestId: sub.request_id });
const cancelled = await fal.queue.subscribeToStatus(t2a, { requestId: sub.request_id });
assert(cancelled.status === "COMPLETED", "cancelled status");
let cancelError = null;
try {
  await fal.queue.result(t2a, { requestId: sub.request_id });
} catch (e) {
  cancelError = e;
}
assert(cancelError instanceof ApiError && cancelError.status === 499, "cancelled result error");
// 422 → ValidationError with fieldErrors
let invalid = null;
try {
  await fal.subscribe(t2a, { input: { prompt: "x", num_inference_steps: 1000000 } });
} catch (e) {
  invalid = e;
}
assert(invalid instanceof ValidationError, "validation error class");
assert(invalid.fieldErrors[0].loc.join(".") === "body.num_inference_steps", "validation field");
// a bad custom size is found by the field's name, as fal's docs show
let badSize = null;
try {
  await fal.subscribe("fal-ai/ltx-2.3-22b/text-to-video/lora", {
    input: { prompt: "x", loras: [], video_size: { width: 10, height: 256 } },
  });
} catch (e) {
  badSize = e;
}
assert(badSize instanceof ValidationError && badSize.getFieldErrors("video_size").length > 0, "getFieldErrors(video_size)");
summary.ok = true;
console.log(JSON.stringify(summary));
