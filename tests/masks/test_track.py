"""Mask tracking: a textured shape moving by a known shift is followed; the annotated frame's
mask is kept exactly; bad first masks are one-line errors; removal grows the mask."""

from __future__ import annotations

import pytest
import torch

from masks import InputError, corrupt, dilate_for_removal, track_mask
from masks.track import removal_margin


def _iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    a, b = a > 0.5, b > 0.5
    return (a & b).sum((1, 2, 3)).float() / (a | b).sum((1, 2, 3)).float()


def test_moving_shape_is_tracked_forward(textured_clip_maker) -> None:
    frames, truth = textured_clip_maker()
    tracked = track_mask(frames, truth[0])
    assert tracked.shape == truth.shape and tracked.dtype == torch.float32
    assert set(tracked.unique().tolist()) <= {0.0, 1.0}
    iou = _iou(tracked[1:], truth[1:])
    assert float(iou.mean()) >= 0.95, iou
    assert float(iou.min()) >= 0.9, iou


def test_tracks_backward_from_a_middle_frame_and_keeps_it_exactly(textured_clip_maker) -> None:
    frames, truth = textured_clip_maker()
    drawn = truth[6, 0].clone()
    drawn[30:34, 20:24] = 0  # a drawn mask with a notch: returned as given, not "corrected"
    seen = []
    tracked = track_mask(frames, drawn, frame_index=6, progress=lambda d, n: seen.append((d, n)))
    assert torch.equal(tracked[6, 0], drawn)
    others = [t for t in range(12) if t != 6]
    assert float(_iou(tracked[others], truth[others]).mean()) >= 0.95
    assert seen[-1] == (12, 12) and len(seen) == 12


def test_soft_first_mask_is_binarised_and_dilate_grows(textured_clip_maker) -> None:
    frames, truth = textured_clip_maker(num_frames=4)
    soft = truth[0, 0] * 0.7  # values 0.7 count as object
    tracked = track_mask(frames, soft, dilate=2)
    assert torch.equal(tracked[0, 0] > 0.5, dilate_for_removal(truth[:1], 2)[0, 0] > 0.5)


def test_should_stop_returns_none(textured_clip_maker) -> None:
    frames, truth = textured_clip_maker(num_frames=5)
    assert track_mask(frames, truth[0], should_stop=lambda: True) is None


@pytest.mark.parametrize(
    ("first", "index", "message"),
    [
        (torch.zeros(72, 112), 0, "first_mask: expected at least one object pixel"),
        (torch.ones(72, 112), 0, "first_mask: expected some background"),
        (torch.ones(40, 50), 0, "first_mask: expected the video's size 112x72, got 50x40"),
        (None, 12, "frame_index: expected a frame of the clip, 0..11, got 12"),
        (None, -1, "frame_index: expected a frame of the clip, 0..11, got -1"),
    ],
)
def test_bad_first_masks_are_one_line_errors(first, index, message, textured_clip_maker) -> None:
    frames, truth = textured_clip_maker()
    first = truth[0, 0] if first is None else first
    with pytest.raises(InputError) as caught:
        track_mask(frames, first, frame_index=index)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_removal_mask_covers_the_object_rim(textured_clip_maker) -> None:
    _, truth = textured_clip_maker(num_frames=3)
    margin = removal_margin(truth)
    grown = dilate_for_removal(truth)
    assert margin >= 5
    assert bool((grown >= truth).all())
    # The disc's leftmost pixel is column 16 (radius below 15): grown by exactly `margin`.
    assert int(grown[0, 0, 36, 16 - margin]) == 1
    assert int(grown[0, 0, 36, 16 - margin - 1]) == 0


def test_corrupt_tracks_a_user_mask(tmp_path, textured_clip_maker) -> None:
    import cv2

    frames, truth = textured_clip_maker()
    path = tmp_path / "first.png"
    cv2.imwrite(str(path), (truth[0, 0].numpy() * 255).astype("uint8"))
    made = corrupt(frames, mask=str(path), track=True)
    last = truth[-1:]
    assert float((made.mask[-1:] * last).sum() / last.sum()) > 0.99  # the moved disc is a hole
    assert "tracked" in made.description
    with pytest.raises(InputError, match="--track: expected a mask file or folder"):
        corrupt(frames, mask="boxes", track=True)


def test_corrupt_reports_tracking_and_stops_with_tracking_stopped(
    tmp_path, textured_clip_maker
) -> None:
    import cv2

    from masks import TrackingStopped

    frames, truth = textured_clip_maker()
    path = tmp_path / "first.png"
    cv2.imwrite(str(path), (truth[0, 0].numpy() * 255).astype("uint8"))
    done = []
    corrupt(frames, mask=str(path), track=True, on_tracked=lambda d, t: done.append((d, t)))
    assert done == [(index, 12) for index in range(1, 13)]
    polls = []
    with pytest.raises(TrackingStopped, match="stopped while following the object"):
        corrupt(frames, mask=str(path), track=True, should_stop=lambda: polls.append(1) or True)
    assert len(polls) == 1  # stopped before the second frame was tracked
