"""Each flow computed once: the completion's factor cache, the vectorised chains, the fields the
hybrid's fusion reuses, and fusion limited to the holes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from restore.errors import InputError
from restore.fit import FitConfig
from restore.methods import flow_propagation, temporal_fusion
from restore.methods.flow_cache import ClipFlows, Completion, CompletionCache
from restore.methods.flow_propagation import (
    compute_flows,
    follow_chains,
    laplace_fill,
    propagate,
)
from restore.methods.hybrid import HybridOptions, check_options, hybrid_inpaint
from restore.methods.temporal_fusion import fuse_temporal
from tests.restore.test_hybrid import panned_clip


def textured_clip(frames: int = 6, shift: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """``panned_clip`` with a hole that moves 3 px a frame against the texture."""
    video, mask = panned_clip(frames=frames, shift=shift)
    moving = torch.stack([torch.roll(mask[t], shifts=-3 * t, dims=-1) for t in range(frames)])
    return video, moving


def test_completion_is_harmonic_and_keeps_known_pixels() -> None:
    generator = np.random.default_rng(0)
    field = generator.normal(size=(20, 24, 2)).astype(np.float32)
    unknown = np.zeros((20, 24), dtype=bool)
    unknown[5:12, 0:9] = True  # touches the image border (Neumann there)
    filled = Completion(unknown).fill(field)
    assert np.array_equal(filled[~unknown], field[~unknown])
    padded = np.pad(filled, ((1, 1), (1, 1), (0, 0)), mode="edge")  # Neumann: mirror the edge
    neighbours = (padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]) / 4
    assert np.allclose(filled[unknown], neighbours[unknown], atol=1e-5)


def test_completion_edge_cases_and_laplace_fill_agree() -> None:
    field = np.ones((6, 6, 2), dtype=np.float32)
    assert np.array_equal(Completion(np.zeros((6, 6), bool)).fill(field), field)
    assert not Completion(np.ones((6, 6), bool)).fill(field).any()
    unknown = np.zeros((6, 6), dtype=bool)
    unknown[2:4, 2:4] = True
    ramp = np.dstack(np.meshgrid(np.arange(6.0), np.arange(6.0))).astype(np.float32)
    assert np.array_equal(laplace_fill(ramp, unknown), Completion(unknown).fill(ramp))


def test_a_static_mask_factorises_once_and_a_moving_one_once_per_frame_pair() -> None:
    video, static = panned_clip(frames=5)
    _, moving = textured_clip(frames=5)
    for mask, expected in ((static, 1), (moving, 4)):
        cache = CompletionCache()
        grown = mask[:, 0].numpy() > 0.5
        gray = np.zeros((5, 96, 128), dtype=np.uint8)
        forward, backward = compute_flows(gray)
        flow_propagation.complete_flows(forward, backward, grown, cache)
        assert cache.factorisations == expected


def test_kept_flows_equal_flows_recomputed_the_long_way() -> None:
    video, mask = textured_clip()
    kept = propagate(video * (1 - mask), mask, with_maps=True, keep_flows=True).flows
    # The long way: DIS on the Telea-prefilled frames, then one completion per field.
    frames_uint8 = (video * (1 - mask)).permute(0, 2, 3, 1).mul(255).round().byte().numpy()
    holes = mask[:, 0].numpy() > 0.5
    prefilled = np.stack(
        [
            cv2.inpaint(f, h.astype(np.uint8), 3, cv2.INPAINT_TELEA)
            for f, h in zip(frames_uint8, holes, strict=True)
        ]
    )
    gray = np.stack([cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in prefilled])
    forward, backward = compute_flows(gray)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    grown = np.stack([cv2.dilate(h.astype(np.uint8), kernel) > 0 for h in holes])
    for t in range(forward.shape[0]):
        unknown = grown[t] | grown[t + 1]
        assert np.array_equal(kept.forward[t], laplace_fill(forward[t], unknown))
        assert np.array_equal(kept.backward[t], laplace_fill(backward[t], unknown))


def _bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``image`` ``(H, W, C)`` sampled bilinearly at float32 positions inside it, in float32."""
    height, width = image.shape[:2]
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    x1, y1 = np.minimum(x0 + 1, width - 1), np.minimum(y0 + 1, height - 1)
    wx = (x - x0.astype(np.float32))[:, None]
    wy = (y - y0.astype(np.float32))[:, None]
    top = image[y0, x0] * (1 - wx) + image[y0, x1] * wx
    bottom = image[y1, x0] * (1 - wx) + image[y1, x1] * wx
    return top * (1 - wy) + bottom * wy


def _chains_one_frame_at_a_time(frames, levels, flows, start, step, max_distance):
    """The chain following as it was: one start frame at a time (the reference)."""
    count, height, width = levels.shape[:3]
    rows, cols = np.nonzero(levels[start, :, :, 0])
    values = np.zeros((rows.size, 3), dtype=np.float32)
    distances = np.zeros(rows.size, dtype=np.int64)
    active = np.arange(rows.size)
    x, y = cols.astype(np.float32), rows.astype(np.float32)
    current = start
    for distance in range(1, max_distance + 1):
        target = current + step
        if target < 0 or target >= count or active.size == 0:
            break
        field = flows[current] if step > 0 else flows[current - 1]
        motion = _bilinear(field, x, y)
        x, y = x + motion[:, 0], y + motion[:, 1]
        inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
        active, x, y = active[inside], x[inside], y[inside]
        level = _bilinear(levels[target], x, y)[:, 0]
        landed = level < flow_propagation.KNOWN_THRESHOLD
        values[active[landed]] = _bilinear(frames[target], x[landed], y[landed])
        distances[active[landed]] = distance
        active, x, y = active[~landed], x[~landed], y[~landed]
        current = target
    return values, distances


@pytest.mark.parametrize("step", [1, -1])
def test_vectorised_chains_are_bit_identical_to_one_frame_at_a_time(step: int) -> None:
    video, mask = textured_clip(frames=6)
    flows = propagate(video * (1 - mask), mask, keep_flows=True).flows
    frames = video.permute(0, 2, 3, 1).contiguous().numpy()
    levels = mask.permute(0, 2, 3, 1).contiguous().numpy()
    field = flows.forward if step > 0 else flows.backward
    where = np.nonzero(levels[..., 0] > 0.5)
    together = follow_chains(frames, levels, where, field, step, 5)
    assert (together.distances > 0).mean() > 0.6  # the clip's last frames have no next one
    for start in range(6):
        values, distances = _chains_one_frame_at_a_time(frames, levels, field, start, step, 5)
        mine = where[0] == start
        assert np.array_equal(together.values[mine], values)
        assert np.array_equal(together.distances[mine], distances)


def test_bool_holes_land_the_chains_exactly_as_float_hole_levels_do() -> None:
    """Bool holes skip the weights where all four neighbours agree; nothing else changes."""
    video, mask = textured_clip(frames=6)
    flows = propagate(video * (1 - mask), mask, keep_flows=True).flows
    frames = video.permute(0, 2, 3, 1).contiguous().numpy()
    levels = mask.permute(0, 2, 3, 1).contiguous().numpy()
    where = np.nonzero(levels[..., 0] > 0.5)
    as_float = follow_chains(frames, levels, where, flows.forward, 1, 5, flows.backward)
    as_bool = follow_chains(frames, levels > 0.5, where, flows.forward, 1, 5, flows.backward)
    for name in ("values", "distances", "inconsistency"):
        assert np.array_equal(getattr(as_float, name), getattr(as_bool, name))
    assert (as_bool.distances > 0).any()


def test_fusion_inside_the_holes_is_bit_identical_with_or_without_where() -> None:
    video, mask = textured_clip(frames=5)
    whole = fuse_temporal(video, 1.0)
    boxed = fuse_temporal(video, 1.0, where=mask)
    holes = (mask > 0.5).expand_as(video)
    assert torch.equal(whole[holes], boxed[holes])
    assert torch.equal(boxed[~holes], video[~holes])


class _NoDis:
    """``cv2`` as ``temporal_fusion`` sees it, with DIS refusing to start."""

    def __getattr__(self, name: str):
        if name == "DISOpticalFlow_create":
            raise AssertionError("fusion computed a DIS field although flows were given")
        return getattr(cv2, name)


def test_fusion_with_given_flows_uses_them_and_computes_none(monkeypatch) -> None:
    video, mask = textured_clip(frames=5)
    flows = propagate(video * (1 - mask), mask, keep_flows=True).flows
    zero = ClipFlows(np.zeros_like(flows.forward), np.zeros_like(flows.backward))
    monkeypatch.setattr(temporal_fusion, "cv2", _NoDis())
    fused = fuse_temporal(video, 1.0, flows=zero, where=mask)
    # Zero flow and a large sigma: each hole pixel becomes about the mean of itself and the
    # same pixel in its neighbours (fb error 0, colour trust below 1 only where they differ).
    assert not torch.equal(fused, video)
    assert torch.allclose(fused[:, :, 0:4, 0:4], video[:, :, 0:4, 0:4])
    with pytest.raises(InputError, match="radius: expected 1 when flows are given"):
        fuse_temporal(video, 1.0, radius=2, flows=zero)


def test_the_hybrid_reuses_its_propagation_flows_in_fusion(monkeypatch) -> None:
    video, mask = textured_clip(frames=6)
    corrupted = video * (1 - mask)
    tiny = FitConfig(epochs=1, batch_size=2)
    options = HybridOptions(network="none", temporal_passes=2, flow_reuse="fusion")
    calls = {"propagation": 0}
    original = flow_propagation.compute_flows

    def counted(gray, clock=None):
        calls["propagation"] += 1
        return original(gray, clock)

    monkeypatch.setattr(flow_propagation, "compute_flows", counted)
    monkeypatch.setattr(temporal_fusion, "cv2", _NoDis())
    reused = hybrid_inpaint(corrupted, mask, tiny, options=options)
    assert calls["propagation"] == 2  # the real and the validation view, nothing after
    monkeypatch.undo()
    fresh = hybrid_inpaint(
        corrupted,
        mask,
        tiny,
        options=HybridOptions(network="none", temporal_passes=2, flow_reuse="none"),
    )
    holes = (mask > 0.5).expand_as(video)
    # Different flows inside the holes, the same known pixels.
    assert torch.equal(reused.restored[~holes], fresh.restored[~holes])
    error_reused = float(((reused.restored - video)[holes] ** 2).mean())
    error_fresh = float(((fresh.restored - video)[holes] ** 2).mean())
    assert error_reused < 1.5 * error_fresh


def test_flow_reuse_is_checked() -> None:
    with pytest.raises(InputError, match="flow_reuse must be one of fusion, fill, none, got 'all'"):
        check_options(HybridOptions(flow_reuse="all"))


def test_fusion_of_a_hole_larger_than_opencvs_map_limit_is_the_whole_frame_result() -> None:
    generator = torch.Generator().manual_seed(3)
    base = torch.nn.functional.interpolate(
        torch.rand(1, 3, 25, 25, generator=generator), size=(200, 200), mode="bilinear"
    )
    video = torch.cat([torch.roll(base, shifts=2 * t, dims=3) for t in range(3)])
    mask = torch.zeros(3, 1, 200, 200)
    mask[:, :, 5:195, 5:195] = 1.0  # 36100 pixels a frame: more rows than cv2.remap takes
    holes = (mask > 0.5).expand_as(video)
    assert torch.equal(
        fuse_temporal(video, 1.0)[holes], fuse_temporal(video, 1.0, where=mask)[holes]
    )


def test_flow_reuse_fill_computes_one_set_of_fields_per_view(monkeypatch) -> None:
    video, mask = textured_clip(frames=6)
    corrupted = video * (1 - mask)
    calls = []
    original = temporal_fusion.clip_flows

    def counted(fill, clock=None):
        calls.append(fill.shape)
        return original(fill, clock)

    monkeypatch.setattr(temporal_fusion, "clip_flows", counted)
    import restore.methods.hybrid as hybrid_module

    monkeypatch.setattr(hybrid_module, "clip_flows", counted)
    options = HybridOptions(network="none", temporal_passes=3)
    assert options.flow_reuse == "fill"  # the default
    hybrid_inpaint(corrupted, mask, FitConfig(epochs=1, batch_size=2), options=options)
    assert len(calls) == 2  # the real view's fill and the validation view's, for all passes
