// The run panel: status, a progress bar per engine stage (from the `stage: step i/n` log lines), the log
// lines, and the result playing in the page with its metadata and a download link.
import { bytes, el } from "./dom.js";
import { mediaUrl } from "./api.js";

const STEP_LINE = /^([\w.-]+): step (\d+)\/(\d+)$/;

export class RunView {
  constructor(root) {
    this.statusBox = root.querySelector("#run-status");
    this.stagesBox = root.querySelector("#stages");
    this.logsBox = root.querySelector("#logs");
    this.logCount = root.querySelector("#log-count");
    this.resultBox = root.querySelector("#result");
    this.reset();
  }

  reset() {
    this.cancelling = false;
    this.stages = new Map();
    this.stagesBox.replaceChildren();
    this.logsBox.replaceChildren();
    this.lines = 0;
    this.logCount.textContent = "";
    this.setStatus("idle", "Ready", "Fill in the form and press Run.");
    this.resultBox.replaceChildren(el("div", { class: "placeholder" }, "The result will play here."));
  }

  /** One status badge and a line of text; `kind` is idle, queued, running, ok, error or cancelled. */
  setStatus(kind, badge, text) {
    this.statusBox.dataset.state = kind;
    this.elapsed = el("span", { class: "muted elapsed" });
    this.statusBox.replaceChildren(el("span", { class: `badge ${kind}` }, badge), el("span", {}, text), this.elapsed);
    const active = kind === "queued" || kind === "running";
    if (active && !this.timer) {
      this.started = performance.now();
      this.timer = setInterval(() => this.tick(), 250);
    } else if (!active && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.tick();
  }

  /** Seconds since the request was sent, while it waits or runs. */
  tick() {
    if (this.timer) this.elapsed.textContent = `${((performance.now() - this.started) / 1000).toFixed(1)} s`;
  }

  /** Apply one status event (or a polled status): position, logs, progress. */
  update(event) {
    if (event.status === "IN_QUEUE") {
      const position = event.queue_position ?? 0;
      this.setStatus("queued", "In queue", position === 0 ? "Next to start" : `Position ${position} in the queue`);
    }
    for (const line of event.logs ?? []) this.addLog(line);
    if (event.status === "IN_PROGRESS") {
      if (this.cancelling) this.setStatus("running", "Cancelling", "Stopping at the next step…");
      else this.setStatus("running", "Running", this.currentStage ? `${this.currentStage}…` : "Started");
    }
  }

  /** Cancel was accepted: say so until the job ends. */
  markCancelling() {
    this.cancelling = true;
    this.setStatus("running", "Cancelling", "Stopping at the next step…");
  }

  addLog(line) {
    const match = STEP_LINE.exec(line.message);
    if (match) this.progress(match[1], Number(match[2]), Number(match[3]));
    const time = line.timestamp ? new Date(line.timestamp).toLocaleTimeString() : "";
    this.logsBox.append(el("span", { class: line.level }, `${time} ${line.level.padEnd(5)} ${line.message}\n`));
    this.lines += 1;
    this.logCount.textContent = `(${this.lines})`;
    this.logsBox.scrollTop = this.logsBox.scrollHeight;
  }

  progress(stage, step, total) {
    let bar = this.stages.get(stage);
    if (!bar) {
      const meter = el("progress", { max: total, value: 0, "aria-label": `${stage} progress`, "data-stage": stage });
      const count = el("span", { class: "count" });
      this.stagesBox.append(el("div", { class: "stage" }, [el("span", { class: "name" }, stage), meter, count]));
      bar = { meter, count };
      this.stages.set(stage, bar);
    }
    bar.meter.max = total;
    bar.meter.value = step;
    bar.meter.classList.toggle("done", step >= total);
    bar.count.textContent = `${Math.round((100 * step) / total)}%`;
    this.currentStage = stage;
  }

  /** The finished output: media element, metadata, download link. */
  async showResult(output, outputField, seconds) {
    const file = output[outputField];
    const done = seconds != null ? `Done in ${seconds.toFixed(1)} s` : "Done";
    this.setStatus("ok", "Completed", done);
    if (!file?.url) {
      this.resultBox.replaceChildren(el("pre", { class: "code" }, JSON.stringify(output, null, 2)));
      return;
    }
    this.resultBox.replaceChildren(el("div", { class: "placeholder" }, "Loading the result…"));
    let src;
    try {
      src = await mediaUrl(file);
    } catch (err) {
      this.resultBox.replaceChildren(el("p", { class: "form-error" }, `Could not load ${file.url}: ${err.message}`));
      return;
    }
    const media = mediaElement(file, src);
    const name = file.file_name ?? file.url.split("/").pop();
    this.resultBox.replaceChildren(
      el("div", { class: "media" }, media),
      metadataTable(file, output),
      el("div", { class: "result-actions" }, [
        el("a", { class: "button primary small", href: src, download: name, id: "download" }, `Download ${name}`),
        el("button", { type: "button", class: "small", onclick: () => navigator.clipboard?.writeText(file.url) }, "Copy file URL"),
      ]),
      el("details", { class: "raw" }, [el("summary", {}, "Output JSON"),
        el("pre", { class: "code", id: "output-json" }, JSON.stringify(output, null, 2))]),
    );
  }

  showFailure(kind, badge, message) {
    this.setStatus(kind, badge, message);
    if (!this.resultBox.querySelector("video, audio, img")) {
      this.resultBox.replaceChildren(el("div", { class: "placeholder" }, message));
    }
  }
}

function mediaElement(file, src) {
  const type = file.content_type ?? "";
  if (type.startsWith("audio/")) return el("audio", { controls: true, src, preload: "metadata", id: "result-media" });
  if (type === "image/gif" || type.startsWith("image/")) return el("img", { src, alt: "Generated animation", id: "result-media" });
  const video = el("video", { controls: true, src, preload: "auto", playsinline: true, loop: true, id: "result-media" });
  // ProRes .mov does not play in browsers: say so instead of showing a broken player.
  video.addEventListener("error", () => video.replaceWith(el("p", { class: "placeholder" },
    `This browser cannot play ${type || "this file"}; download it to watch it.`)));
  return video;
}

function metadataTable(file, output) {
  const rows = [];
  if (file.width && file.height) rows.push(["size", `${file.width} × ${file.height}`]);
  if (file.fps) rows.push(["fps", String(file.fps)]);
  if (file.duration != null) rows.push(["duration", `${Number(file.duration).toFixed(2)} s${file.num_frames ? ` · ${file.num_frames} frame${file.num_frames === 1 ? "" : "s"}` : ""}`]);
  if (file.sample_rate) rows.push(["audio", `${file.sample_rate} Hz${file.channels ? ` · ${file.channels} ch` : ""}`]);
  if (output.seed != null) rows.push(["seed", String(output.seed)]);
  if (output.prompt != null) rows.push(["prompt used", output.prompt]);
  rows.push(["file", `${file.content_type ?? "?"} · ${bytes(file.file_size)}`]);
  return el("table", { class: "meta-table", id: "result-meta" },
    rows.map(([k, v]) => el("tr", { "data-key": k }, [el("th", { scope: "row" }, k), el("td", {}, v)])));
}
