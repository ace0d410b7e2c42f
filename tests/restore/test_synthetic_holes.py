"""Synthetic-hole supervision (IIVI) in the hybrid's fit: holes land on known pixels only, and
no real-hole or validation pixel ever reaches the loss."""

from __future__ import annotations

import torch

from restore.config import ModelOptions
from restore.fit import FitConfig
from restore.methods.hybrid import HybridOptions, SyntheticHoles, hybrid_inpaint, validation_holes
from tests.restore.test_hybrid import panned_clip


def test_synthetic_holes_cut_known_pixels_only() -> None:
    _, mask = panned_clip(frames=4)
    fit_mask = torch.maximum(mask, validation_holes(mask))
    cutter = SyntheticHoles(fit_mask, seed=0)
    # The model's input is padded beyond the clip (96x128 -> 100x130 here).
    indices = torch.tensor([0, 3, 1])
    for _ in range(20):
        holes = cutter.holes(indices, 100, 130)
        assert holes.shape == (3, 1, 100, 130)
        assert not bool((holes[..., :96, :128] & (fit_mask[indices] > 0.5)).any())
        assert not bool(holes[..., 96:, :].any()) and not bool(holes[..., :, 128:].any())
    cut = sum(int(cutter.holes(indices, 100, 130).sum()) for _ in range(20))
    assert cut > 0  # the shapes do land on the frame


def test_synthetic_holes_change_the_input_where_cut_and_nowhere_else() -> None:
    video, mask = panned_clip(frames=4)
    cutter = SyntheticHoles(mask, seed=1)
    indices = torch.tensor([2])
    torch.manual_seed(0)
    corrupted = cutter(video[indices], indices)
    changed = (corrupted != video[indices]).any(dim=1, keepdim=True)
    assert bool(changed.any())
    assert not bool((changed & (mask[indices] > 0.5)).any())


def test_no_real_or_validation_pixel_enters_the_loss(monkeypatch) -> None:
    """The cut holes change only the encoder's input: the targets and loss weights the fit gets
    are the same with and without them (validation pixels keep their propagated pseudo-targets,
    never their truth), and the holes never land on a real or validation hole (test above)."""
    import restore.methods.neural as neural

    video, mask = panned_clip(frames=4)
    handed: dict[bool, tuple[torch.Tensor, object]] = {}
    original_fit = neural.fit_representation

    for synthetic in (False, True):

        def fit_spy(*args, input_holes=None, _synthetic=synthetic, **kwargs):
            handed[_synthetic] = (torch.cat([args[1], args[2]], dim=1).clone(), input_holes)
            return original_fit(*args, input_holes=input_holes, **kwargs)

        monkeypatch.setattr(neural, "fit_representation", fit_spy)
        result = hybrid_inpaint(
            video * (1 - mask),
            mask,
            FitConfig(epochs=1, batch_size=1),
            model=ModelOptions(size=0.05),
            options=HybridOptions(synthetic_holes=synthetic, temporal_passes=0),
        )
        known = (mask == 0).expand_as(video)
        assert torch.equal(result.restored[known], video[known])
    assert handed[False][1] is None and isinstance(handed[True][1], SyntheticHoles)
    assert torch.equal(handed[False][0], handed[True][0])
