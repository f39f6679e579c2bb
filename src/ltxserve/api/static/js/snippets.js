// Copy-as-code: the exact request the form would send, as Python (fal_client), JavaScript
// (@fal-ai/client) and cURL, pointed at this server. The key is never written into the code.

/** A JSON value as a Python literal (True/False/None), indented like `json.dumps(indent=4)`. */
export function pythonLiteral(value, indent = 0) {
  const pad = " ".repeat(indent + 4);
  const end = " ".repeat(indent);
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  if (typeof value === "string") return JSON.stringify(value); // a JSON string is a valid Python string
  if (Array.isArray(value)) {
    if (!value.length) return "[]";
    return `[\n${value.map((v) => pad + pythonLiteral(v, indent + 4)).join(",\n")},\n${end}]`;
  }
  const entries = Object.entries(value);
  if (!entries.length) return "{}";
  return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${pythonLiteral(v, indent + 4)}`).join(",\n")},\n${end}}`;
}

export function python(base, endpointId, input) {
  return `# pip install fal-client    then: export FAL_KEY=<your key for this server>
import fal_client
import fal_client.client as fc

# Point the official client at this server (plain http: rebind its URLs at run time).
base = ${JSON.stringify(base)}
fc.RUN_URL_FORMAT, fc.QUEUE_URL_FORMAT = f"{base}/run/", f"{base}/queue/"
fc.REST_URL, fc.CDN_URL = f"{base}/rest", f"{base}/cdn"


def show_logs(update):
    for log in getattr(update, "logs", None) or []:
        print(log["message"])


result = fal_client.subscribe(
    ${JSON.stringify(endpointId)},
    arguments=${pythonLiteral(input, 4)},
    with_logs=True,
    on_queue_update=show_logs,
)
print(result)
`;
}

export function javascript(base, endpointId, input) {
  const body = JSON.stringify(input, null, 2).replaceAll("\n", "\n  ");
  return `// npm install @fal-ai/client    then: export FAL_KEY=<your key for this server>
import { createFalClient } from "@fal-ai/client";

const fal = createFalClient({
  credentials: process.env.FAL_KEY,
  proxyUrl: { url: ${JSON.stringify(`${base}/api/fal/proxy`)}, when: "always" },
});

const result = await fal.subscribe(${JSON.stringify(endpointId)}, {
  input: ${body},
  logs: true,
  onQueueUpdate: (update) => (update.logs ?? []).forEach((log) => console.log(log.message)),
});
console.log(result.data);
`;
}

/** Shell single quotes around any text. */
const shellQuote = (text) => `'${text.replaceAll("'", `'\\''`)}'`;

export function curl(base, endpointId, input) {
  return `# export FAL_KEY=<your key for this server>
# 1. Submit to the queue; the reply holds the request's status and result URLs.
SUBMIT=$(curl -sS -X POST ${shellQuote(`${base}/queue/${endpointId}`)} \\
  -H "Authorization: Key $FAL_KEY" \\
  -H "Content-Type: application/json" \\
  -d ${shellQuote(JSON.stringify(input))})
RESPONSE_URL=$(printf '%s' "$SUBMIT" | sed -E 's/.*"response_url": *"([^"]+)".*/\\1/')

# 2. Follow its status and logs (server-sent events) until it completes.
curl -sS -N "$RESPONSE_URL/status/stream?logs=1" -H "Authorization: Key $FAL_KEY"

# 3. Fetch the result.
curl -sS "$RESPONSE_URL" -H "Authorization: Key $FAL_KEY"
`;
}

export const LANGUAGES = { python: ["Python", python], javascript: ["JavaScript", javascript], curl: ["cURL", curl] };
