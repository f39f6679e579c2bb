"""The command line: `generate`, `models`, and the server commands (`serve`, `api`, `worker`)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, add_completion=False, help="LTX-2.3 behind the fal.ai model API.")
models_app = typer.Typer(no_args_is_help=True, help="Write the tiny test model or download the real weights.")
app.add_typer(models_app, name="models")
console = Console(stderr=True)


@models_app.command("make-tiny")
def make_tiny(
    directory: Annotated[Path, typer.Argument(help="Folder to write the model into.")],
    seed: Annotated[int, typer.Option(help="Seed of the random weights.")] = 0,
) -> None:
    """Write a tiny random-weight LTX-2.3 model in the official file layout (for tests and demos)."""
    from ltxserve.engine.tiny import write_tiny_model

    start = time.perf_counter()
    write_tiny_model(directory, seed=seed)
    size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
    console.print(f"wrote {directory} ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")


@models_app.command("download")
def download(
    to: Annotated[Path, typer.Option(help="Model folder to fill.")] = Path("models/ltx-2.3"),
    variant: Annotated[str, typer.Option(help="dev (with the distilled LoRA) or distilled.")] = "dev",
) -> None:
    """Download the real LTX-2.3 files from the Hugging Face hub (needs network access and ~60 GB)."""
    from ltxserve.engine.download import download_model

    download_model(to, variant=variant)


@app.command()
def generate(
    endpoint_id: Annotated[str, typer.Argument(help="e.g. fal-ai/ltx-2.3-22b/text-to-video/lora")],
    model: Annotated[Path, typer.Option(help="Model folder (see docs/models.md).")],
    out: Annotated[Path, typer.Option(help="Where to write the video or audio file.")],
    input_file: Annotated[Path | None, typer.Option("--input", help="Input JSON, as sent to the API.")] = None,
    prompt: Annotated[str | None, typer.Option(help="The prompt (instead of --input).")] = None,
    audio: Annotated[Path | None, typer.Option(help="Audio file for audio_url.")] = None,
    image: Annotated[Path | None, typer.Option(help="Image file for image_url.")] = None,
    end_image: Annotated[Path | None, typer.Option(help="Image file for end_image_url.")] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help="name=value (JSON values allowed).")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:1, ...")] = "cpu",
) -> None:
    """Run one generation in-process with a progress bar, write the file and print the output JSON."""
    from pydantic import ValidationError

    from ltxserve.endpoints import UnknownEndpointError, get_endpoint

    try:
        endpoint = get_endpoint(endpoint_id)
    except UnknownEndpointError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    payload = _build_input(input_file, prompt, audio, image, end_image, sets or [])
    if "loras" in endpoint.input_model.model_fields and "loras" not in payload:
        payload["loras"] = []
    try:
        endpoint.input_model.model_validate(payload)
    except ValidationError as exc:
        _print_errors([{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()])
        raise typer.Exit(2) from None
    output = _run(endpoint_id, payload, model, out, device)
    print(json.dumps(output, indent=2))


def _run(endpoint_id: str, payload: dict[str, Any], model: Path, out: Path, device: str) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ltxserve.worker.engine_runner import EngineRunner
    from ltxserve.worker.local import LocalContext
    from ltxserve.worker.runner import JobError

    runner = EngineRunner(model, device=device)
    with console.status("loading the model"):
        runner.load()
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, Any] = {}

        def on_progress(stage: str, step: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=step, total=total)

        context = LocalContext(out, on_progress=on_progress, on_log=lambda message, level: bar.console.log(message))
        try:
            return runner.run(endpoint_id, payload, context)
        except JobError as exc:
            bar.stop()
            body = exc.failure.body
            _print_errors(body["detail"] if isinstance(body.get("detail"), list) else [body])
            raise typer.Exit(2) from None


def _build_input(
    input_file: Path | None,
    prompt: str | None,
    audio: Path | None,
    image: Path | None,
    end_image: Path | None,
    sets: list[str],
) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(input_file.read_text()) if input_file else {}
    if prompt is not None:
        payload["prompt"] = prompt
    for name, path in (("audio_url", audio), ("image_url", image), ("end_image_url", end_image)):
        if path is not None:
            payload[name] = path.resolve().as_uri()
    for item in sets:
        name, sep, raw = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set expects name=value, got {item!r}")
        payload[name] = _parse_value(raw)
    return payload


def _parse_value(raw: str) -> Any:
    """JSON when it parses (numbers, booleans, objects, lists), the plain string otherwise."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _print_errors(details: list[dict[str, Any]]) -> None:
    for item in details:
        loc = ".".join(str(part) for part in item.get("loc", []) if part != "body")
        console.print(f"[red]error[/red] {loc or 'input'}: {item.get('msg')} ({item.get('type')})")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
