"""Tests for masks.user and masks.morphology: user mask formats, options, dilation and errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from masks.user import MaskWarning, dilate_mask, load_mask, validate_mask


def moving_box_frames(count: int, height: int = 48, width: int = 64) -> np.ndarray:
    """uint8 `(count, H, W)`: a 10x12 box of 255 on 0, moving 4 px right per frame."""
    frames = np.zeros((count, height, width), np.uint8)
    for t in range(count):
        frames[t, 10:20, 4 + 4 * t : 16 + 4 * t] = 255
    return frames


def write_folder(folder, frames, names=None):
    folder.mkdir()
    for t, frame in enumerate(frames):
        cv2.imwrite(str(folder / (names[t] if names else f"{t:05d}.png")), frame)
    return folder


def test_folder_of_pngs_one_per_frame(tmp_path):
    frames = moving_box_frames(5)
    folder = write_folder(tmp_path / "masks", frames)
    mask = load_mask(folder, 5, 48, 64)
    assert mask.shape == (5, 1, 48, 64)
    assert mask.dtype == torch.float32
    assert torch.equal(mask[:, 0], torch.from_numpy(frames > 127).float())


def test_folder_is_matched_in_natural_order(tmp_path):
    frames = moving_box_frames(11)
    names = [f"frame{t + 1}.png" for t in range(11)]  # frame10.png sorts after frame9.png
    folder = write_folder(tmp_path / "masks", frames, names)
    mask = load_mask(folder, 11, 48, 64)
    assert torch.equal(mask[:, 0], torch.from_numpy(frames > 127).float())


def test_folder_of_jpegs(tmp_path):
    frames = moving_box_frames(3)
    folder = write_folder(tmp_path / "masks", frames, [f"{t}.jpg" for t in range(3)])
    mask = load_mask(folder, 3, 48, 64)
    assert torch.equal(mask[:, 0], torch.from_numpy(frames > 127).float())


def test_single_image_applies_to_every_frame(tmp_path):
    image = moving_box_frames(1)[0]
    path = tmp_path / "logo.png"
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))  # color file, read as gray
    mask = load_mask(path, 7, 48, 64)
    assert mask.shape == (7, 1, 48, 64)
    assert all(torch.equal(mask[t, 0], torch.from_numpy(image > 127).float()) for t in range(7))


def test_sixteen_bit_image(tmp_path):
    image = np.zeros((48, 64), np.uint16)
    image[5:9, 5:9] = 65535
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), image)
    assert load_mask(path, 1, 48, 64).sum().item() == 16


def test_mask_video_is_thresholded_despite_compression(tmp_path):
    frames = moving_box_frames(6)
    path = tmp_path / "mask.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    assert writer.isOpened()
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    mask = load_mask(path, 6, 48, 64)
    assert mask.shape == (6, 1, 48, 64)
    expected = torch.from_numpy(frames > 127).float()[:, None]
    for t in range(6):
        overlap = (mask[t] * expected[t]).sum() / (mask[t] + expected[t]).clamp(max=1).sum()
        assert overlap.item() > 0.9, f"frame {t}: intersection over union {overlap.item():.2f}"


def test_threshold_and_invert(tmp_path):
    image = np.zeros((8, 8), np.uint8)
    image[0, :4] = 100  # 0.39
    image[1, :2] = 200  # 0.78
    path = tmp_path / "gray.png"
    cv2.imwrite(str(path), image)
    assert load_mask(path, 1, 8, 8).sum().item() == 2
    assert load_mask(path, 1, 8, 8, threshold=0.3).sum().item() == 6
    inverted = load_mask(path, 1, 8, 8, invert=True)
    assert inverted.sum().item() == 64 - 2
    assert inverted[0, 0, 1, 0].item() == 0.0


def test_dilation_grows_a_dot_to_a_square():
    mask = torch.zeros(2, 1, 21, 21)
    mask[0, 0, 10, 10] = 1.0
    grown = dilate_mask(mask, 3)
    expected = torch.zeros(21, 21)
    expected[7:14, 7:14] = 1.0
    assert torch.equal(grown[0, 0], expected)  # 7x7 = (2*3 + 1)^2
    assert grown[1].sum().item() == 0  # frames are dilated independently
    assert dilate_mask(mask, 0) is mask


def test_dilation_at_the_border_does_not_wrap():
    mask = torch.zeros(1, 1, 10, 10)
    mask[0, 0, 0, 9] = 1.0
    grown = dilate_mask(mask, 2)
    assert grown.sum().item() == 9
    assert torch.equal(grown[0, 0, :3, 7:], torch.ones(3, 3))


def test_load_mask_dilates(tmp_path):
    image = np.zeros((20, 20), np.uint8)
    image[10, 10] = 255
    path = tmp_path / "dot.png"
    cv2.imwrite(str(path), image)
    mask = load_mask(path, 2, 20, 20, dilate=2)
    assert mask[0].sum().item() == 25
    assert torch.equal(mask[0, 0, 8:13, 8:13], torch.ones(5, 5))


def test_dilate_rejects_negative_radius():
    with pytest.raises(ValueError, match="pixels: expected an integer >= 0, got -1"):
        dilate_mask(torch.zeros(1, 1, 4, 4), -1)


def test_frame_count_mismatch_says_both_numbers(tmp_path):
    folder = write_folder(tmp_path / "masks", moving_box_frames(4))
    with pytest.raises(ValueError, match=r"^mask: expected 5 frames \(the video.s\), got 4$"):
        load_mask(folder, 5, 48, 64)


def test_validate_mask_messages():
    with pytest.raises(ValueError, match=r"^mask: expected 50 frames \(the video.s\), got 40$"):
        validate_mask(torch.zeros(1, 1, 240, 432).expand(40, -1, -1, -1), 50, 240, 432)
    message = (
        r"^mask: expected the video's size 432x240, got 854x480 \(use --mask-resize to rescale\)$"
    )
    with pytest.raises(ValueError, match=message):
        validate_mask(torch.zeros(1, 1, 480, 854).expand(50, -1, -1, -1), 50, 240, 432)
    with pytest.raises(
        ValueError, match=r"mask: expected shape \(T, 1, H, W\), got \(5, 3, 8, 8\)"
    ):
        validate_mask(torch.zeros(5, 3, 8, 8), 5, 8, 8)


def test_size_mismatch_and_resize(tmp_path):
    image = np.zeros((48, 64), np.uint8)
    image[8:24, 16:48] = 255
    path = tmp_path / "big.png"
    cv2.imwrite(str(path), image)
    message = r"^mask: expected the video's size 32x24, got 64x48 \(use --mask-resize to rescale\)$"
    with pytest.raises(ValueError, match=message):
        load_mask(path, 3, 24, 32)
    mask = load_mask(path, 3, 24, 32, resize=True)
    expected = torch.zeros(24, 32)
    expected[4:12, 8:24] = 1.0
    assert mask.shape == (3, 1, 24, 32)
    assert torch.equal(mask[2, 0], expected)


def test_empty_mask_warns_and_is_returned(tmp_path):
    folder = write_folder(tmp_path / "masks", np.zeros((3, 8, 8), np.uint8))
    with pytest.warns(MaskWarning, match="mask is empty"):
        mask = load_mask(folder, 3, 8, 8)
    assert mask.shape == (3, 1, 8, 8)
    assert mask.sum().item() == 0


def test_full_mask_is_an_error(tmp_path):
    path = tmp_path / "white.png"
    cv2.imwrite(str(path), np.full((8, 8), 255, np.uint8))
    with pytest.raises(
        ValueError,
        match="^mask: expected at least one known pixel, got a mask covering every pixel",
    ):
        load_mask(path, 4, 8, 8)


def test_full_in_some_frames_only_is_allowed(tmp_path):
    frames = np.full((3, 8, 8), 255, np.uint8)
    frames[1, 0, 0] = 0
    folder = write_folder(tmp_path / "masks", frames)
    assert load_mask(folder, 3, 8, 8).sum().item() == 3 * 64 - 1


def test_missing_path_and_unsupported_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist") as error:
        load_mask(tmp_path / "nope.png", 1, 8, 8)
    assert isinstance(error.value, ValueError)
    text = tmp_path / "mask.txt"
    text.write_text("not a mask")
    with pytest.raises(ValueError, match="got suffix '.txt'"):
        load_mask(text, 1, 8, 8)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="expected image files .* found none"):
        load_mask(tmp_path / "empty", 1, 8, 8)


def test_folder_images_must_share_one_size(tmp_path):
    folder = tmp_path / "masks"
    folder.mkdir()
    cv2.imwrite(str(folder / "0.png"), np.zeros((8, 8), np.uint8))
    cv2.imwrite(str(folder / "1.png"), np.zeros((8, 9), np.uint8))
    with pytest.raises(ValueError, match="1.png is 8x9, 0.png is 8x8"):
        load_mask(folder, 2, 8, 8)


def test_bad_threshold(tmp_path):
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\), got 1.5"):
        load_mask(tmp_path, 1, 8, 8, threshold=1.5)
