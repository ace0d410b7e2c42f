"""Compositing keeps every known pixel bit-exactly."""

from __future__ import annotations

import pytest
import torch

from restore.composite import composite


def test_known_pixels_pass_through_exactly() -> None:
    generator = torch.Generator().manual_seed(0)
    corrupted = torch.rand(3, 3, 17, 23, generator=generator)
    prediction = torch.rand(3, 3, 17, 23, generator=generator)
    mask = (torch.rand(3, 1, 17, 23, generator=generator) > 0.7).float()
    output = composite(prediction, corrupted, mask)
    known = (mask == 0).expand_as(corrupted)
    assert torch.equal(output[known], corrupted[known])
    assert torch.equal(output[~known], prediction[~known])


def test_shape_errors_name_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3, 4, 4\).*\(2, 3, 4, 5\)"):
        composite(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 5), torch.zeros(2, 1, 4, 5))
    with pytest.raises(ValueError, match=r"mask: expected 2 frames \(the video.s\), got 1"):
        composite(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 4), torch.zeros(1, 1, 4, 4))
