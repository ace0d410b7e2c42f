"""Are chunk seams visible? E_warp (DIS) of the pairs that cross a chunked run's cross-fades
against the pairs inside chunks, from the restored video and its ``.metrics.json`` chunk plan.

For every consecutive pair (t, t+1) it computes DIS flow once and scores the warping error
(`evaluation.warp_error`, Lai et al. 2018 eq. 9) twice: over the whole frame and over the holes
of frame t+1 (the only pixels a method changes). A pair is a seam pair when it touches the
overlap of two chunks (t from ``next.start - 1`` to ``chunk.stop - 1``: entering, inside and
leaving the cross-fade; with no overlap, the one pair across the cut); the others are inside
pairs, of which every ``--every``-th is scored. Frames are streamed: memory stays small.

    python benchmarks/chunk_seams.py /work/runs-long/fg3000.mp4 --mask boxes --every 3
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

import masks
from evaluation.warp_error import _non_occluded, _sampling_grid, _to_gray_uint8, _warp
from restore.io.streaming import iter_frames


def pair_errors(previous, current, flow_estimator, region):
    """(whole-frame, in-region) warping error of one pair; None where no pixel is valid."""
    gray_previous, gray_current = _to_gray_uint8(previous), _to_gray_uint8(current)
    backward = flow_estimator.calc(gray_current, gray_previous, None)
    forward = flow_estimator.calc(gray_previous, gray_current, None)
    map_x, map_y = _sampling_grid(backward)
    squared = np.square(current.astype(np.float64) - _warp(previous, map_x, map_y)).sum(-1) / 3
    valid = _non_occluded(backward, forward, map_x, map_y)
    whole = float(squared[valid].mean()) if valid.any() else None
    inside = valid & region
    holes = float(squared[inside].mean()) if inside.any() else None
    return whole, holes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path, help="restored .mp4 of a chunked run")
    parser.add_argument("--metrics", type=Path, help="its .metrics.json (default: beside it)")
    parser.add_argument("--mask", default="boxes", help="the run's static mask (boxes|center)")
    parser.add_argument("--every", type=int, default=1, help="score every k-th inside pair")
    args = parser.parse_args()
    metrics = json.loads((args.metrics or args.video.with_suffix(".metrics.json")).read_text())
    plan = metrics["chunks"]["plan"]
    seams = set()
    for (_, stop), (start, _) in zip(plan, plan[1:], strict=False):
        seams.update(range(max(start - 1, 0), stop))
    height, width = metrics["size"]
    region = masks.make_mask(args.mask, 1, height, width)[0, 0].numpy() > 0.5
    flow_estimator = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    scores = {"seam": [], "inside": []}
    previous = None
    for t, image in enumerate(iter_frames(args.video)):
        current = image[:height, :width].astype(np.float32) / 255.0
        pair = t - 1
        if previous is not None and (pair in seams or pair % args.every == 0):
            kind = "seam" if pair in seams else "inside"
            scores[kind].append(pair_errors(previous, current, flow_estimator, region))
        previous = current
    summary = {
        "video": str(args.video),
        "chunks": len(plan),
        "overlap": metrics["chunks"]["overlap"],
    }
    for kind, values in scores.items():
        for position, name in ((0, "whole"), (1, "holes")):
            chosen = [v[position] for v in values if v[position] is not None]
            summary[f"{kind}_pairs"] = len(values)
            summary[f"{kind}_ewarp_{name}"] = float(np.mean(chosen)) if chosen else None
            summary[f"{kind}_ewarp_{name}_max"] = float(np.max(chosen)) if chosen else None
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
