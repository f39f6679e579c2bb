"""One typed settings object, read once at start (flags or `LTXSERVE_*` environment) and passed down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Values copied from examples and templates; a server started with one of them is not protected.
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "changethis", "change-me", "secret", "your_fal_key", "your-key", "fal_key", "xxx", "key"}
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# Lightricks' camera-control LoRAs (published for LTX-2 19B; no LTX-2.3 versions yet, docs/loras.md).
_CAMERA_REPO = "https://huggingface.co/Lightricks/LTX-2-19b-LoRA-Camera-Control-{0}/resolve/main/ltx-2-19b-lora-camera-control-{1}.safetensors"
DEFAULT_CAMERA_LORAS = {
    value: _CAMERA_REPO.format(title, value.replace("_", "-"))
    for value, title in {
        "dolly_in": "Dolly-In",
        "dolly_out": "Dolly-Out",
        "dolly_left": "Dolly-Left",
        "dolly_right": "Dolly-Right",
        "jib_up": "Jib-Up",
        "jib_down": "Jib-Down",
        "static": "Static",
    }.items()
}


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Everything the API, the workers and the CLI read; environment prefix `LTXSERVE_`."""

    model_config = SettingsConfigDict(env_prefix="LTXSERVE_", extra="ignore")

    # Where the store, stored files and the webhook key pair live.
    data_dir: Path = Path("ltxserve-data")
    # Many hosts (docs/deploy.md): `postgresql://...` moves the queue and job records to PostgreSQL.
    database_url: str | None = None
    database_pool_size: int = 10
    # `s3://bucket/prefix` puts outputs and uploads in S3-compatible storage (AWS_* variables for access).
    storage_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # The externally visible base URL (behind a proxy); by default derived from each request.
    public_url: str | None = None
    # TLS (docs/deploy.md): `tls` alone serves a self-signed certificate made in <data_dir>/tls; a
    # certificate and key of your own imply `tls`.
    tls: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Peers whose X-Forwarded-Proto/-Host are believed (addresses or networks; `*` for any): URLs the
    # server returns then carry the scheme and host the client used (https behind a TLS proxy).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    # Browser origins allowed to call the API and the proxy route directly (`*` for any).
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Auth: comma-separated keys (each `secret` or `id:secret`) and/or a file with one key per line.
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    api_keys_file: Path | None = None
    # Allow binding a non-loopback address with no keys configured.
    insecure: bool = False
    # Hosts that input fetching may reach although they resolve to private or loopback addresses.
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    fetch_connect_timeout_s: float = 10.0
    fetch_read_timeout_s: float = 60.0
    fetch_max_redirects: int = 5
    # Media limits (see `media.limits.MediaLimits`): bytes per input, image pixels and side, audio length.
    max_input_bytes: int = 100 * 1024**2
    max_image_pixels: int = 64 * 1024**2
    min_image_side: int = 64
    max_audio_seconds: float = 600.0
    max_upload_bytes: int = 2 * 1024**3
    # A submitted JSON body (the input, data URIs included); larger files go through the upload routes.
    max_request_bytes: int = 32 * 1024**2
    # Stored outputs, uploads and finished job records are removed after this many seconds.
    retention_s: int = 7 * 24 * 3600
    # File URLs (outputs and uploads) are capabilities by default, as on fal's CDN: unguessable (144 random
    # bits), fetchable without a key by whoever holds them, gone when they expire. `true` serves them only
    # to the key that owns them. Using an upload as a job *input* always requires its owner's key.
    private_files: bool = False
    # Workers: count (None = one per GPU, one on CPU), device, model, and which runner does the work.
    workers: int | None = None
    device: str = "auto"
    # `auto`: bfloat16 on CUDA, float32 on the CPU. Memory profile (docs/memory.md): `auto` picks the fastest
    # that fits the device's free memory. `allow_cpu` lets a real-size model load on the CPU anyway.
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    memory: Literal["auto", "resident", "balanced", "low", "minimal"] = "auto"
    allow_cpu: bool = False
    model_dir: Path | None = None
    runner: Literal["engine", "fake"] = "engine"
    fake_step_s: float = 0.05
    lease_s: float = 30.0
    # `serve` restarts a worker that failed to load this many times, then exits non-zero with the reason.
    worker_start_retries: int = Field(default=3, ge=0)
    heartbeat_s: float = 2.0
    poll_interval_s: float = 0.1
    # Routing: shell-style patterns of the endpoint ids this worker claims (default: all its model serves).
    worker_endpoints: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Webhook retries: up to `webhook_max_attempts`, delays multiplied by `webhook_backoff_scale`.
    webhook_max_attempts: int = 10
    webhook_backoff_scale: float = 1.0
    webhook_timeout_s: float = 15.0
    # Safety checker (docs/safety.md): open_nsfw threshold (0 refuses every image, 1 none), output frames
    # scored per second, the prompt term list (default: <data_dir>/safety/prompt-policy.txt, written on
    # first use), `safety_force` checks requests that set `enable_safety_checker: false` too.
    safety_nsfw_threshold: float = Field(default=0.8, ge=0.0, le=1.0)
    safety_frames_per_second: float = Field(default=1.0, gt=0.0)
    safety_policy_file: Path | None = None
    safety_force: bool = False
    # Optional OpenAI-compatible moderation endpoint (full URL, e.g. https://host/v1/moderations).
    safety_moderation_url: str | None = None
    safety_moderation_model: str = "omni-moderation-latest"
    safety_moderation_key: str | None = None
    safety_moderation_required: bool = False
    safety_timeout_s: float = 10.0
    # Prompt expansion (docs/engine.md): with the loaded Gemma, or an OpenAI-compatible chat endpoint
    # (full URL, e.g. https://host/v1/chat/completions) when `expansion_chat_url` is set.
    expansion_max_new_tokens: int = Field(default=512, ge=16)
    expansion_timeout_s: float = 120.0
    expansion_chat_url: str | None = None
    expansion_chat_model: str = ""
    expansion_chat_key: str | None = None
    expansion_chat_images: bool = False

    # LoRAs (docs/loras.md): the download cache's size budget, folders whose files may be named directly
    # as a LoRA `path` (off by default), and the file or URL behind each `camera_lora` value (JSON).
    lora_cache_bytes: int = 50 * 1024**3
    # Host memory for parsed LoRA factors kept ready to fuse (docs/loras.md).
    lora_memory_bytes: int = Field(default=16 * 1024**3, ge=0)
    # Speed (docs/performance.md): attention kernel and regional compilation of the transformer blocks.
    attention: Literal["auto", "sdpa", "flash", "flash3", "cudnn", "sage"] = "auto"
    compile: Literal["none", "blocks"] = "none"
    lora_local_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    camera_loras: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CAMERA_LORAS))

    _split_keys = field_validator(
        "api_keys",
        "fetch_allow_hosts",
        "lora_local_dirs",
        "worker_endpoints",
        "trusted_proxies",
        "cors_origins",
        mode="before",
    )(_split_csv)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        for key in self.all_api_keys():
            secret = key.split(":", 1)[-1]
            if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 8:
                raise ValueError(f"refusing placeholder or too-short API key {key[:4]}…; set a real secret")
        return self

    def all_api_keys(self) -> list[str]:
        """The configured keys from the environment/flags and from `api_keys_file`."""
        keys = list(self.api_keys)
        if self.api_keys_file is not None:
            lines = self.api_keys_file.read_text().splitlines()
            keys += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        return keys

    @property
    def auth_enabled(self) -> bool:
        return bool(self.all_api_keys())

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.tls_cert is not None

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def lora_cache_dir(self) -> Path:
        return self.data_dir / "lora-cache"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def policy_file(self) -> Path:
        return self.safety_policy_file or self.data_dir / "safety" / "prompt-policy.txt"

    def check_bind(self, host: str) -> None:
        """Refuse to expose an unauthenticated server beyond loopback unless told it is insecure."""
        if host not in LOOPBACK_HOSTS and not self.auth_enabled and not self.insecure:
            raise ValueError(
                f"no API keys configured: refusing to bind {host}; set LTXSERVE_API_KEYS or --insecure"
            )


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as `LTXSERVE_*` variables, for child processes that read them back with `Settings()`."""
    env = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        if NoDecode in Settings.model_fields[name].metadata:  # comma-separated lists
            text = ",".join(str(item) for item in value)
        elif isinstance(value, dict | list):
            text = json.dumps(value)
        else:
            text = str(value)
        env[f"LTXSERVE_{name.upper()}"] = text
    return env


def load_settings(**flags: object) -> Settings:
    """Settings from the environment, with command-line flags (those given) taking precedence."""
    return Settings(**{name: value for name, value in flags.items() if value is not None})  # type: ignore[arg-type]
