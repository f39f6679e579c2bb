"""Media in and out: decode inputs to numpy arrays and encode outputs from them (never torch)."""

from ltxserve.media.audio_in import DecodedAudio, decode_audio
from ltxserve.media.audio_out import AUDIO_FORMATS, AudioOutputFormat, encode_audio
from ltxserve.media.audio_prep import preprocess_audio
from ltxserve.media.errors import MediaError, MediaErrorType
from ltxserve.media.frame_rate import frame_rate_fraction
from ltxserve.media.image_fit import (
    REFERENCE_IMAGE_CRF,
    auto_size_from_aspect,
    recompress_like_reference,
)
from ltxserve.media.image_in import SUPPORTED_IMAGE_FORMATS, decode_image
from ltxserve.media.limits import MediaLimits
from ltxserve.media.presets import (
    CONTAINERS,
    QUALITIES,
    WRITE_MODES,
    VideoOutputType,
    VideoQuality,
    VideoWriteMode,
    video_settings,
)
from ltxserve.media.probe import AudioFileInfo, VideoFileInfo, probe_audio, probe_video
from ltxserve.media.video_out import AudioTrack, VideoEncoder, encode_video

__all__ = [
    "AUDIO_FORMATS",
    "CONTAINERS",
    "QUALITIES",
    "REFERENCE_IMAGE_CRF",
    "SUPPORTED_IMAGE_FORMATS",
    "WRITE_MODES",
    "AudioFileInfo",
    "AudioOutputFormat",
    "AudioTrack",
    "DecodedAudio",
    "MediaError",
    "MediaErrorType",
    "MediaLimits",
    "VideoEncoder",
    "VideoFileInfo",
    "VideoOutputType",
    "VideoQuality",
    "VideoWriteMode",
    "auto_size_from_aspect",
    "decode_audio",
    "decode_image",
    "encode_audio",
    "encode_video",
    "frame_rate_fraction",
    "preprocess_audio",
    "probe_audio",
    "probe_video",
    "recompress_like_reference",
    "video_settings",
]
