"""`restore eval track` scores: J, coverage and area ratio on masks with known overlaps."""

from __future__ import annotations

import pytest
import torch

from evaluation.tracking import TrackScore, format_table, mean_score, score_tracking


def _box(top: int, left: int, side: int, frames: int = 3) -> torch.Tensor:
    mask = torch.zeros(frames, 1, 20, 20)
    mask[:, :, top : top + side, left : left + side] = 1
    return mask


def test_scores_skip_the_annotated_frame_and_measure_overlap() -> None:
    truth = _box(5, 5, 4)  # 16 object pixels a frame
    tracked = _box(5, 7, 4)  # shifted by 2: IoU 8 / 24
    tracked[0] = 0  # the first frame is not scored
    removal = _box(4, 4, 6)  # 36 pixels, holds the whole object
    j, coverage, area = score_tracking(tracked, truth, removal)
    assert j == pytest.approx(100 * 8 / 24)
    assert coverage == pytest.approx(1.0)
    assert area == pytest.approx(36 / 16)
    j, coverage, _ = score_tracking(tracked, truth, _box(5, 7, 4))
    assert coverage == pytest.approx(0.5)


def test_mean_row_and_table() -> None:
    rows = [TrackScore("a", 10, 80.0, 1.0, 1.5, 0.1), TrackScore("b", 20, 60.0, 0.9, 2.5, 0.3)]
    mean = mean_score(rows)
    assert (mean.frames, mean.j, mean.coverage, mean.area_ratio) == (30, 70.0, 0.95, 2.0)
    table = format_table(rows + [mean])
    assert "| mean | 30 | 70.0 | 0.950 | 2.00 | 0.200 |" in table
