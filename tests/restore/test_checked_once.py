"""Inputs are checked once, at the boundary: a whole `restore inpaint` job, traced.

The job is run under a profiler that records every call of the check family
(`masks.checks.check_video` / `check_mask`) with the tensor it was given. The mask and the
corrupted clip that reach `restore()` must each be checked once there and never again below it
(propagation, Telea fills, fusion, compositing, the fit).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import torch

from masks import checks
from restore.config import preset
from restore.job import Job
from restore.jobs import run_job

TRACED = {checks.check_video.__code__: "check_video", checks.check_mask.__code__: "check_mask"}


def _traced_job(job: Job) -> tuple[Counter, dict]:
    """Runs ``job``; counts checks per (check, tensor id) and keeps what restore() was given."""
    calls: Counter = Counter()
    given: dict = {}

    import restore.jobs as jobs_module

    real_restore = jobs_module.restore

    def restore_spy(frames, mask, config, **kwargs):
        given["frames"], given["mask"] = id(frames), id(mask)
        return real_restore(frames, mask, config, **kwargs)

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in TRACED:
            first = frame.f_locals.get("video" if frame.f_code.co_name == "check_video" else "mask")
            calls[(TRACED[frame.f_code], id(first))] += 1

    jobs_module.restore = restore_spy
    sys.setprofile(profile)
    try:
        run_job(job)
    finally:
        sys.setprofile(None)
        jobs_module.restore = real_restore
    return calls, given


def test_a_hybrid_job_checks_its_mask_and_clip_once(source: Path, tmp_path: Path) -> None:
    config = preset("smoke", method="hybrid", epochs=1)
    job = Job(
        input=source, task="inpaint", config=config, output=tmp_path / "out.mp4", mask="boxes"
    )
    calls, given = _traced_job(job)
    assert calls[("check_mask", given["mask"])] == 1, calls
    assert calls[("check_video", given["frames"])] == 1, calls


def test_the_tracer_sees_a_repeated_check() -> None:
    video = torch.rand(2, 3, 8, 8)
    calls: Counter = Counter()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in TRACED:
            calls[(TRACED[frame.f_code], id(frame.f_locals.get("video")))] += 1

    sys.setprofile(profile)
    try:
        checks.check_video(video)
        checks.check_video(video)
    finally:
        sys.setprofile(None)
    assert calls[("check_video", id(video))] == 2
