"""Which hub files go where: pure selection logic, and a download run with the network faked out."""

import pytest

from ltxserve.engine.loading import download
from ltxserve.engine.loading.download import RepoFile, download_model, select_files, select_gemma_files

GEMMA_LISTING = [
    ".gitattributes",
    "README.md",
    "config.json",
    "generation_config.json",
    "model-00001-of-00005.safetensors",
    "model-00002-of-00005.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.json",
    "preprocessor_config.json",
    "gguf/model-q4_0.gguf",
    "pytorch_model.bin",
]


def test_gemma_selection_keeps_a_transformers_folder_only():
    chosen = select_gemma_files(GEMMA_LISTING)
    assert "model-00001-of-00005.safetensors" in chosen
    assert "model.safetensors.index.json" in chosen
    assert "tokenizer.json" in chosen
    assert "config.json" in chosen
    assert not {"README.md", ".gitattributes", "gguf/model-q4_0.gguf", "pytorch_model.bin"} & set(chosen)


def test_gemma_repo_without_safetensors_is_refused():
    with pytest.raises(ValueError, match="safetensors"):
        select_gemma_files(["config.json", "pytorch_model.bin"])


def test_dev_gets_checkpoint_distilled_lora_upsampler_and_gemma_folder():
    files = select_files("dev", gemma_repo_files=GEMMA_LISTING)
    ltx = [f.destination for f in files if f.repo_id == download.LTX_REPO]
    assert ltx == [
        "ltx-2.3-22b-dev.safetensors",
        "ltx-2.3-22b-distilled-lora-384.safetensors",
        "ltx-2.3-spatial-upscaler-x2-1.1.safetensors",
    ]
    gemma = [f for f in files if f.repo_id == download.DEFAULT_GEMMA_REPO]
    assert all(f.destination == f"gemma/{f.filename}" for f in gemma)


def test_distilled_needs_no_lora_and_upsampler_is_optional():
    files = select_files("distilled", gemma_repo_files=GEMMA_LISTING, upsampler=False)
    ltx = [f.filename for f in files if f.repo_id == download.LTX_REPO]
    assert ltx == [download.CHECKPOINTS["distilled"]]


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="variant"):
        select_files("fp8", gemma_repo_files=GEMMA_LISTING)  # type: ignore[arg-type]


def test_download_places_files_where_the_loader_looks(tmp_path):
    fetched: list[RepoFile] = []

    def fake_fetch(item: RepoFile, root):
        target = root / item.destination
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"")
        fetched.append(item)
        return target

    download_model(tmp_path, "dev", downloader=fake_fetch, list_files=lambda repo: GEMMA_LISTING)
    assert (tmp_path / "ltx-2.3-22b-dev.safetensors").is_file()
    assert (tmp_path / "gemma" / "model-00002-of-00005.safetensors").is_file()
    assert {f.repo_id for f in fetched} == {download.LTX_REPO, download.DEFAULT_GEMMA_REPO}
