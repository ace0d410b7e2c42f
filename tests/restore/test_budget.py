"""Time budgets (the planner and the fit's deadline) and the working resolution."""

from __future__ import annotations

import time

import pytest
import torch

from masks import box_masks
from restore.api import restore
from restore.config import parse_duration, parse_work_size, preset
from restore.deadline import Deadline
from restore.errors import InputError
from restore.fit import FitConfig, FitProgress, fit_representation, plan_epochs
from restore.fit.plan import PROBE_STEPS, decode_seconds, estimate_step_seconds, forward_macs
from restore.models import create_model
from restore.resolution import resolve_work_size


@pytest.mark.parametrize("step_seconds", [0.01, 0.37, 2.5])
@pytest.mark.parametrize("budget", [5.0, 60.0, 600.0])
def test_planned_epochs_fit_the_budget(step_seconds: float, budget: float) -> None:
    plan = plan_epochs(
        step_seconds=step_seconds,
        steps_per_epoch=15,
        max_epochs=400,
        batch_size=2,
        num_frames=30,
        budget_seconds=budget,
        elapsed_seconds=4 * step_seconds,
        steps_done=4,
    )
    predicted = plan.fit_seconds + plan.decode_seconds
    one_more_epoch = predicted + 15 * step_seconds
    if plan.epochs > 1:  # a plan of one epoch may overrun: the loop's deadline stops it
        assert predicted <= budget + 1e-9
    if plan.epochs < 400:
        assert one_more_epoch > budget  # and no epoch that would still fit is left out
    assert plan.limited_by_budget == (plan.epochs < 400)
    assert plan.decode_seconds == pytest.approx(decode_seconds(step_seconds, 2, 30))


def test_without_a_budget_the_plan_runs_every_configured_epoch() -> None:
    plan = plan_epochs(
        step_seconds=1.0, steps_per_epoch=3, max_epochs=7, batch_size=2, num_frames=6
    )
    assert (plan.epochs, plan.limited_by_budget, plan.budget_seconds) == (7, False, None)


def test_a_budgeted_fit_plans_then_stops_at_its_deadline() -> None:
    torch.manual_seed(0)
    model = create_model("hnerv", num_frames=6, height=32, width=64, decoder_width=16)
    target = torch.rand(6, 3, 32, 64)
    slow = {"on": False}
    stamps: list[float] = []

    def on_progress(progress) -> None:
        stamps.append(progress.elapsed)
        if slow["on"]:
            time.sleep(0.2)  # the machine slows down after planning: the deadline must hold
        if progress.plan is not None:
            slow["on"] = True

    result = fit_representation(
        model,
        target,
        None,
        FitConfig(epochs=500),
        deadline=Deadline.after(3.0),
        on_progress=on_progress,
    )
    longest_step = max(b - a for a, b in zip([0.0] + stamps, stamps, strict=False))
    assert result.budget_stopped and result.stopped
    assert result.seconds <= 3.0 + 2 * longest_step  # past the deadline by about one step
    if result.steps >= PROBE_STEPS:  # (a heavily loaded machine may not even finish the probe)
        assert result.plan is not None and result.plan.limited_by_budget
        assert result.epochs_run < result.plan.epochs  # the slow-down cut the plan short
        assert any(message.startswith("plan: ") for message in result.messages)


def test_restore_with_a_budget_returns_a_complete_video(blackswan_small) -> None:
    frames = blackswan_small
    mask = box_masks(6, 72, 128, box_size=10)
    config = preset("smoke", method="hybrid", epochs=1000, time_budget=4.0)
    started = time.perf_counter()
    result = restore(frames * (1 - mask), mask, config, task="inpaint")
    # 1000 epochs would take minutes; the budget ends it (the exact deadline is the fit test's).
    assert time.perf_counter() - started < 30
    assert result.restored.shape == frames.shape
    assert result.info["budget_stopped"] or result.info["plan"]["epochs"] < 1000
    known = (mask == 0).expand_as(frames)
    assert torch.equal(result.restored[known], (frames * (1 - mask))[known])


def test_working_resolution_keeps_the_size_and_every_known_pixel(blackswan_small) -> None:
    frames = blackswan_small
    mask = box_masks(6, 72, 128, box_size=12)
    corrupted = frames * (1 - mask)
    seen = []
    config = preset("smoke", method="hybrid", epochs=4, work_size=(64, 36))
    result = restore(corrupted, mask, config, task="inpaint", on_progress=seen.append)
    assert result.restored.shape == frames.shape and result.raw.shape == frames.shape
    known = (mask == 0).expand_as(frames)
    assert torch.equal(result.restored[known], corrupted[known])
    assert result.info["work_size"] == [64, 36]
    assert result.info["padded_size"][0] < 72  # the network really ran at the working size
    fit_steps = [progress for progress in seen if isinstance(progress, FitProgress)]
    preview = fit_steps[-1].predict([2])
    assert preview.shape == (1, 3, 72, 128)
    assert torch.equal(preview[known[2:3]], corrupted[2:3][known[2:3]])


def test_an_explicit_work_size_applies_to_classical_methods_too_and_auto_does_not() -> None:
    from restore.methods import method_config
    from restore.methods.classical_inpaint import telea
    from restore.resolution import downscale_mask, downscale_video, upscale_video

    frames = torch.rand(3, 3, 48, 64, generator=torch.Generator().manual_seed(0))
    mask = box_masks(3, 48, 64, box_size=10)
    corrupted = frames * (1 - mask)
    small = restore(
        corrupted, mask, method_config("smoke", "telea", work_size=(32, 24)), task="inpaint"
    )
    assert small.restored.shape == frames.shape and small.info["work_size"] == [32, 24]
    # What telea does at 32x24, upscaled into the full-size holes; known pixels kept.
    small_mask = downscale_mask(mask, (32, 24))
    expected = upscale_video(
        telea(downscale_video(corrupted, (32, 24)) * (1 - small_mask), small_mask), 48, 64
    )
    holes = (mask > 0.5).expand_as(frames)
    assert torch.allclose(small.restored[holes], expected[holes])
    assert torch.equal(small.restored[~holes], corrupted[~holes])
    whole = restore(
        corrupted, mask, method_config("smoke", "telea", work_size="auto"), task="inpaint"
    )
    assert "work_size" not in whole.info
    assert torch.equal(whole.restored, telea(corrupted, mask))


def test_auto_work_size_only_shrinks_large_clips() -> None:
    assert resolve_work_size("auto", 240, 432) is None
    assert resolve_work_size("auto", 720, 1280) == (640, 360)
    assert resolve_work_size("full", 720, 1280) is None
    assert resolve_work_size((320, 180), 720, 1280) == (320, 180)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2m30s", 150)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "0s", "-5m"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InputError, match="--time-budget: expected"):
        parse_duration(text)


def test_parse_work_size() -> None:
    assert parse_work_size("640x360") == (640, 360)
    assert parse_work_size("Auto") == "auto"
    with pytest.raises(InputError, match="--work-size: expected both sides >= 16"):
        parse_work_size("8x8")


def test_step_estimate_scales_with_multiply_adds() -> None:
    model = create_model("hnerv", num_frames=4, height=64, width=128, size=0.05)
    small = forward_macs(model, torch.rand(1, 3, 64, 128))
    assert small > 1e6
    assert estimate_step_seconds(2 * small, 2, "cpu") == pytest.approx(
        2 * estimate_step_seconds(small, 2, "cpu")
    )


def test_the_plan_of_a_network_free_hybrid_names_its_phases_at_the_working_size() -> None:
    from restore.estimate import (
        PROPAGATION_SECONDS_PER_MEGAPIXEL,
        VALIDATION_PROPAGATION_RATIO,
        estimate_job,
    )
    from restore.job import Job
    from restore.methods import method_config

    config = method_config("balanced", "hybrid:network=none", work_size="auto", time_budget=60.0)
    job = Job(input="clip.mp4", task="inpaint", config=config, mask="logo.png")
    estimate = estimate_job(job, 132, 720, 1280)
    phases = estimate.phases
    assert "fitting" not in phases and estimate.plan is None
    # The method works at 640x360 (auto), reading and writing see 1280x720.
    assert phases["propagation"] == pytest.approx(
        PROPAGATION_SECONDS_PER_MEGAPIXEL * 132 * 640 * 360 / 1e6
    )
    assert phases["validation propagation"] == pytest.approx(
        VALIDATION_PROPAGATION_RATIO * phases["propagation"]
    )
    assert list(phases) == [
        "reading",
        "propagation",
        "validation propagation",
        "spatial fill",
        "fusion",
        "scoring and writing",
    ]
    too_small = estimate.budget_too_small()
    assert too_small.startswith("the time budget of 1 min is too short for this clip: it needs")


def test_a_chunked_run_is_planned_with_the_chunked_scores() -> None:
    """A chunked run computes SSIM on ``SSIM_FRAMES`` frames only: planning it as a whole clip
    put 22 minutes of scoring into the plan of a 3000-frame run that took 15 minutes."""
    from restore.estimate import (
        SCORING_SECONDS_PER_MEGAPIXEL,
        WRITING_SECONDS_PER_MEGAPIXEL,
        estimate_job,
        finishing_seconds,
    )
    from restore.job import Job
    from restore.methods import method_config
    from restore.streamed import SSIM_FRAMES

    config = method_config("balanced", "hybrid:network=none", time_budget=1800.0)
    job = Job(input="clip.mp4", task="inpaint", config=config, mask="boxes")
    megapixels = 3000 * 272 * 640 / 1e6
    writing = WRITING_SECONDS_PER_MEGAPIXEL * megapixels + 1.0
    assert finishing_seconds(job, 3000, 272, 640, chunked=True) == pytest.approx(
        writing + SCORING_SECONDS_PER_MEGAPIXEL * megapixels * SSIM_FRAMES / 3000
    )
    assert finishing_seconds(job, 3000, 272, 640) == pytest.approx(
        writing + SCORING_SECONDS_PER_MEGAPIXEL * megapixels
    )
    assert estimate_job(job, 3000, 272, 640).budget_too_small() is not None
    assert estimate_job(job, 3000, 272, 640, chunked=True).budget_too_small() is None
