"""Times the app's "Preview the tracked mask" on a DAVIS sequence, the drawing being the first
frame's annotation, and counts how much of the object the shown mask covers.

    python scripts/follow_preview.py car-roundabout 30 [--davis ../shared/data/davis] [--out DIR]

It writes the sequence's first frames as an H.264 clip, calls `Handlers.preview_tracking` (the
handler the button calls, without a server), and reads the preview video back: a pixel counts as
covered where it shows the hole tint (holes are zeroed, then tinted half red). It prints the
seconds (reading, tracking and writing the preview) and the mean and lowest share of the object's
pixels covered per frame, and saves the first and last preview frames side by side as a PNG.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from PIL import Image

from apps.handlers import BRUSH_COLOR, Handlers
from apps.sessions import SessionStore
from restore.io import frames_to_uint8, read_video, write_video

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sequence")
    parser.add_argument("frames", type=int)
    parser.add_argument("--davis", type=Path, default=ROOT.parent / "shared" / "data" / "davis")
    parser.add_argument("--out", type=Path, default=None, help="where the PNG goes (a temp dir)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="follow-preview-"))
    out.mkdir(parents=True, exist_ok=True)
    clip = read_video(args.davis / "JPEGImages" / "480p" / args.sequence, max_frames=args.frames)
    path = write_video(out / f"{args.sequence}.mp4", clip.frames, 24.0)
    annotations = sorted((args.davis / "Annotations" / "480p" / args.sequence).glob("*.png"))
    truth = [np.asarray(Image.open(p)) > 0 for p in annotations[: args.frames]]
    red = tuple(int(BRUSH_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    layer = np.zeros((*truth[0].shape, 4), np.uint8)
    layer[truth[0]] = (*red, 255)
    handlers = Handlers(store=SessionStore(out / "sessions"), example_root=out)
    started = time.perf_counter()
    video, text = handlers.preview_tracking(
        str(path),
        problem="draw",
        drawing={"layers": [layer]},
        follow=True,
        request=SimpleNamespace(session_hash="script"),
    )
    seconds = time.perf_counter() - started
    shown = read_video(video)
    covered = []
    for index, object_pixels in enumerate(truth):
        frame = shown.frames[index]
        tinted = (frame[0] > 0.35) & (frame[0] < 0.65) & (frame[1] < 0.2) & (frame[2] < 0.2)
        covered.append(float(tinted[torch.from_numpy(object_pixels)].float().mean()))
    count = len(truth)
    print(
        f"{args.sequence}: {count} frames at {shown.width}x{shown.height}, {seconds:.1f} s "
        f"({seconds / count:.3f} s/frame); object covered: mean {np.mean(covered):.3f}, "
        f"lowest {np.min(covered):.3f}"
    )
    print(text)
    pair = frames_to_uint8(shown.frames[[0, count - 1]])
    picture = out / f"{args.sequence}_first_last.png"
    Image.fromarray(np.concatenate(list(pair), axis=1)).save(picture)
    print(f"first and last preview frames: {picture}")


if __name__ == "__main__":
    main()
