"""Builds a long test clip by looping a short one forth and back (ping-pong: no cut at the turns).

Streams frames in and out (`restore.io.streaming`), so the clip is never held whole:

    python scripts/loop_video.py bikes.mp4 3000 /work/runs-long/bikes3000.mp4
"""

from __future__ import annotations

import argparse

import numpy as np

from restore.io.streaming import VideoWriter, iter_frames, probe_video
from restore.io.video import uint8_to_frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("frames", type=int, help="frames of the long clip")
    parser.add_argument("output")
    parser.add_argument("--chunk", type=int, default=50, help="frames encoded at a time")
    args = parser.parse_args()
    info = probe_video(args.source)
    period = max(2 * info.num_frames - 2, 1)
    order = [t % period for t in range(args.frames)]
    order = [t if t < info.num_frames else period - t for t in order]
    # One pass over the source per chunk of the output: only `--chunk` frames are decoded at once.
    with VideoWriter(args.output, info.fps) as writer:
        for begin in range(0, len(order), args.chunk):
            wanted = order[begin : begin + args.chunk]
            low, high = min(wanted), max(wanted)
            images = list(iter_frames(args.source, start=low, max_frames=high - low + 1))
            writer.write(uint8_to_frames(np.stack([images[t - low] for t in wanted])))
    print(f"{args.output}: {args.frames} frames, {info.width}x{info.height} at {info.fps:g} fps")


if __name__ == "__main__":
    main()
