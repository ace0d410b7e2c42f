"""Every long phase of the hybrid reports its frames and can be stopped: propagation, the
validation propagation and fusion, each ending in a complete video made of what is finished."""

from __future__ import annotations

import pytest
import torch

from apps.handlers import frames_status
from apps.runner import Frames
from restore.deadline import Deadline
from restore.fit import FitConfig
from restore.methods.classical_inpaint import telea
from restore.methods.flow_propagation import flow_guided
from restore.methods.hybrid import HybridOptions, hybrid_inpaint
from restore.progress import PhaseClock, PhaseProgress, PhaseStopped, SubClock
from tests.restore.test_hybrid import panned_clip

NO_FIT = HybridOptions(network="none", temporal_passes=2)
TINY = FitConfig(epochs=1, batch_size=2)


def _run(options=NO_FIT, stop_at: str | None = None, deadline=None):
    video, mask = panned_clip(frames=6)
    corrupted = video * (1 - mask)
    reports: list[PhaseProgress] = []
    stop = {"now": False}

    def on_progress(progress) -> None:
        if isinstance(progress, PhaseProgress):
            reports.append(progress)
            if progress.phase == stop_at:
                stop["now"] = True

    result = hybrid_inpaint(
        corrupted,
        mask,
        TINY,
        options=options,
        on_progress=on_progress,
        should_stop=lambda: stop["now"],
        deadline=deadline,
    )
    return result, reports, corrupted, mask


def test_the_phases_report_their_frames_in_order_up_to_their_totals() -> None:
    result, reports, _, _ = _run()
    phases = list(dict.fromkeys(report.phase for report in reports))
    assert phases == ["propagation", "validation propagation", "spatial fill", "fusion"]
    for phase in phases:
        done = [report.done for report in reports if report.phase == phase]
        assert done == sorted(done) and done[-1] >= 1
    last = {report.phase: report for report in reports}
    assert last["propagation"].done == last["propagation"].total == 6
    assert last["validation propagation"].eta == 0.0
    assert last["spatial fill"].done == last["spatial fill"].total == 12  # two views
    assert not result.stopped


def test_stop_during_propagation_returns_a_telea_fill_and_says_so() -> None:
    result, reports, corrupted, mask = _run(stop_at="propagation")
    assert result.stopped and result.info["stopped_phase"] == "propagation"
    assert torch.equal(result.restored, telea(corrupted, mask))
    assert "no network was fitted" in result.info["notes"][0]
    assert {report.phase for report in reports} == {"propagation"}


def test_stop_during_the_validation_propagation_keeps_the_real_propagation() -> None:
    result, _, corrupted, mask = _run(stop_at="validation propagation")
    assert result.stopped and result.info["stopped_phase"] == "validation propagation"
    assert torch.equal(result.restored, flow_guided(corrupted, mask))


def test_stop_during_the_spatial_fill_keeps_the_real_propagation() -> None:
    result, reports, corrupted, mask = _run(stop_at="spatial fill")
    assert result.stopped and result.info["stopped_phase"] == "spatial fill"
    assert torch.equal(result.restored, flow_guided(corrupted, mask))
    assert "fusion" not in {report.phase for report in reports}


def test_stop_during_fusion_keeps_a_complete_video_without_the_cut_pass() -> None:
    result, reports, corrupted, mask = _run(stop_at="fusion")
    assert result.info["fusion_passes"] == 0
    known = (mask < 0.5).expand_as(corrupted)
    assert torch.equal(result.restored[known], corrupted[known])
    assert torch.isfinite(result.restored).all()
    fused = [report for report in reports if report.phase == "fusion"]
    assert fused and fused[-1].done < fused[-1].total


def test_a_deadline_passed_during_propagation_stops_it_too() -> None:
    result, _, _, _ = _run(deadline=Deadline.after(-1.0))
    assert result.stopped and result.info["stopped_phase"] == "propagation"
    assert result.info["budget_stopped"]  # the deadline, not Stop: said so
    assert result.info["notes"][0].startswith("the time budget ran out during the propagation")
    pressed, _, _, _ = _run(stop_at="propagation")
    assert not pressed.info["budget_stopped"]
    assert pressed.info["notes"][0].startswith("stopped during the propagation")


def test_phase_clock_reports_rarely_but_always_the_last_frame() -> None:
    seen: list[PhaseProgress] = []
    clock = PhaseClock("fusion", 50, seen.append)
    for _ in range(50):
        clock.tick()
    # The first tick only starts the ETA's clock; the second frame reports.
    assert seen[0].done == 2 and seen[-1].done == 50 and len(seen) < 10
    stopping = PhaseClock("fusion", 3, None, lambda: True)
    with pytest.raises(PhaseStopped):
        stopping.tick()


def test_the_eta_leaves_out_what_came_before_the_first_frame(monkeypatch) -> None:
    """A phase that spends 0.2 s before its first frame, then 0.01 s a frame: the ETA follows
    the frames, not the set-up (once 23 minutes were shown for a 20-second phase)."""
    import restore.progress

    monkeypatch.setattr(restore.progress, "REPORT_SECONDS", 0.0)
    now = {"t": 0.0}
    monkeypatch.setattr(restore.progress.time, "perf_counter", lambda: now["t"])
    seen: list[PhaseProgress] = []
    clock = PhaseClock("spatial fill", 100, seen.append)
    now["t"] = 0.2
    clock.tick()
    assert seen == []  # one frame's time would be the set-up's
    for _ in range(9):
        now["t"] += 0.01
        clock.tick()
    assert seen[-1].done == 10 and seen[-1].eta == pytest.approx(0.9)  # 90 frames x 0.01 s
    assert seen[-1].elapsed == pytest.approx(0.29)


def test_the_app_names_each_phase_in_plain_words() -> None:
    status = frames_status(Frames(12, 40, 6.0, 14.0, "propagation"))
    assert status.startswith("**Propagating known pixels along the motion** · 12/40 frames")
    assert "about 14 s left" in status
    assert frames_status(Frames(5, 10, 1.0, 1.0)).startswith("**Restoring in chunks**")


def test_completion_and_chain_following_poll_stop_too() -> None:
    import numpy as np

    from restore.methods.flow_cache import CompletionCache
    from restore.methods.flow_propagation import complete_flows, follow_chains

    video, mask = panned_clip(frames=4)
    holes = mask[:, 0].numpy() > 0.5
    fields = np.zeros((3, *holes.shape[1:], 2), dtype=np.float32)
    stopping = PhaseClock("propagation", 4, None, lambda: True)
    with pytest.raises(PhaseStopped):
        complete_flows(fields, fields.copy(), holes, CompletionCache(), stopping)
    frames = video.permute(0, 2, 3, 1).contiguous().numpy()
    levels = holes[..., None].astype(np.float32)
    with pytest.raises(PhaseStopped):
        follow_chains(
            frames, levels, np.nonzero(holes), fields, 1, 3, None, SubClock(stopping, 3, 1)
        )


def _stop_after(ticks: int):
    """An ``(on_progress, should_stop)`` pair that presses Stop once ``ticks`` frames of any
    phase are reported done (reports come every frame: ``REPORT_SECONDS`` is patched to 0)."""
    seen: list[PhaseProgress] = []
    return seen, seen.append, lambda: bool(seen) and seen[-1].done >= ticks


@pytest.fixture
def every_frame_reported(monkeypatch):
    monkeypatch.setattr("restore.progress.REPORT_SECONDS", 0.0)


def _noisy_clip(frames: int = 5, sigma: float = 0.1):
    video, _ = panned_clip(frames=frames)
    noise = torch.randn(video.shape, generator=torch.Generator().manual_seed(3))
    return video, (video + sigma * noise).clamp(0, 1)


@pytest.mark.usefixtures("every_frame_reported")
def test_stop_during_bm3d_keeps_the_frames_denoised_and_the_rest_as_given() -> None:
    from restore.api import restore
    from restore.methods import method_config

    clean, noisy = _noisy_clip()
    seen, on_progress, should_stop = _stop_after(2)
    config = method_config("smoke", "bm3d:sigma=0.1,impulses=false")
    result = restore(
        noisy, None, task="denoise", config=config, on_progress=on_progress, should_stop=should_stop
    )
    assert result.stopped and result.info["stopped_phase"] == "denoising"
    assert {report.phase for report in seen} == {"denoising"}
    assert "2 of 5 frames are denoised, the others are as given" in " ".join(result.info["notes"])
    assert torch.equal(result.restored[2:], noisy[2:])

    def error(video: torch.Tensor) -> float:
        return float(((video - clean[:2]) ** 2).mean())

    assert error(result.restored[:2]) < 0.5 * error(noisy[:2])  # the done frames are denoised


@pytest.mark.usefixtures("every_frame_reported")
@pytest.mark.usefixtures("every_frame_reported")
def test_stop_during_bm3d_flow_fusion_returns_every_frame_denoised_by_bm3d() -> None:
    from restore.api import restore
    from restore.methods import method_config

    _, noisy = _noisy_clip()
    seen, on_progress, should_stop = _stop_after(6)  # 5 BM3D frames, then a fusion pair
    config = method_config("smoke", "bm3d-flow:sigma=0.1,impulses=false")
    result = restore(
        noisy, None, task="denoise", config=config, on_progress=on_progress, should_stop=should_stop
    )
    plain = restore(
        noisy, None, task="denoise", config=method_config("smoke", "bm3d:sigma=0.1,impulses=false")
    )
    assert result.stopped and result.info["stopped_phase"] == "denoising"
    assert seen[-1].total == 5 + 4  # a tick per BM3D frame, one per fused frame pair
    assert torch.equal(result.restored, plain.restored)
    assert "the fusion over time was cut short" in " ".join(result.info["notes"])


@pytest.mark.usefixtures("every_frame_reported")
def test_a_classical_denoiser_and_flow_guided_report_and_stop_too() -> None:
    from restore.api import restore
    from restore.methods import method_config

    def stopped_after(ticks: int, video, mask, spec: str):
        seen, on_progress, should_stop = _stop_after(ticks)
        task = "denoise" if mask is None else "inpaint"
        config = method_config("smoke", spec)
        result = restore(
            video, mask, task=task, config=config, on_progress=on_progress, should_stop=should_stop
        )
        return result, seen

    _, noisy = _noisy_clip()
    result, _ = stopped_after(3, noisy, None, "nlmeans")
    assert result.stopped and result.info["stopped_phase"] == "denoising"
    assert torch.equal(result.restored[3:], (noisy[3:] * 255).round() / 255)  # as given (uint8)
    assert not torch.equal(result.restored[:3], (noisy[:3] * 255).round() / 255)

    video, mask = panned_clip(frames=6)
    corrupted = video * (1 - mask)
    result, seen = stopped_after(2, corrupted, mask, "flow-guided")
    assert result.stopped and result.info["stopped_phase"] == "propagation"
    assert {report.phase for report in seen} == {"propagation"}
    assert torch.equal(result.restored, telea(corrupted, mask))
    assert "Telea" in result.info["notes"][0]


def test_a_denoiser_whose_deadline_has_passed_returns_the_clip_as_given() -> None:
    from restore.methods import get_method, method_config

    _, noisy = _noisy_clip(frames=3)
    config = method_config("smoke", "bm3d:sigma=0.1,impulses=false")
    result = get_method("bm3d").run(noisy, None, config, deadline=Deadline.after(-1.0))
    assert result.stopped and torch.equal(result.restored, noisy)
    assert "no frame was denoised" in " ".join(result.info["notes"])
    assert result.info["budget_stopped"]
    assert result.info["notes"][0].startswith("the time budget ran out during the denoising")


def test_stop_pressed_in_fusion_is_named_in_the_result() -> None:
    # flow_reuse=fill computes the fusion's fields first: Stop there ends fusion before a pass.
    options = HybridOptions(network="none", temporal_passes=2, flow_reuse="fill")
    result, reports, corrupted, mask = _run(options=options, stop_at="fusion")
    assert result.stopped and result.info["stopped_phase"] == "fusion"
    assert result.info["fusion_passes"] == 0
    assert "stopped during the fusion: 0 of 2 passes" in " ".join(result.info["notes"])
    known = (mask < 0.5).expand_as(corrupted)
    assert torch.equal(result.restored[known], corrupted[known])


def test_propagation_moves_on_while_its_chains_are_followed(monkeypatch) -> None:
    """Half of the phase's frames go to the flows, the rest to the two chain directions, so the
    bar does not wait at the last frame while the chains are followed."""
    import restore.methods.flow_propagation as flow_propagation
    import restore.progress

    monkeypatch.setattr(restore.progress, "REPORT_SECONDS", 0.0)
    video, mask = panned_clip(frames=12)
    reports: list[PhaseProgress] = []
    events: list[str] = []
    clock = PhaseClock("propagation", 12, reports.append)
    original = flow_propagation.follow_chains

    def following(*args, **kwargs):
        events.append(f"chains from {reports[-1].done}")
        return original(*args, **kwargs)

    monkeypatch.setattr(flow_propagation, "follow_chains", following)
    flow_propagation.propagate(video * (1 - mask), mask, clock=clock)
    assert [report.done for report in reports] == list(range(2, 13))  # the first starts the ETA
    assert events == ["chains from 6", "chains from 8"]  # flows: 6, chains: 2 + 3, the end: 1


def test_a_budget_that_leaves_the_fit_no_time_never_blends_the_network(monkeypatch) -> None:
    """The fit's deadline has passed when it starts (the propagations took the budget): it ends
    before one epoch, the network is left out and the holes are exactly the network-free ones."""
    import restore.methods.hybrid as hybrid
    from restore.methods.hybrid import TimePlan

    def no_time_for_the_fit(clip, options, deadline):
        return TimePlan(fit=Deadline.after(-1.0), fusion=None, pass_seconds=0.0)

    monkeypatch.setattr(hybrid, "plan_time", no_time_for_the_fit)
    options = HybridOptions(network="fit", temporal_passes=0)
    result, _, _, _ = _run(options=options)
    info = result.info
    assert info["network_used"] is False and info["budget_stopped"]
    assert info["network_left_out"] == "its fit ended before one whole epoch"
    assert info["epochs_run"] == 0 and result.model is None
    assert any("left out of the holes" in note for note in info["notes"])
    network_free, _, _, _ = _run(options=HybridOptions(network="none", temporal_passes=0))
    assert torch.equal(result.restored, network_free.restored)
