"""Where the bundled demo clip lives (24 frames of Big Buck Bunny, see restore/data/README.md)."""

from __future__ import annotations

from pathlib import Path

from restore.errors import MissingPathError

DEMO_CLIP_NAME = "bunny_demo.mp4"


def demo_clip_path() -> Path:
    """Return the path of the bundled demo clip ``restore/data/bunny_demo.mp4``.

    The clip is 24 frames, 320x180, 25 fps, H.264; read it with `restore.io.read_video`.

    Returns:
        The absolute path of the clip.

    Raises:
        FileNotFoundError: the package was installed without its data files; regenerate the clip
            with ``scripts/make_demo_clip.py``.
    """
    path = Path(__file__).resolve().parent.parent / "data" / DEMO_CLIP_NAME
    if not path.is_file():
        raise MissingPathError(
            f"demo clip not found: {path}; regenerate it with scripts/make_demo_clip.py"
        )
    return path
