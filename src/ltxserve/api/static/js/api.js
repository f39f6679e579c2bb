// The queue API as the official clients use it: key header, submit, status stream, result, cancel, uploads.

const KEY_STORAGE = "ltxserve.apiKey";

export const apiKey = {
  get: () => localStorage.getItem(KEY_STORAGE) || "",
  set: (key) => (key ? localStorage.setItem(KEY_STORAGE, key) : localStorage.removeItem(KEY_STORAGE)),
};

/** An HTTP error with the server's fal-shaped body (`detail` is a string or a list of `{loc, msg, type}`). */
export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.body = body;
  }
  /** The 422 items, when the body has them. */
  get fieldErrors() {
    return Array.isArray(this.body?.detail) ? this.body.detail : [];
  }
}

function describe(status, body) {
  if (status === 401) return "The server refused the API key: enter a valid key at the top of the page.";
  const detail = body?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) return detail.map((d) => d.msg).join("; ");
  if (typeof body === "string" && body) return body;
  return `HTTP ${status}`;
}

function authHeaders(extra = {}) {
  const key = apiKey.get();
  return key ? { ...extra, Authorization: `Key ${key}` } : extra;
}

/** Call a route with the key; JSON in and out; throws ApiError on 4xx/5xx. */
export async function call(url, { method = "GET", json, signal } = {}) {
  const headers = authHeaders(json === undefined ? {} : { "Content-Type": "application/json" });
  const body = json === undefined ? undefined : JSON.stringify(json);
  const response = await fetch(url, { method, headers, body, signal });
  const text = await response.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON: keep the text */ }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const submit = (endpointId, input) => call(`/queue/${endpointId}`, { method: "POST", json: input });
export const cancel = (job) => call(job.cancel_url, { method: "PUT" });
export const history = (endpointId, limit = 15) =>
  call(`/api/requests?limit=${limit}${endpointId ? `&endpoint_id=${encodeURIComponent(endpointId)}` : ""}`);

/** The result, or the job's own failure thrown as an ApiError (e.g. a 422 from the worker). */
export const result = (job) => call(job.response_url);

/**
 * Status events from `status/stream?logs=1` (server-sent events read with fetch: EventSource cannot send
 * the Authorization header). Each event carries only the log lines new since the previous one.
 */
export async function* statusEvents(job, signal) {
  const response = await fetch(`${job.status_url}/stream?logs=1`, { headers: authHeaders(), signal });
  if (!response.ok) throw new ApiError(response.status, await response.text());
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    if (buffer.endsWith("\r")) continue; // a CRLF split across chunks: wait for its LF
    buffer = buffer.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart());
      if (data.length) yield JSON.parse(data.join("\n"));
    }
  }
}

/** The status once, with all log lines (used when reopening a request and when a stream drops). */
export const status = (job) => call(`${job.status_url}?logs=1`);

/**
 * Upload a local file the way @fal-ai/client does (`upload/initiate`, then one PUT to `upload_url`);
 * resolves to the file's URL. `onProgress(fraction)` follows the PUT.
 */
export async function upload(file, onProgress = () => {}) {
  const contentType = file.type || "application/octet-stream";
  const { upload_url, file_url } = await call("/rest/storage/upload/initiate?storage_type=fal-cdn-v3", {
    method: "POST",
    json: { content_type: contentType, file_name: file.name },
  });
  await new Promise((resolve, reject) => {
    // XMLHttpRequest rather than fetch: it reports upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", upload_url);
    xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new ApiError(xhr.status, safeJson(xhr.responseText))));
    xhr.onerror = () => reject(new Error("Upload failed: the connection was lost"));
    xhr.send(file);
  });
  onProgress(1);
  return file_url;
}

function safeJson(text) {
  try { return JSON.parse(text); } catch { return text; }
}

/**
 * A playable URL for an output file. Data URIs and capability URLs (the default) play as they are, so the
 * browser streams them with range requests; key-only files (`LTXSERVE_PRIVATE_FILES`) are fetched with
 * the key, since a media element cannot send a header, and played from a blob: URL.
 */
export async function mediaUrl(file) {
  if (file.url.startsWith("data:")) return file.url;
  const open = await fetch(file.url, { method: "HEAD" }).then((r) => r.ok, () => false);
  if (open) return file.url;
  const response = await fetch(file.url, { headers: authHeaders() });
  if (!response.ok) throw new ApiError(response.status, safeJson(await response.text()));
  return URL.createObjectURL(await response.blob());
}
