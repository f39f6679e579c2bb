"""Fetch the real LTX-2.3 files from the Hugging Face hub into a model directory: `download_model(...)`.

`select_files` is the pure part (which repository file goes where, following the model-directory rule of
`engine.loading.loader`); `download_model` does the network calls with huggingface_hub's progress bars.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

LTX_REPO = "Lightricks/LTX-2.3"
# The Gemma folder Lightricks' instructions download (gated: accept the licence on the hub, then log in).
DEFAULT_GEMMA_REPO = "google/gemma-3-12b-it-qat-q4_0-unquantized"
CHECKPOINTS = {
    "dev": "ltx-2.3-22b-dev.safetensors",
    "distilled": "ltx-2.3-22b-distilled-1.1.safetensors",
}
DISTILLED_LORA = "ltx-2.3-22b-distilled-lora-384.safetensors"
SPATIAL_UPSCALER = "ltx-2.3-spatial-upscaler-x2-1.1.safetensors"
GEMMA_SUBDIR = "gemma"
# What a transformers model folder needs; weights are the safetensors shards and their index.
GEMMA_SIDE_FILES = {
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.json",
    "chat_template.jinja",
    "preprocessor_config.json",
    "processor_config.json",
    "model.safetensors.index.json",
}

Variant = Literal["dev", "distilled"]


@dataclass(frozen=True)
class RepoFile:
    """One file to fetch: hub repository, file name there, path relative to the model directory."""

    repo_id: str
    filename: str
    destination: str


def select_gemma_files(repo_files: Iterable[str]) -> list[str]:
    """The files of a Gemma repository that a transformers folder needs (no GGUF, no .bin, no docs)."""
    chosen = []
    for name in repo_files:
        base = name.rsplit("/", 1)[-1]
        if "/" in name:  # sub-folders hold other formats, never the transformers weights
            continue
        if base in GEMMA_SIDE_FILES or base.endswith(".safetensors"):
            chosen.append(name)
    if not any(n.endswith(".safetensors") for n in chosen):
        raise ValueError("the Gemma repository has no top-level *.safetensors weights")
    return sorted(chosen)


def select_files(
    variant: Variant = "dev",
    gemma_repo: str = DEFAULT_GEMMA_REPO,
    gemma_repo_files: Iterable[str] = (),
    *,
    upsampler: bool = True,
) -> list[RepoFile]:
    """Which hub files go where in the model directory for `variant` (dev also gets the distilled LoRA)."""
    if variant not in CHECKPOINTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {sorted(CHECKPOINTS)}")
    files = [RepoFile(LTX_REPO, CHECKPOINTS[variant], CHECKPOINTS[variant])]
    if variant == "dev":  # the distilled LoRA adapts the dev model; the distilled model needs none
        files.append(RepoFile(LTX_REPO, DISTILLED_LORA, DISTILLED_LORA))
    if upsampler:
        files.append(RepoFile(LTX_REPO, SPATIAL_UPSCALER, SPATIAL_UPSCALER))
    gemma = select_gemma_files(gemma_repo_files)
    files += [RepoFile(gemma_repo, name, f"{GEMMA_SUBDIR}/{name}") for name in gemma]
    return files


Downloader = Callable[[RepoFile, Path], Path]


def hub_download(item: RepoFile, model_dir: Path, token: str | None = None) -> Path:
    """Fetch one file with huggingface_hub (resumable, with a progress bar) into its place."""
    from huggingface_hub import hf_hub_download

    target_dir = model_dir / Path(item.destination).parent
    path = hf_hub_download(item.repo_id, item.filename, local_dir=str(target_dir), token=token)
    return Path(path)


def list_hub_files(repo_id: str, token: str | None = None) -> list[str]:
    """The file names of a hub repository."""
    from huggingface_hub import list_repo_files

    return list_repo_files(repo_id, token=token)


def download_model(
    to: Path,
    variant: Variant = "dev",
    gemma_repo: str = DEFAULT_GEMMA_REPO,
    *,
    token: str | None = None,
    upsampler: bool = True,
    downloader: Downloader | None = None,
    list_files: Callable[[str], list[str]] | None = None,
) -> Path:
    """Download checkpoint, LoRA, upsampler and the Gemma folder into `to`; return `to`.

    `token` is a Hugging Face token (the Gemma repository is gated); huggingface_hub also finds a
    logged-in token by itself. `downloader`/`list_files` replace the network calls in tests.
    """
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    listing = list_files or (lambda repo: list_hub_files(repo, token))
    fetch = downloader or (lambda item, root: hub_download(item, root, token))
    for item in select_files(variant, gemma_repo, listing(gemma_repo), upsampler=upsampler):
        fetch(item, to)
    return to
