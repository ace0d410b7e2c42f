"""Regenerate restore/data/bunny_demo.mp4, the bundled demo clip.

Frames 24-47 (0-based) of Big Buck Bunny as shipped in ../shared/data/video/bigbuckbunny.mp4
(1280x720, 25 fps): the bunny stretches and steps forward, so there is motion to restore, and no
black or fading frames. Downscaled to 320x180 with INTER_AREA and encoded with
`restore.io.write_video` (H.264, crf 18).

Usage:
    python scripts/make_demo_clip.py [--source PATH] [--output PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from restore.io import read_video, write_video

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = PROJECT_ROOT.parent / "shared" / "data" / "video" / "bigbuckbunny.mp4"
DEFAULT_OUTPUT = PROJECT_ROOT / "restore" / "data" / "bunny_demo.mp4"
FIRST_FRAME = 24
NUM_FRAMES = 24
SIZE = (320, 180)  # (width, height)
CRF = 18


def main() -> None:
    """Read the excerpt, downscale it and write the clip; print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    arguments = parser.parse_args()
    video = read_video(arguments.source, start=FIRST_FRAME, max_frames=NUM_FRAMES, resize=SIZE)
    path = write_video(arguments.output, video.frames, video.fps, crf=CRF)
    print(
        f"wrote {path}: frames {FIRST_FRAME}-{FIRST_FRAME + video.num_frames - 1} of "
        f"{arguments.source.name}, {video.width}x{video.height}, {video.fps:g} fps, "
        f"{path.stat().st_size} bytes"
    )


if __name__ == "__main__":
    main()
