"""Reading the official LTX-2.3 single-file checkpoint: metadata first, tensors one component at a time.

The file (40+ GB for the 22B model) bundles the transformer, both VAEs, the vocoder and the text
projection/connectors under fixed key prefixes. Components are read lazily with `safe_open` so the
whole file is never resident twice: each call reads only the keys of one prefix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

# Key prefixes of the official single file (ltx-core's SDOps filters use the same ones).
TRANSFORMER_PREFIX = "model.diffusion_model."
VIDEO_VAE_PREFIX = "vae."
AUDIO_VAE_PREFIX = "audio_vae."
VOCODER_PREFIX = "vocoder."
TEXT_PROJECTION_PREFIX = "text_embedding_projection."
# The text connectors live inside the transformer prefix but belong to the text path.
VIDEO_CONNECTOR_PREFIX = TRANSFORMER_PREFIX + "video_embeddings_connector."
AUDIO_CONNECTOR_PREFIX = TRANSFORMER_PREFIX + "audio_embeddings_connector."

CONFIG_SECTIONS = ("transformer", "vae", "audio_vae", "vocoder")
SUPPORTED_VERSION_PREFIX = "2.3"


class CheckpointError(ValueError):
    """The file is not an LTX-2.3 checkpoint we can read."""


@dataclass(frozen=True)
class CheckpointInfo:
    """What the header of an LTX single file says: its config sections and model version."""

    path: Path
    config: dict[str, Any]
    model_version: str


def read_metadata(path: Path) -> dict[str, str]:
    """Return the safetensors header metadata (empty dict when absent); reads the header only."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return dict(f.metadata() or {})


def read_metadata_config(path: Path) -> dict[str, Any]:
    """Parse the JSON `config` entry of a safetensors file's metadata (e.g. the upsampler's)."""
    metadata = read_metadata(path)
    if "config" not in metadata:
        raise CheckpointError(f"{path}: no 'config' in the safetensors metadata")
    return json.loads(metadata["config"])


def is_ltx_checkpoint(path: Path) -> bool:
    """True when the file's metadata has a `model_version` and a `config` with a transformer section."""
    try:
        metadata = read_metadata(path)
    except Exception:  # not a safetensors file at all
        return False
    if "model_version" not in metadata or "config" not in metadata:
        return False
    try:
        return "transformer" in json.loads(metadata["config"])
    except json.JSONDecodeError:
        return False


def read_checkpoint_info(path: Path) -> CheckpointInfo:
    """Read and validate the metadata of an official LTX-2.3 single file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    metadata = read_metadata(path)
    version = metadata.get("model_version")
    if version is None:
        raise CheckpointError(f"{path}: no 'model_version' in the metadata; not an official LTX single file")
    if not version.startswith(SUPPORTED_VERSION_PREFIX):
        raise CheckpointError(
            f"{path}: model_version {version!r} is not supported; ltxserve needs an LTX-2.3 checkpoint (2.3.*)"
        )
    if "config" not in metadata:
        raise CheckpointError(f"{path}: no 'config' in the metadata")
    config = json.loads(metadata["config"])
    missing = [section for section in CONFIG_SECTIONS if section not in config]
    if missing:
        raise CheckpointError(f"{path}: metadata config lacks the section(s) {missing}")
    return CheckpointInfo(path=path, config=config, model_version=version)


def list_keys(path: Path) -> list[str]:
    """All tensor names of a safetensors file (header only)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return list(f.keys())


def read_tensors(
    path: Path,
    prefix: str = "",
    *,
    exclude: Callable[[str], bool] | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
) -> dict[str, torch.Tensor]:
    """Read the tensors whose key starts with `prefix` (keys kept whole), cast to `dtype` if given.

    Only this component's tensors are materialised; floating tensors are cast one by one so a
    bf16 → fp32 load never holds two copies of the component. fp8 tensors and their float32 scales are
    left as stored: `engine.loading.fp8.dequantise` needs both.
    """
    from safetensors import safe_open

    tensors = {}
    with safe_open(str(path), framework="pt", device=str(device)) as f:
        for key in f.keys():  # noqa: SIM118 (safe_open is not a dict)
            if not key.startswith(prefix) or (exclude is not None and exclude(key)):
                continue
            tensor = f.get_tensor(key)
            if dtype is not None and tensor.is_floating_point() and not _fp8_part(key, tensor):
                tensor = tensor.to(dtype)
            tensors[key] = tensor
    return tensors


def _fp8_part(key: str, tensor: torch.Tensor) -> bool:
    from ltxserve.engine.loading.fp8 import FP8_DTYPES, SCALE_SUFFIXES

    return tensor.dtype in FP8_DTYPES or key.endswith(SCALE_SUFFIXES)
