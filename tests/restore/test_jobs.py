"""Tests for the one job pipeline: both runners return a `JobReport`, write the same metrics
sections, and build their inputs through `masks.corrupt`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import masks
from restore.config import preset
from restore.job import Job, JobReport, PreparedInput
from restore.jobs import run_job


def _job(source: Path, output: Path, **fields) -> Job:
    config = preset("smoke", method="telea")
    return Job(input=source, task="inpaint", config=config, output=output, **fields)


def test_both_runners_return_one_report_type_with_the_same_sections(source, tmp_path) -> None:
    whole = run_job(_job(source, tmp_path / "whole.mp4", mask="boxes", input_name="clip.mp4"))
    chunked = run_job(
        _job(source, tmp_path / "chunked.mp4", mask="boxes", input_name="clip.mp4", chunk_frames=50)
    )
    assert type(whole) is JobReport and type(chunked) is JobReport
    assert type(whole.prepared) is PreparedInput and type(chunked.prepared) is PreparedInput
    records = [json.loads(report.outputs["metrics"].read_text()) for report in (whole, chunked)]
    for report, record in zip((whole, chunked), records, strict=True):
        assert record == json.loads(json.dumps(report.record, default=str))
        assert report.metrics == report.record["scores"]
        assert report.job_timings == report.record["job_timings"]
    whole_record, chunked_record = records
    shared = {"input", "task", "frames", "size", "fps", "timings", "job_timings", "stopped"}
    shared |= {"notes", "scores"}
    assert shared <= set(whole_record) & set(chunked_record)
    for key in ("input", "task", "frames", "size", "fps", "stopped"):
        assert whole_record[key] == chunked_record[key], key
    assert whole_record["input"] == "clip.mp4"  # the name the app gives, in both runners
    for timings in (whole_record["job_timings"], chunked_record["job_timings"]):
        assert {"total_seconds", "time_budget"} <= set(timings)
    assert set(whole_record["scores"]) == set(chunked_record["scores"]) == {"input", "restored"}
    for who in ("input", "restored"):
        whole_scores, chunked_scores = whole_record["scores"][who], chunked_record["scores"][who]
        assert set(whole_scores) <= set(chunked_scores)  # the chunked run adds ssim_frames
        # One chunk restores the clip as the whole-clip run does: the pooled PSNRs agree.
        for name in ("psnr", "psnr_holes", "psnr_known"):
            assert chunked_scores[name] == pytest.approx(whole_scores[name], abs=1e-6), name
    config = json.loads(chunked.outputs["config"].read_text())
    assert config["job"]["chunk_frames"] == 50 and config["config"]["method"] == "telea"


def test_every_chunk_is_corrupted_through_masks_corrupt(source, tmp_path, monkeypatch) -> None:
    calls = []
    real_corrupt = masks.corrupt

    def counting(frames, **options):
        calls.append((frames.shape[0], options))
        return real_corrupt(frames, **options)

    monkeypatch.setattr(masks, "corrupt", counting)
    prepared = []
    job = _job(source, tmp_path / "out.mp4", mask="center", chunk_frames=4, chunk_overlap=1)
    job.preview = True
    report = run_job(job, on_prepared=prepared.append)
    plan = report.result.info["chunks"]["plan"]
    assert len(plan) == 3 and len(calls) == len(plan)
    for (frames, options), (start, stop) in zip(calls, plan, strict=True):
        assert frames == stop - start and options["chunk"] is True
        assert isinstance(options["mask"], torch.Tensor) and options["mask"].shape[0] == frames
    # on_prepared gets a real input: the clip's first frame as the method saw it, holes zeroed.
    assert len(prepared) == 1 and prepared[0].corrupted.shape == (1, 3, 32, 48)
    assert prepared[0].mask is not None and float(prepared[0].mask.mean()) > 0
    assert float((prepared[0].corrupted * prepared[0].mask).abs().max()) == 0.0
    assert prepared[0].notes == report.prepared.notes and prepared[0].notes[0].startswith("chunk")
    assert report.outputs["preview"].is_file()
    # The report's samples carry their masks too.
    assert report.prepared.mask.shape == (10, 1, 32, 48)
    assert torch.equal(report.prepared.mask[0], prepared[0].mask[0])

    calls.clear()
    run_job(_job(source, tmp_path / "whole.mp4", mask="center"))
    assert len(calls) == 1 and calls[0][0] == 10 and not calls[0][1].get("chunk", False)


def test_a_chunked_denoise_draws_its_noise_through_masks_corrupt(
    source, tmp_path, monkeypatch
) -> None:
    seeds = []
    real_corrupt = masks.corrupt

    def recording(frames, **options):
        seeds.append(options["seed"])
        return real_corrupt(frames, **options)

    monkeypatch.setattr(masks, "corrupt", recording)
    job = Job(
        input=source,
        task="denoise",
        config=preset("smoke", method="median"),
        output=tmp_path / "out.mp4",
        add_noise="gaussian:0.05",
        chunk_frames=4,
        chunk_overlap=1,
    )
    report = run_job(job)
    starts = [start for start, _ in report.result.info["chunks"]["plan"]]
    assert seeds == [job.config.seed + start for start in starts]  # seed + the chunk's start
    assert report.metrics["restored"]["psnr"] > report.metrics["input"]["psnr"]


def test_the_job_data_module_imports_no_runner() -> None:
    code = (
        "import sys, restore.job, restore.estimate; "
        "print(sorted(m for m in ('restore.jobs', 'restore.streamed', 'restore.outputs') "
        "if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"


def test_a_whole_clip_job_looks_its_method_up_once(source, tmp_path, monkeypatch) -> None:
    import restore.api
    import restore.jobs
    import restore.streamed

    looked_up = []
    real_get_method = restore.jobs.get_method

    def counting(name):
        looked_up.append(name)
        return real_get_method(name)

    for module in (restore.api, restore.jobs, restore.streamed):
        monkeypatch.setattr(module, "get_method", counting)
    job = _job(source, tmp_path / "out.mp4", mask="boxes", auto_chunk=True)
    report = run_job(job)
    assert report.result.restored.shape == (10, 3, 32, 48)
    assert looked_up == ["telea"]  # run_job's lookup; the planner and restore() reuse it


def test_before_is_the_clip_as_uploaded_for_a_users_mask(source: Path, tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from restore.io import read_video
    from restore.jobs import prepare_input

    drawn = np.zeros((32, 48), dtype=np.uint8)
    drawn[4:12, 6:18] = 255
    cv2.imwrite(str(tmp_path / "mask.png"), drawn)
    config = preset("smoke", method="telea")
    job = Job(input=source, task="inpaint", config=config, output=tmp_path / "o.mp4")
    job.mask = str(tmp_path / "mask.png")
    prepared = prepare_input(job)
    decoded = read_video(source).frames
    assert prepared.clean is None  # no reference for a user's own mask
    assert torch.equal(prepared.before, decoded)
    assert not torch.equal(prepared.before, prepared.corrupted)  # the holes are cut only there
    synthetic = prepare_input(
        Job(input=source, task="inpaint", config=config, output=tmp_path / "s.mp4", mask="boxes")
    )
    assert synthetic.original is None and synthetic.before is synthetic.clean
