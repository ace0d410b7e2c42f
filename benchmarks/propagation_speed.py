"""Seconds per frame of the classical half (flow, completion, chain following, fusion), today's
code beside a baseline revision's, in one run.

Each tree runs in its own child process on the same clip (bikes at 640x272 with the five boxes
by default) and the same two jobs:

- ``flow-guided``: ``flow_guided_with_info`` on the clip;
- ``hybrid classical``: the hybrid's classical part, both propagations (``propagate_views``)
  and two temporal-fusion passes, each over the validation fill and the real fill, as
  ``fuse_holes`` runs them (the propagation's fill stands in for the blend, so no network runs
  and both trees do the same work).

Phases are timed by wrapping the module functions both trees have (``compute_flows``, the
completion, the chain following); ``other`` is the rest (Telea prefills, compositing). The last
line is the hybrid's classical ratio, ``speedup vs baseline: X.XX``.

    python benchmarks/propagation_speed.py --frames 250 --baseline-rev b5e92b4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "data" / "video" / "bikes.mp4"
FUSION_PASSES = 2


def _timed(module, name: str, totals: dict[str, float], phase: str) -> None:
    """Wraps ``module.name`` so its wall time adds to ``totals[phase]``."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[phase] = totals.get(phase, 0.0) + time.perf_counter() - started

    setattr(module, name, wrapper)


def child(clip: str, frames_count: int) -> dict:
    """Runs both jobs with the ``restore`` package first on ``sys.path``; returns the figures."""
    import torch

    from masks.boxes import box_masks
    from restore.io import read_video
    from restore.methods import flow_propagation, hybrid, temporal_fusion
    from restore.metrics import psnr_in_holes

    torch.set_num_threads(1)
    video = read_video(clip, max_frames=frames_count).frames
    count, _, height, width = video.shape
    mask = box_masks(count, height, width)
    corrupted = video * (1 - mask)
    new = hasattr(flow_propagation, "follow_chains")
    totals: dict[str, float] = {}
    _timed(flow_propagation, "compute_flows", totals, "flow")
    _timed(flow_propagation, "complete_flows" if new else "laplace_fill", totals, "completion")
    _timed(flow_propagation, "follow_chains" if new else "_propagate", totals, "chains")

    report = {"tree": str(Path(flow_propagation.__file__).parents[2]), "frames": count}
    started = time.perf_counter()
    restored, _ = flow_propagation.flow_guided_with_info(corrupted, mask)
    phases = dict(totals)
    phases["total"] = time.perf_counter() - started
    report["flow-guided"] = {"seconds": phases, "hole_psnr": psnr_in_holes(restored, video, mask)}

    totals.clear()
    started = time.perf_counter()
    clip_views = hybrid.propagate_views(corrupted, mask, hybrid.HybridOptions())
    fusion_started = time.perf_counter()
    real, validation = clip_views.real, clip_views.validation
    real_fill, trial_fill = real.propagated, validation.propagated
    reuse = getattr(hybrid.HybridOptions(), "flow_reuse", None)
    if reuse == "fill":  # the default: fields computed once on each view's fill
        real.flows = temporal_fusion.clip_flows(real_fill)
        validation.flows = temporal_fusion.clip_flows(trial_fill)
    report["flow_reuse"] = reuse
    for _ in range(FUSION_PASSES):
        for view, fill in ((validation, trial_fill), (real, real_fill)):
            if new and reuse != "none":
                fused = temporal_fusion.fuse_temporal.unchecked(
                    fill, hybrid.FUSION_SIGMA, flows=view.flows, where=view.mask
                )
            else:
                fused = temporal_fusion.fuse_temporal.unchecked(fill, hybrid.FUSION_SIGMA)
            fused = torch.where(view.mask > 0.5, fused, corrupted)
            if view is real:
                real_fill = fused
            else:
                trial_fill = fused
    phases = dict(totals)
    phases["fusion"] = time.perf_counter() - fusion_started
    phases["total"] = time.perf_counter() - started
    report["hybrid classical"] = {
        "seconds": phases,
        "hole_psnr": psnr_in_holes(real_fill, video, mask),
    }
    import resource

    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return report


def _per_frame(report: dict, job: str) -> dict[str, float]:
    seconds = dict(report[job]["seconds"])
    seconds["other"] = seconds["total"] - sum(
        value for key, value in seconds.items() if key != "total"
    )
    return {key: value / report["frames"] for key, value in seconds.items()}


def _run_tree(tree: Path, clip: str, frames_count: int) -> dict:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(1, sys.argv[2]);"
        "import propagation_speed as bench;"
        "print(json.dumps(bench.child(sys.argv[3], int(sys.argv[4]))))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, str(tree), str(ROOT / "benchmarks"), clip, str(frames_count)],
        check=True,
        capture_output=True,
        text=True,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", default=str(CLIP))
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--baseline-rev", default="b5e92b4", help="git revision to compare with")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", arguments.baseline_rev, "restore", "masks"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        reports = {
            "baseline": _run_tree(baseline, arguments.clip, arguments.frames),
            "today": _run_tree(ROOT, arguments.clip, arguments.frames),
        }
    frames = reports["today"]["frames"]
    print(f"clip {Path(arguments.clip).name}, {frames} frames, five boxes; one thread")
    ratios = {}
    for job in ("flow-guided", "hybrid classical"):
        print(f"\n{job} (seconds per frame)")
        rows = {name: _per_frame(report, job) for name, report in reports.items()}
        phases = ["flow", "completion", "chains", "fusion", "other", "total"]
        print(f"{'':10}" + "".join(f"{phase:>12}" for phase in phases) + f"{'hole PSNR':>12}")
        for name, row in rows.items():
            cells = "".join(f"{row.get(phase, 0.0):12.4f}" for phase in phases)
            print(f"{name:10}{cells}{reports[name][job]['hole_psnr']:12.2f}")
        ratios[job] = rows["baseline"]["total"] / rows["today"]["total"]
        print(f"{job} speedup vs baseline: {ratios[job]:.2f}")
    for name, report in reports.items():
        print(f"peak RSS of the {name} process (both jobs): {report['peak_rss_mib']:.0f} MiB")
    print(f"speedup vs baseline: {ratios['hybrid classical']:.2f}")


if __name__ == "__main__":
    main()
