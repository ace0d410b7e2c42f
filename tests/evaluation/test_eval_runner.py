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
    assert default_parallelism("cpu", cpu_count=2) == Parallelism(2, 1, share_cores=2)
    assert default_parallelism("cpu", cpu_count=2, jobs=1) == Parallelism(1, 2, share_cores=2)
    assert default_parallelism("cpu", cpu_count=8, jobs=3) == Parallelism(3, 2, share_cores=8)


def test_idle_cores_go_to_the_jobs_still_running():
    two = Parallelism(2, 1, share_cores=2)
    assert [two.threads_for(left) for left in (12, 3, 2, 1, 0)] == [1, 1, 1, 2, 2]
    eight = Parallelism(4, 2, share_cores=8)
    assert [eight.threads_for(left) for left in (5, 4, 3, 2, 1)] == [2, 2, 2, 4, 8]
    assert Parallelism(2, 1).threads_for(1) == 1  # share_cores 0: fixed threads


def test_resolve_parallelism():
    assert resolve_parallelism(1, 2, device="cpu") == Parallelism(1, 2)
    assert resolve_parallelism(2, 1, device="cpu").share_cores == 0  # the user's threads stay
    assert resolve_parallelism(None, None, device="cpu").share_cores > 0
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


def test_the_recipe_reaches_the_harness_fit_and_its_record(davis_root, tmp_path):
    profile = dataclasses.replace(PROFILES["smoke"], recipe="paper", epochs=2)
    job = plan(davis_root, tmp_path, methods=["hnerv-boost"], profile=profile).to_run[0]
    assert "recipepaper" in str(job.record_path)
    [outcome] = run_jobs([job], Parallelism(0, 1), lambda outcome: None)
    assert outcome.status == "ok", outcome.message
    record = json.loads(job.record_path.read_text())
    assert record["recipe"] == "paper" and record["profile"]["recipe"] == "paper"
    assert record["config"]["fit"]["optimizer"] == "adan" and record["fit"]["optimizer"] == "Adan"
    assert record["fit"]["lr"] == 3e-3 and record["config"]["fit"]["epochs"] == 2


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "pool"])
def test_epochs_reach_the_parent_as_the_fit_runs(davis_root, tmp_path, workers):
    hnerv, telea = (
        next(job for job in plan(davis_root, tmp_path).to_run if job.method == name)
        for name in ("hnerv", "telea")
    )
    epochs, events = hnerv.profile.epochs, []
    outcomes = run_jobs(
        [hnerv, telea],
        Parallelism(workers, 1),
        on_outcome=lambda outcome: events.append(("done", outcome.job.name)),
        on_epoch=lambda job, epoch, total: events.append((job.name, epoch, total)),
    )
    assert sorted(outcome.status for outcome in outcomes) == ["ok", "ok"]
    fit = [event for event in events if event[0] == hnerv.name]
    assert fit == [(hnerv.name, epoch, epochs) for epoch in range(1, epochs + 1)]
    assert ("done", telea.name) in events and not any(e[0] == telea.name for e in events)


def test_a_worker_takes_up_the_threads_the_parent_sets_between_epochs(
    davis_root, tmp_path, monkeypatch
):
    import multiprocessing

    import torch

    from evaluation import runner

    hnerv = next(job for job in plan(davis_root, tmp_path).to_run if job.method == "hnerv")
    threads = multiprocessing.Value("i", 1)

    class ParentRaisesThreadsAtFirstReport:  # as if the other worker's job had just finished
        def put(self, item):
            threads.value = 2

    monkeypatch.setitem(runner._WORKER, "threads", threads)
    monkeypatch.setitem(runner._WORKER, "epochs", ParentRaisesThreadsAtFirstReport())
    previous = torch.get_num_threads()
    outcome = runner._run_in_worker(hnerv)
    assert outcome.status == "ok", outcome.message
    record = json.loads(hnerv.record_path.read_text())
    assert record["timings"]["threads"] == [
        {"from_epoch": 1, "threads": 1},
        {"from_epoch": 2, "threads": 2},
    ]
    assert torch.get_num_threads() == previous  # run_eval_job restores the process's setting
