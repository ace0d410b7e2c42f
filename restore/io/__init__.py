"""Video I/O edge of hnerv-restore: the only place where frames become uint8, BGR or files.

Frames are ``(T, 3, H, W)`` float32 RGB tensors in [0, 1] everywhere else. Videos are decoded and
encoded (H.264 MP4) with PyAV, frame folders and PNGs with OpenCV; the source's audio is copied
into the written video by remuxing (`copy_audio`); every write is atomic.
"""

from restore.io.atomic import atomic_write_bytes, atomic_write_text
from restore.io.audio import AudioCopy, copy_audio
from restore.io.compare import side_by_side
from restore.io.demo import demo_clip_path
from restore.io.reading import container_frame_count, parse_resize, read_video
from restore.io.sources import DEFAULT_FOLDER_FPS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from restore.io.video import Video, frames_to_uint8, uint8_to_frames
from restore.io.writing import check_output_path, write_frames, write_video

__all__ = [
    "AudioCopy",
    "DEFAULT_FOLDER_FPS",
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "Video",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_path",
    "container_frame_count",
    "copy_audio",
    "demo_clip_path",
    "frames_to_uint8",
    "parse_resize",
    "read_video",
    "side_by_side",
    "uint8_to_frames",
    "write_frames",
    "write_video",
]
