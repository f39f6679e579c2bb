"""Where the time of a request goes, from FLOPs counted on the meta device (no GPU, no weights).

`transformer_tflop` runs one transformer call of the given shape on meta tensors under PyTorch's
FlopCounterMode (matmuls and attention; elementwise work is not counted), so the figures are exact for the
architecture and cost no memory. `predict_seconds` turns them into seconds for one GPU at a stated
efficiency (share of dense bf16 peak); prompt expansion is bandwidth-bound and modeled from the weight
bytes read per generated token. docs/performance.md explains the model and its limits.
"""

from __future__ import annotations

import functools

import torch
from torch.utils.flop_counter import FlopCounterMode

from ltxserve.engine.geometry import LatentGeometry, VideoShape
from ltxserve.engine.loading import module_configs

# Dense bf16 tensor-core peaks (TFLOP/s) and HBM bandwidths (TB/s) by device name fragment.
PEAK_TFLOPS = {"H200": 989.0, "H100 PCIe": 756.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "B200": 2250.0}
HBM_TBPS = {"H200": 4.8, "H100 PCIe": 2.0, "H100": 3.35, "A100": 2.0, "L40S": 0.86, "B200": 8.0}
ASSUMED_EFFICIENCY = 0.40  # share of peak a well-tuned DiT step reaches (peers: 25–45%; the goal is 60%)


def peak_for(name: str) -> tuple[float | None, float | None]:
    for key in PEAK_TFLOPS:  # longest matches first matter: "H100 PCIe" before "H100"
        if key in name:
            return PEAK_TFLOPS[key], HBM_TBPS[key]
    return None, None


@functools.lru_cache(maxsize=4)
def _meta_transformer(config_json: str):
    import json

    from diffusers import LTX2VideoTransformer3DModel

    config = json.loads(config_json)
    with torch.device("meta"):
        return LTX2VideoTransformer3DModel(**module_configs.transformer_kwargs(config)).to(torch.bfloat16)


def transformer_tflop(
    config: dict, width: int, height: int, frames: int, fps: float = 24.0, text: int = 1024
) -> float:
    """TFLOP of one single-pass transformer call at this output size (a batch of P passes costs P×; a size
    of 0 × 0 is text-to-audio's one-token stand-in video).

    The blocks are identical, so a 1-block and a 2-block model are counted and the difference extrapolated
    to the real depth: exact, and ~20× faster than tracing all 48 blocks.
    """
    import copy

    channels, scales = module_configs.latent_channels(config), module_configs.latent_scales(config)
    geometry = LatentGeometry.build(width, height, frames, fps, False, channels, scales)
    layers = config["transformer"].get("num_layers", 48)
    counts = []
    for depth in (1, 2):
        shallow = copy.deepcopy(config)
        shallow["transformer"]["num_layers"] = depth
        counts.append(_one_call(shallow, geometry.video.shape, geometry.audio.frames, fps, text))
    return counts[0] + (layers - 1) * (counts[1] - counts[0])


def _one_call(config: dict, video: VideoShape, audio: int, fps: float, text: int) -> float:
    import json

    model = _meta_transformer(json.dumps(config, sort_keys=True))
    f, h, w = video.frames, video.height, video.width
    tokens = video.tokens
    meta = dict(device="meta", dtype=torch.bfloat16)
    cfg = model.config
    kwargs = dict(
        hidden_states=torch.empty(1, tokens, cfg.in_channels, **meta),
        audio_hidden_states=torch.empty(1, audio, cfg.audio_in_channels, **meta),
        encoder_hidden_states=torch.empty(1, text, cfg.num_attention_heads * cfg.attention_head_dim, **meta),
        audio_encoder_hidden_states=torch.empty(
            1, text, cfg.audio_num_attention_heads * cfg.audio_attention_head_dim, **meta
        ),
        timestep=torch.empty(1, tokens, device="meta"),
        audio_timestep=torch.empty(1, audio, device="meta"),
        sigma=torch.empty(1, device="meta"),
        audio_sigma=torch.empty(1, device="meta"),
        encoder_attention_mask=torch.empty(1, text, device="meta"),
        audio_encoder_attention_mask=torch.empty(1, text, device="meta"),
        video_coords=model.rope.prepare_video_coords(1, f, h, w, "meta", fps=fps),
        audio_coords=model.audio_rope.prepare_audio_coords(1, audio, "meta"),
        fps=fps,
        use_cross_timestep=True,
        return_dict=False,
    )
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(**kwargs)
    return counter.get_total_flops() / 1e12


def request_tflop(config: dict, request) -> dict[str, float]:
    """Transformer TFLOP per stage of an EngineRequest (steps × passes × one call)."""
    from ltxserve.engine.generation import schedules
    from ltxserve.engine.geometry import joint_request
    from ltxserve.engine.guidance import request_batch

    request = joint_request(request)  # as the pipeline runs it: text-to-audio without pixels
    passes = len(request_batch(request).passes)
    width, height, frames, fps = request.width, request.height, request.num_frames, request.fps
    scale = 2 if request.use_multiscale else 1
    one = transformer_tflop(config, width // scale, height // scale, frames, fps)
    out = {"stage1": one * passes * request.num_inference_steps}
    if request.use_multiscale:
        refine_steps = len(schedules.refine_sigmas()) - 1
        out["refine"] = transformer_tflop(config, width, height, frames, fps) * refine_steps
    return out


def predict_seconds(
    tflop: dict[str, float],
    peak_tflops: float,
    efficiency: float,
    expansion_tokens: int = 0,
    text_encoder_bytes: int = 0,
    hbm_tbps: float = 3.35,
    fixed_s: float = 0.0,
) -> dict[str, float]:
    """Seconds per part: FLOP-bound stages at `efficiency` of peak, expansion bound by weight reads."""
    out = {name: value / (peak_tflops * efficiency) for name, value in tflop.items()}
    if expansion_tokens:
        out["expansion"] = expansion_tokens * text_encoder_bytes / (hbm_tbps * 1e12)
    out["fixed"] = fixed_s
    out["total"] = sum(out.values())
    return out
