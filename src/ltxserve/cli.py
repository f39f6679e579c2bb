"""The command line: `generate`, `models`, and the server commands (`serve`, `api`, `worker`)."""

from __future__ import annotations

import functools
import inspect
import json
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, add_completion=False, help="LTX-2.3 behind the fal.ai model API.")
models_app = typer.Typer(no_args_is_help=True, help="Write the tiny test model or download the real weights.")
app.add_typer(models_app, name="models")
db_app = typer.Typer(no_args_is_help=True, help="The PostgreSQL database of a many-host deployment.")
app.add_typer(db_app, name="db")
console = Console(stderr=True, soft_wrap=True)


class Variant(StrEnum):
    dev = "dev"
    distilled = "distilled"


@models_app.command("make-tiny")
def make_tiny(
    directory: Annotated[Path, typer.Argument(help="Folder to write the model into.")],
    seed: Annotated[int, typer.Option(help="Seed of the random weights.")] = 0,
    variant: Annotated[
        str, typer.Option(help="dev (with the distilled LoRA) or distilled (the LoRA fused in).")
    ] = "dev",
    fp8: Annotated[
        bool, typer.Option("--fp8", help="Checkpoint in the official LTX-2.3-fp8 layout.")
    ] = False,
) -> None:
    """Write a tiny random-weight LTX-2.3 model in the official file layout (for tests and demos)."""
    from ltxserve.engine.tiny.writer import write_tiny_model

    if variant not in ("dev", "distilled"):
        raise typer.BadParameter("variant must be dev or distilled", param_hint="--variant")
    start = time.perf_counter()
    write_tiny_model(directory, seed=seed, variant=variant, fp8=fp8)
    size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
    console.print(f"wrote {directory} ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")


@models_app.command("download")
def download(
    to: Annotated[Path, typer.Option(help="Model folder to fill.")] = Path("models/ltx-2.3"),
    variant: Annotated[
        Variant, typer.Option(help="dev (with the distilled LoRA) or distilled.")
    ] = Variant.dev,
) -> None:
    """Download the real LTX-2.3 files from the Hugging Face hub (needs network access and ~60 GB)."""
    from ltxserve.engine.loading.download import download_model

    download_model(to, variant="dev" if variant is Variant.dev else "distilled")


MemoryOpt = Annotated[
    str | None,
    typer.Option(
        help="Memory profile: auto, resident, balanced, low, minimal (LTXSERVE_MEMORY; docs/memory.md)."
    ),
]
DEFAULT_FIT_ENDPOINT = "fal-ai/ltx-2.3-22b/text-to-video/lora"


@models_app.command("fit")
def fit(
    gpu_memory: Annotated[float, typer.Option("--gpu-memory", help="Device memory in GiB.")],
    model: Annotated[Path | None, typer.Option(help="Model folder (reads only metadata).")] = None,
    preset: Annotated[
        str | None, typer.Option(help="Built-in config instead of a folder: ltx-2.3-22b.")
    ] = None,
    endpoint: Annotated[str, typer.Option(help="Endpoint whose request to plan.")] = DEFAULT_FIT_ENDPOINT,
    input_file: Annotated[
        Path | None, typer.Option("--input", help="Request JSON (default: the endpoint's defaults).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Report this profile instead of the one auto picks.")
    ] = None,
) -> None:
    """Predict, before loading anything, the peak GPU memory of a request and the profile that fits."""
    from pydantic import ValidationError

    from ltxserve.endpoints import PlanError, UnknownEndpointError, get_endpoint
    from ltxserve.endpoints.memory_fit import fit_report

    if (model is None) == (preset is None):
        console.print("[red]give exactly one of --model DIR or --preset NAME[/red]")
        raise typer.Exit(2)
    try:
        chosen = get_endpoint(endpoint)
    except UnknownEndpointError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    payload = json.loads(input_file.read_text()) if input_file else {}
    try:
        report = fit_report(chosen, payload, gpu_memory, model=model, preset=preset, profile=profile)
    except ValidationError as exc:
        _print_errors(
            [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        )
        raise typer.Exit(2) from None
    except PlanError as exc:
        _print_errors([exc.detail()])
        raise typer.Exit(2) from None
    except (ValueError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    print(json.dumps(report, indent=2))


AttentionOpt = Annotated[
    str | None,
    typer.Option(help="Attention kernel: auto|sdpa|flash|flash3|cudnn|sage (LTXSERVE_ATTENTION)."),
]
CompileOpt = Annotated[
    str | None,
    typer.Option("--compile", help="none|blocks: compile the transformer blocks (LTXSERVE_COMPILE)."),
]


@app.command()
def generate(
    endpoint_id: Annotated[str, typer.Argument(help="e.g. fal-ai/ltx-2.3-22b/text-to-video/lora")],
    model: Annotated[Path, typer.Option(help="Model folder (see docs/models.md).")],
    out: Annotated[Path, typer.Option(help="Where to write the video or audio file.")],
    input_file: Annotated[
        Path | None, typer.Option("--input", help="Input JSON, as sent to the API.")
    ] = None,
    prompt: Annotated[str | None, typer.Option(help="The prompt (instead of --input).")] = None,
    audio: Annotated[Path | None, typer.Option(help="Audio file for audio_url.")] = None,
    image: Annotated[Path | None, typer.Option(help="Image file for image_url.")] = None,
    end_image: Annotated[Path | None, typer.Option(help="Image file for end_image_url.")] = None,
    video: Annotated[Path | None, typer.Option(help="Video file for video_url (extend-video).")] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help="name=value (JSON values allowed).")] = None,
    device: Annotated[str, typer.Option(help="auto (first GPU, else CPU), cpu, cuda, cuda:1, ...")] = "auto",
    attention: AttentionOpt = None,
    compile_blocks: CompileOpt = None,
    memory: MemoryOpt = None,
) -> None:
    """Run one generation in-process with a progress bar, write the file and print the output JSON."""
    from pydantic import ValidationError

    from ltxserve.endpoints import UnknownEndpointError, get_endpoint

    try:
        endpoint = get_endpoint(endpoint_id)
    except UnknownEndpointError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    files = {"audio_url": audio, "image_url": image, "end_image_url": end_image, "video_url": video}
    payload = _build_input(input_file, prompt, files, sets or [])
    if "loras" in endpoint.input_model.model_fields and "loras" not in payload:
        payload["loras"] = []
    try:
        validated = endpoint.input_model.model_validate(payload)
    except ValidationError as exc:
        _print_errors(
            [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        )
        raise typer.Exit(2) from None
    expected = _output_extension(endpoint.output_field, validated)
    if out.suffix.lower() != expected:
        what = "WAV audio" if endpoint.output_field == "audio" else f"a {expected} video"
        console.print(f"[red]error[/red] --out {out}: {endpoint_id} writes {what}; name the file *{expected}")
        raise typer.Exit(2)
    if not model.is_dir():
        console.print(
            f"[red]error[/red] --model {model}: no such folder (see docs/models.md, or run scripts/quickstart)"
        )
        raise typer.Exit(2)
    speed = {"attention": attention, "compile": compile_blocks, "memory": memory}
    output = _run(endpoint_id, payload, model, out, device, speed)
    print(json.dumps(output, indent=2))


def _run(
    endpoint_id: str, payload: dict[str, Any], model: Path, out: Path, device: str, speed: dict[str, Any]
) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ltxserve.settings import load_settings
    from ltxserve.worker.engine_runner import EngineRunner
    from ltxserve.worker.local import LocalContext
    from ltxserve.worker.runner import JobError

    # The safety and expansion settings (LTXSERVE_SAFETY_*, LTXSERVE_EXPANSION_*) apply here too.
    runner = EngineRunner.from_settings(load_settings(**speed), model, device, standalone=True)
    with console.status("loading the model"):
        try:
            runner.load()
        except (OSError, ValueError) as exc:  # a wrong or incomplete model folder: one line, no traceback
            console.print(f"[red]error[/red] cannot load the model from {model}: {exc}")
            raise typer.Exit(2) from None
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, Any] = {}

        def on_progress(stage: str, step: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=step, total=total)

        context = LocalContext(
            out, on_progress=on_progress, on_log=lambda message, level: bar.console.log(message)
        )
        try:
            return runner.run(endpoint_id, payload, context)
        except JobError as exc:
            bar.stop()
            body = exc.failure.body
            _print_errors(body["detail"] if isinstance(body.get("detail"), list) else [body])
            raise typer.Exit(2) from None


def _output_extension(output_field: str, validated: Any) -> str:
    """The file extension the endpoint writes: `.wav` for audio, else the container of `video_output_type`."""
    if output_field == "audio":
        return ".wav"
    from ltxserve.media.presets import CONTAINERS

    return CONTAINERS[getattr(validated, "video_output_type", "X264 (.mp4)")].extension


def _build_input(
    input_file: Path | None,
    prompt: str | None,
    files: dict[str, Path | None],
    sets: list[str],
) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(input_file.read_text()) if input_file else {}
    if prompt is not None:
        payload["prompt"] = prompt
    for name, path in files.items():
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


ModelOpt = Annotated[Path | None, typer.Option("--model", help="Model folder (LTXSERVE_MODEL_DIR).")]
HostOpt = Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")]
PortOpt = Annotated[int | None, typer.Option(help="Port (default 8000).")]
DataOpt = Annotated[Path | None, typer.Option(help="Store, files and keys (LTXSERVE_DATA_DIR).")]
PublicOpt = Annotated[str | None, typer.Option(help="Base URL clients reach the server at (behind a proxy).")]
KeysOpt = Annotated[Path | None, typer.Option(help="File with one API key per line.")]
InsecureOpt = Annotated[
    bool | None, typer.Option("--insecure", help="Allow a non-loopback bind without keys.")
]
TlsOpt = Annotated[
    bool | None,
    typer.Option("--tls", help="HTTPS with a self-signed certificate made in <data-dir>/tls (LTXSERVE_TLS)."),
]
TlsCertOpt = Annotated[Path | None, typer.Option(help="HTTPS with this certificate (PEM; implies --tls).")]
TlsKeyOpt = Annotated[Path | None, typer.Option(help="The private key of --tls-cert (PEM).")]

# The HTTP server's options, one set for `serve` and `api`: the settings field each sets → its option.
HTTP_OPTIONS: dict[str, Any] = {
    "host": HostOpt,
    "port": PortOpt,
    "data_dir": DataOpt,
    "public_url": PublicOpt,
    "api_keys_file": KeysOpt,
    "insecure": InsecureOpt,
    "tls": TlsOpt,
    "tls_cert": TlsCertOpt,
    "tls_key": TlsKeyOpt,
}


def with_http_options(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with `HTTP_OPTIONS` after its own options; it gets their values as one `http` dict.

    typer builds a command's options from its signature, so the shared ones are added to the signature.
    """
    own = inspect.signature(command, eval_str=True).parameters.values()
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=option)
        for name, option in HTTP_OPTIONS.items()
    ]

    @functools.wraps(command)
    def run(**given: Any) -> None:
        command(http={name: given.pop(name) for name in HTTP_OPTIONS}, **given)

    run.__signature__ = inspect.Signature([p for p in own if p.name != "http"] + shared)  # type: ignore[attr-defined]
    return run


@app.command()
@with_http_options
def serve(
    http: dict[str, Any],
    model: ModelOpt = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per GPU, else 1).")
    ] = None,
    attention: AttentionOpt = None,
    compile_blocks: CompileOpt = None,
    memory: MemoryOpt = None,
) -> None:
    """The API and its workers on this machine (answers HTTP at once; /health shows the workers loading)."""
    from ltxserve.serving.commands import run_serve
    from ltxserve.settings import load_settings

    run_serve(
        load_settings(
            model_dir=model,
            workers=workers,
            attention=attention,
            compile=compile_blocks,
            memory=memory,
            **http,
        )
    )


@app.command("api")
@with_http_options
def api_command(http: dict[str, Any]) -> None:
    """Only the HTTP API; workers run as `ltxserve worker` against the same data dir."""
    from ltxserve.serving.commands import run_api
    from ltxserve.settings import load_settings

    run_api(load_settings(**http))


@app.command("worker")
def worker_command(
    model: ModelOpt = None,
    data_dir: DataOpt = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:1, ...")] = None,
    worker_id: Annotated[str | None, typer.Option(help="Name shown in /health.")] = None,
    memory: MemoryOpt = None,
) -> None:
    """One worker: claims jobs from the store in the data dir and runs them."""
    from ltxserve.settings import load_settings
    from ltxserve.worker.process import run_worker

    settings = load_settings(model_dir=model, data_dir=data_dir, device=device, memory=memory)
    run_worker(settings, worker_id, device)


@db_app.command("migrate")
def db_migrate(
    database_url: Annotated[
        str | None, typer.Option(help="postgresql://... (default: $LTXSERVE_DATABASE_URL).")
    ] = None,
) -> None:
    """Create or upgrade the tables (procrastinate's and ltxserve's); safe to run again and concurrently."""
    from ltxserve.jobs.backends import migrate_database
    from ltxserve.settings import load_settings

    url = load_settings(database_url=database_url).database_url
    if not url:
        console.print("[red]no database: pass --database-url or set LTXSERVE_DATABASE_URL[/red]")
        raise typer.Exit(2)
    done = migrate_database(url)
    console.print("\n".join(done) if done else "the database is up to date")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
