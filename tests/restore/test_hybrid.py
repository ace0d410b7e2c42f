"""The hybrid method: propagation maps (reached, distance, confidence) and propagate-then-fit.

Synthetic clips with known motion check the maps; tiny models (a few seconds of fitting) check
the hybrid's compositing, options and, on real DAVIS frames, that it beats its classical parts.
"""

from __future__ import annotations

import pytest
import torch

from evaluation.warp_error import warp_error
from masks import center_mask
from restore.api import restore
from restore.config import ModelOptions, RestoreConfig
from restore.deadline import Deadline
from restore.fit import FitConfig, FitProgress
from restore.methods import get_method
from restore.methods.classical_inpaint import telea
from restore.methods.flow_propagation import (
    PropagationMaps,
    flow_guided_with_info,
    flow_guided_with_maps,
)
from restore.methods.hybrid import (
    FusionCheck,
    HybridOptions,
    blend_holes,
    calibrate_shares,
    fuse_holes,
    hybrid_inpaint,
    pseudo_target_weights,
    validation_holes,
)
from restore.metrics import psnr_in_holes

TINY_FIT = FitConfig(epochs=3, batch_size=2, lr=3e-3)
MARGIN_DB = 2.0  # measured: hybrid 22.2 dB, flow-guided 17.4, Telea 17.1 (6 frames, 128x72)


def panned_clip(frames: int = 8, shift: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """A smooth random texture rolled ``shift`` px right per frame, and a fixed 12x12 hole."""
    generator = torch.Generator().manual_seed(1)
    base = torch.rand(1, 3, 24, 32, generator=generator)
    base = torch.nn.functional.interpolate(base, size=(96, 128), mode="bilinear")
    video = torch.cat([torch.roll(base, shifts=shift * t, dims=3) for t in range(frames)])
    mask = torch.zeros(frames, 1, 96, 128)
    mask[:, :, 40:52, 56:68] = 1.0
    return video, mask


def static_clip() -> tuple[torch.Tensor, torch.Tensor]:
    """A still textured clip with a fixed hole: no frame ever shows what the hole hides."""
    video, mask = panned_clip(frames=4, shift=0)
    return video, mask


def test_panned_clip_is_reached_with_high_confidence_and_filled_near_exactly() -> None:
    video, mask = panned_clip()
    restored, info, maps = flow_guided_with_maps(video * (1 - mask), mask)
    holes = mask > 0.5
    assert info["propagated_fraction"] == 1.0
    assert bool((maps.reached[holes] == 1).all())
    assert float(maps.confidence[holes].min()) > 0.7
    # The hole is 12 px wide and the texture moves 2 px a frame: 6 frames (7 when the flow falls
    # a little short of 2 px and the bilinear sample still touches the hole).
    assert 1 <= float(maps.distance[holes].min()) and float(maps.distance[holes].max()) <= 7
    assert psnr_in_holes(restored, video, mask) > 35.0


def test_maps_have_the_mask_layout_and_are_zero_outside_holes() -> None:
    video, mask = panned_clip()
    corrupted = video * (1 - mask)
    restored, info, maps = flow_guided_with_maps(corrupted, mask)
    for field in (maps.reached, maps.distance, maps.confidence):
        assert field.shape == mask.shape and field.dtype == torch.float32
        assert bool((field[mask == 0] == 0).all())
    assert float(maps.confidence.min()) >= 0.0 and float(maps.confidence.max()) <= 1.0
    # The maps are extra: restored video and info are those of flow_guided_with_info.
    plain, plain_info = flow_guided_with_info(corrupted, mask)
    assert torch.equal(restored, plain) and info == plain_info


def test_a_hole_that_never_uncovers_is_not_reached() -> None:
    video, mask = static_clip()
    _, info, maps = flow_guided_with_maps(video * (1 - mask), mask)
    assert info["propagated_fraction"] == 0.0
    assert float(maps.reached.sum()) == 0.0 and float(maps.confidence.sum()) == 0.0


def test_confidence_drops_where_forward_and_backward_candidates_disagree() -> None:
    # Only frame 4 has a hole; its backward candidate comes from frame 3, its forward one from
    # frame 5. Brightening frames 5..7 makes the two candidates differ in colour.
    video, mask = panned_clip()
    mask = torch.zeros_like(mask)
    mask[4, :, 40:52, 56:68] = 1.0
    _, _, consistent = flow_guided_with_maps(video * (1 - mask), mask)
    changed = video.clone()
    changed[5:] = (changed[5:] + 0.3).clamp(max=1.0)
    _, _, disagreeing = flow_guided_with_maps(changed * (1 - mask), mask)
    holes = mask > 0.5
    assert float(disagreeing.confidence[holes].mean()) < 0.5 * float(
        consistent.confidence[holes].mean()
    )


def test_pseudo_target_weights_follow_the_confidence() -> None:
    mask = torch.zeros(1, 1, 2, 3)
    mask[0, 0, 0, :] = 1.0
    maps = PropagationMaps(
        reached=torch.tensor([[[[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]]),
        distance=torch.tensor([[[[1.0, 3.0, 0.0], [0.0, 0.0, 0.0]]]]),
        confidence=torch.tensor([[[[0.8, 0.2, 0.0], [0.0, 0.0, 0.0]]]]),
    )
    weights = pseudo_target_weights(mask, maps, 0.5)
    assert torch.allclose(weights, torch.tensor([[[[0.4, 0.1, 0.0], [1.0, 1.0, 1.0]]]]))
    flat = pseudo_target_weights(mask, maps, 0.5, confidence_weighting=False)
    assert torch.allclose(flat, torch.tensor([[[[0.5, 0.5, 0.0], [1.0, 1.0, 1.0]]]]))


def test_blend_trusts_propagation_by_its_confidence_and_the_network_where_unreached() -> None:
    mask = torch.ones(1, 1, 1, 3)
    maps = PropagationMaps(
        reached=torch.tensor([[[[1.0, 1.0, 0.0]]]]),
        distance=torch.tensor([[[[1.0, 1.0, 0.0]]]]),
        confidence=torch.tensor([[[[1.0, 0.25, 0.0]]]]),
    )
    propagated, network = torch.ones(1, 3, 1, 3), torch.zeros(1, 3, 1, 3)
    blended = blend_holes(propagated, network, mask, maps, "confidence")[0, 0, 0]
    assert torch.allclose(blended, torch.tensor([1.0, 0.25, 0.0]))
    chosen = blend_holes(propagated, network, mask, maps, "choose")[0, 0, 0]
    assert torch.equal(chosen, torch.tensor([1.0, 0.0, 0.0]))


def test_validation_holes_copy_the_mask_elsewhere_and_never_touch_real_holes() -> None:
    mask = torch.zeros(4, 1, 30, 60)
    mask[:, :, 10:20, 5:15] = 1.0
    held_out = validation_holes(mask)
    assert held_out.shape == mask.shape
    assert float((held_out * mask).sum()) == 0.0
    # Two copies of the hole, moved: a third of the width right, and a third of the height down
    # with two thirds of the width right.
    assert torch.equal(held_out.sum((1, 2, 3)), 2 * mask.sum((1, 2, 3)))
    assert float(held_out[:, :, 10:20, 25:35].min()) == 1.0
    assert float(held_out[:, :, 20:30, 45:55].min()) == 1.0


def test_calibrated_shares_pick_the_fill_that_is_right_on_validation_pixels() -> None:
    generator = torch.Generator().manual_seed(3)
    truth = torch.rand(2, 3, 20, 20, generator=generator)
    noise = 0.2 * torch.randn(2, 3, 20, 20, generator=generator)
    holes = torch.ones(2, 1, 20, 20)
    confident = PropagationMaps(
        reached=torch.ones_like(holes), distance=torch.ones_like(holes), confidence=holes * 0.9
    )
    right = calibrate_shares(truth, truth + noise, truth, holes, confident)
    wrong = calibrate_shares(truth + noise, truth, truth, holes, confident)
    assert right["bins"][-1] == 1.0 and wrong["bins"][-1] == 0.0
    # Bins without validation pixels take the pooled share.
    assert right["bins"][0] == 1.0 and right["pixels"][0] == 0


def test_hybrid_keeps_known_pixels_bit_exact_and_uses_the_network_where_unreached() -> None:
    video, mask = static_clip()
    corrupted = video * (1 - mask)
    options = HybridOptions(blend="confidence", validation=False)
    result = hybrid_inpaint(
        corrupted, mask, TINY_FIT, model=ModelOptions(size=0.05), options=options
    )
    known = (mask == 0).expand_as(video)
    assert torch.equal(result.restored[known], corrupted[known])
    holes = (mask > 0.5).expand_as(video)
    assert result.info["unreached_fraction"] == 1.0
    # seam_correct (on by default) adds a smooth offset to the network's output in the holes.
    uncorrected = hybrid_inpaint(
        corrupted,
        mask,
        TINY_FIT,
        model=ModelOptions(size=0.05),
        options=HybridOptions(blend="confidence", validation=False, seam=False),
    )
    assert torch.allclose(uncorrected.restored[holes], uncorrected.raw[holes])
    assert result.raw.shape == video.shape
    assert len(result.info["history"]) == TINY_FIT.epochs


def test_default_hybrid_keeps_known_pixels_bit_exact() -> None:
    video, mask = panned_clip(frames=4)
    corrupted = video * (1 - mask)
    result = hybrid_inpaint(corrupted, mask, TINY_FIT, model=ModelOptions(size=0.05))
    known = (mask == 0).expand_as(video)
    assert torch.equal(result.restored[known], corrupted[known])
    assert result.info["blend_used"] == "calibrated"
    assert len(result.info["calibrated_shares"]["bins"]) == 6
    # Propagation is exact on a panned clip: the Telea candidate gets (almost) no share.
    assert 0.0 <= result.info["spatial_share"] < 0.2


def test_spatial_candidate_can_be_switched_off() -> None:
    video, mask = panned_clip(frames=4)
    corrupted = video * (1 - mask)
    options = HybridOptions(spatial_candidate=False)
    result = hybrid_inpaint(
        corrupted, mask, TINY_FIT, model=ModelOptions(size=0.05), options=options
    )
    assert result.info["spatial_share"] is None
    known = (mask == 0).expand_as(video)
    assert torch.equal(result.restored[known], corrupted[known])


def test_registry_runs_hybrid_with_progress_stop_and_options() -> None:
    video, mask = panned_clip(frames=4)
    corrupted = video * (1 - mask)
    assert get_method("hybrid").neural
    steps = []
    config = RestoreConfig(
        method="hybrid",
        model=ModelOptions(size=0.05),
        fit=FitConfig(epochs=5),
        method_options={"pseudo_weight": 0.5},
    )
    result = restore(
        corrupted,
        mask,
        config,
        task="inpaint",
        on_progress=lambda progress: isinstance(progress, FitProgress) and steps.append(progress),
        should_stop=lambda: len(steps) >= 2,
    )
    # The stop flag is polled every step (and every frame of propagation and fusion), after the
    # step's update and before its report: True once two steps are reported ends the fit with
    # the third.
    assert result.stopped and len(steps) == 3 and result.info["steps"] == 3
    known = (mask == 0).expand_as(video)
    assert torch.equal(result.restored[known], corrupted[known])
    assert result.info["options"]["pseudo_weight"] == 0.5
    assert 0.0 < result.info["mean_confidence"] <= 1.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"blend": "average"}, "blend must be one of"),
        ({"pseudo_weight": -1.0}, "pseudo_weight must be a number >= 0"),
        ({"radius": 3}, "unknown hybrid option"),
        ({"model": "unet"}, "unknown model"),
        ({"validation": False}, "needs validation holes"),
        ({"temporal_passes": -1}, "temporal_passes must be an integer >= 0"),
    ],
)
def test_bad_options_raise(options: dict, message: str) -> None:
    video, mask = panned_clip(frames=2)
    config = RestoreConfig(
        method="hybrid",
        model=ModelOptions(size=0.05),
        fit=FitConfig(epochs=1),
        method_options=options,
    )
    with pytest.raises(ValueError, match=message):
        restore(video * (1 - mask), mask, config, task="inpaint")


def test_hybrid_beats_propagation_and_telea_on_real_frames(blackswan_small: torch.Tensor) -> None:
    clean = blackswan_small
    mask = center_mask(clean.shape[0], 72, 128)
    corrupted = clean * (1 - mask)
    result = hybrid_inpaint(
        corrupted, mask, FitConfig(epochs=40, batch_size=2, lr=3e-3), model=ModelOptions(size=0.05)
    )
    hybrid_score = psnr_in_holes(result.restored, clean, mask)
    propagation_score = psnr_in_holes(flow_guided_with_info(corrupted, mask)[0], clean, mask)
    telea_score = psnr_in_holes(telea(corrupted, mask), clean, mask)
    assert hybrid_score > max(propagation_score, telea_score) + MARGIN_DB


def _telea_centre_fill(clean: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The centre box of a 128x72 clip: its mask, the corrupted clip and a Telea fill of it."""
    mask = center_mask(clean.shape[0], 72, 128)
    corrupted = clean * (1 - mask)
    return mask, corrupted, telea(corrupted, mask)


def test_fusing_the_holes_steadies_a_telea_fill_on_real_frames(
    blackswan_small: torch.Tensor,
) -> None:
    clean = blackswan_small
    mask, corrupted, filled = _telea_centre_fill(clean)  # frame by frame: it flickers in the hole
    fused, kept = fuse_holes(filled, mask, 3, frames=corrupted)
    assert kept == 3
    known = (mask == 0).expand_as(clean)
    assert torch.equal(fused[known], corrupted[known])
    # measured: hole E_warp 0.133e-3 -> 0.031e-3, hole PSNR 17.14 -> 17.14 dB
    assert warp_error(fused, mask=mask) < 0.35 * warp_error(filled, mask=mask)
    assert psnr_in_holes(fused, clean, mask) > psnr_in_holes(filled, clean, mask) - 0.05


def test_a_fusion_pass_is_kept_only_if_it_lowers_the_validation_error(
    blackswan_small: torch.Tensor,
) -> None:
    clean = blackswan_small
    mask, corrupted, filled = _telea_centre_fill(clean)
    held_out = validation_holes(mask)
    fit_mask = torch.maximum(mask, held_out)
    spatial = telea(corrupted, fit_mask)
    checked, kept = fuse_holes(
        filled, mask, 4, frames=corrupted, check=FusionCheck(spatial, fit_mask, held_out)
    )
    assert kept >= 1  # averaging Telea fills over time lowers their error on validation pixels
    assert not torch.equal(checked, filled)
    exact = torch.where(held_out > 0.5, clean, spatial)  # nothing left to gain there
    unchanged, kept = fuse_holes(
        filled, mask, 4, frames=corrupted, check=FusionCheck(exact, fit_mask, held_out)
    )
    assert kept == 0
    assert torch.equal(unchanged, filled)


def test_no_fusion_pass_starts_that_would_end_after_the_deadline(
    blackswan_small: torch.Tensor,
) -> None:
    clean = blackswan_small
    mask, corrupted, filled = _telea_centre_fill(clean)
    soon = Deadline.after(60.0)
    late, kept = fuse_holes(filled, mask, 3, frames=corrupted, deadline=soon, pass_seconds=120.0)
    assert kept == 0
    assert torch.equal(late, filled)
    _, kept = fuse_holes(filled, mask, 3, frames=corrupted, deadline=soon, pass_seconds=0.1)
    assert kept == 3


def test_mixing_in_the_holes_equals_the_whole_clip_expression() -> None:
    """``mix_in_holes`` gathers the hole pixels through flat indices (``channel_index``): the
    values are the whole-clip blend's, composited, bit for bit, and the known pixels are
    ``into``'s, also for a channels-last input."""
    from restore.methods.hybrid import channel_index, mix_in_holes

    generator = torch.Generator().manual_seed(3)
    first, second = torch.rand(4, 3, 9, 11, generator=generator), torch.rand(4, 3, 9, 11)
    mask = (torch.rand(4, 1, 9, 11, generator=generator) > 0.7).float()
    share = torch.rand(4, 1, 9, 11, generator=generator)
    holes = (mask > 0.5).expand_as(first)
    expected = torch.where(holes, (share * first + (1 - share) * second).clamp(0, 1), first)
    assert torch.equal(mix_in_holes(share, first, second, mask), expected)
    channels_last = first.contiguous(memory_format=torch.channels_last)
    assert torch.equal(mix_in_holes(share, channels_last, second, mask), expected)
    assert torch.equal(mix_in_holes(0.25, first, second, mask, into=second)[~holes], second[~holes])
    big, small = channel_index(mask > 0.5)
    assert torch.equal(first.take(big), first[holes])
    assert torch.equal(share.take(small), share.expand_as(first)[holes])


def test_under_a_deadline_a_fusion_pass_on_reused_fields_is_expected_to_be_cheap() -> None:
    """A pass on reused fields warps near the holes only; a pass with new fields costs about
    the propagations. The time kept for fusion follows (50 s of propagation here)."""
    from types import SimpleNamespace

    from restore.methods.hybrid import FUSION_PASS_SECONDS_PER_MEGAPIXEL, plan_time

    clip = SimpleNamespace(
        real=SimpleNamespace(frames=torch.zeros(10, 3, 100, 100)), propagation_seconds=50.0
    )
    deadline = Deadline.after(30.0)
    reused = plan_time(clip, HybridOptions(flow_reuse="fill"), deadline)
    assert reused.pass_seconds == pytest.approx(FUSION_PASS_SECONDS_PER_MEGAPIXEL * 0.1)
    assert reused.fit.at == pytest.approx(deadline.at - 4 * reused.pass_seconds)  # 4 passes kept
    fresh = plan_time(clip, HybridOptions(flow_reuse="none"), deadline)
    assert fresh.pass_seconds == 50.0 and fresh.fit.at == deadline.at  # no pass fits
