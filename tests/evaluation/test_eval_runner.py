"""Tests for evaluation.runner: planning, resuming, parallelism defaults and failing jobs."""

from __future__ import annotations

import dataclasses
import json

import pytest

from evaluation.profiles import PROFILES
from evaluation.records import write_record
from evaluation.runner import (
    Parallelism,
    default_parallelism,
    plan_batch,
    resolve_parallelism,
    run_jobs,
)


def plan(davis_root, out, **overrides):
    arguments = {
        "davis_root": davis_root,
        "task": "inpaint-boxes",
        "methods": ["telea", "hnerv"],
        "profile": PROFILES["smoke"],
        "out_dir": out,
        "sequences": ["car-shadow", "blackswan"],
        "device": "cpu",
    }
    return plan_batch(**{**arguments, **overrides})


def test_plan_runs_neural_methods_first(davis_root, tmp_path):
    batch = plan(davis_root, tmp_path)
    assert [job.name for job in batch.to_run] == [
        "car-shadow/hnerv",
        "blackswan/hnerv",
        "car-shadow/telea",
        "blackswan/telea",
    ]
    assert batch.skipped == []
    assert batch.to_run[0].resolution == "480p"


def test_plan_skips_only_ok_records_with_the_same_profile(davis_root, tmp_path):
    jobs = plan(davis_root, tmp_path).to_run
    profile = PROFILES["smoke"].to_dict()
    write_record(jobs[0].record_path, {"schema": 1, "status": "ok", "profile": profile})
    write_record(jobs[1].record_path, {"schema": 1, "status": "error", "profile": profile})
    write_record(
        jobs[2].record_path, {"schema": 1, "status": "ok", "profile": {**profile, "epochs": 9}}
    )
    batch = plan(davis_root, tmp_path)
    assert batch.skipped == [jobs[0]]
    assert batch.to_run == jobs[1:]
    assert plan(davis_root, tmp_path, force=True).to_run == jobs


def test_plan_rejects_a_method_that_cannot_do_the_task(davis_root, tmp_path):
    with pytest.raises(ValueError, match="'telea' cannot denoise.*methods that can: hnerv"):
        plan(davis_root, tmp_path, task="denoise-gaussian")
    with pytest.raises(ValueError, match="at least one method"):
        plan(davis_root, tmp_path, methods=[])


def test_default_parallelism_on_two_cores():
    assert default_parallelism("cpu", cpu_count=2) == Parallelism(2, 1)
    assert default_parallelism("cpu", cpu_count=2, jobs=1) == Parallelism(1, 2)
    assert default_parallelism("cpu", cpu_count=8, jobs=3) == Parallelism(3, 2)


def test_resolve_parallelism():
    assert resolve_parallelism(1, 2, device="cpu") == Parallelism(1, 2)
    assert resolve_parallelism(0, None, device="cpu").workers == 0
    with pytest.raises(ValueError, match="--workers: expected an integer >= 0, got -2"):
        resolve_parallelism(-2, None)
    with pytest.raises(ValueError, match="--threads-per-worker"):
        resolve_parallelism(None, 0)


def test_a_failing_job_is_recorded_and_the_batch_goes_on(davis_root, tmp_path):
    good = next(job for job in plan(davis_root, tmp_path).to_run if job.method == "telea")
    bad = dataclasses.replace(good, sequence="no-such-sequence")
    seen = []
    outcomes = run_jobs([bad, good], Parallelism(0, 1), seen.append)
    assert [outcome.status for outcome in outcomes] == ["error", "ok"]
    assert seen == outcomes
    assert "no-such-sequence" in outcomes[0].message
    error = json.loads(bad.record_path.read_text())
    assert error["status"] == "error" and "Traceback" in error["traceback"]
    assert json.loads(good.record_path.read_text())["status"] == "ok"
    assert plan(davis_root, tmp_path, methods=["telea"]).skipped == [good]
