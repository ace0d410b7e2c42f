"""Image-quality metrics for restored videos: PSNR, SSIM, MS-SSIM, in and outside the holes.

Every function takes videos as float tensors `(T, 3, H, W)`, RGB, values in [0, 1] (peak 1.0), and
masks as `(T, 1, H, W)` with 1 = hole (missing/corrupted) and 0 = known, the layout of
ARCHITECTURE.md. Scores over a whole video pool all pixels of all frames (one MSE, then one PSNR),
which is what the HNeRV inpainting tables report, rather than averaging per-frame PSNRs.

SSIM and MS-SSIM come from `pytorch_msssim` (Gaussian window 11, sigma 1.5, K = (0.01, 0.03)),
always called with `data_range=1.0`: its default of 255 would make the stabilising constants
~65000 times too large for [0, 1] frames and push every score towards 1.

`summarize` gathers the scores one evaluation record stores, as a JSON-serialisable flat dict.
"""

from __future__ import annotations

import functools
import math

import pytorch_msssim
import torch
import torch.nn.functional as F

from masks.checks import check_mask, check_same_shape, check_video
from restore.errors import InputError

SSIM_WINDOW_SIZE = 11
SSIM_WINDOW_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03

# pytorch_msssim.ms_ssim asserts min(H, W) > (win_size - 1) * 2**4 for its 5 scales (4 halvings).
MS_SSIM_MIN_SIDE_EXCLUSIVE = (SSIM_WINDOW_SIZE - 1) * 2**4

# Frames per pytorch_msssim call: bounds memory on full-resolution DAVIS (480x854) videos.
_SSIM_CHUNK_FRAMES = 8


# --- boundary checks -----------------------------------------------------------------------------


def _check_pair(
    prediction: object, target: object, names: tuple[str, str] = ("prediction", "target")
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two videos `(T, 3, H, W)` of one shape (the project's check family; values unchecked)."""
    check_video(prediction, names[0], values=False)
    check_video(target, names[1], values=False)
    check_same_shape(prediction, target, names)
    return prediction, target


def _check_mask(mask: object, video: torch.Tensor) -> torch.Tensor:
    """A mask `(T, 1, H, W)` matching `video`, as float."""
    return check_mask(mask, video, values=False).float()


def _check_ssim_size(video: torch.Tensor) -> None:
    """Checks that frames are at least as large as the SSIM window on both sides."""
    h, w = video.shape[-2:]
    if min(h, w) < SSIM_WINDOW_SIZE:
        raise InputError(
            f"SSIM needs frames of at least {SSIM_WINDOW_SIZE}x{SSIM_WINDOW_SIZE} (its Gaussian "
            f"window), got {h}x{w}"
        )


def _checked(*, ssim_size: bool = False, mask: bool = False, names=("prediction", "target")):
    """Checks a metric's videos (and mask) once, at the public boundary; the undecorated function
    stays reachable as ``.unchecked`` for callers that checked already (``summarize``)."""

    def decorate(function):
        @functools.wraps(function)
        def checked(prediction, target, *args, **kwargs):
            prediction, target = _check_pair(prediction, target, names)
            if ssim_size:
                _check_ssim_size(target)
            if mask:
                if args:
                    args = (_check_mask(args[0], target), *args[1:])
                else:
                    kwargs["mask"] = _check_mask(kwargs["mask"], target)
            return function(prediction, target, *args, **kwargs)

        checked.unchecked = function
        return checked

    return decorate


def _hole_selection(mask: torch.Tensor) -> torch.Tensor:
    """Hole pixels, `(T, 1, H, W)` bool: mask > 0.5."""
    return mask > 0.5


def _known_selection(mask: torch.Tensor) -> torch.Tensor:
    """Known pixels, `(T, 1, H, W)` bool: mask == 0 (soft values in (0, 0.5] are in neither set)."""
    return mask == 0


def _require_pixels(selection: torch.Tensor, what: str) -> None:
    """Raises ValueError if `selection` `(T, 1, H, W)` selects no pixel."""
    if not bool(selection.any()):
        raise InputError(
            f"mask must select at least one {what} pixel, got none in {tuple(selection.shape)}"
        )


# --- squared errors and PSNR ---------------------------------------------------------------------


def _squared_error_per_frame(
    prediction: torch.Tensor, target: torch.Tensor, selection: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sums of squared errors and counts of values per frame, in float64.

    One frame at a time, so that the float64 copies stay small on full-resolution videos.

    Args:
        prediction: Video `(T, 3, H, W)`.
        target: Video `(T, 3, H, W)`.
        selection: Optional bool `(T, 1, H, W)`; only selected pixels (all 3 channels) count.

    Returns:
        `(sums, counts)`, both float64 `(T,)`; counts are numbers of values (pixels x 3).
    """
    sums, counts = [], []
    for index in range(prediction.shape[0]):
        difference = prediction[index].detach().double() - target[index].detach().double()
        squared = difference.square()
        if selection is None:
            sums.append(squared.sum())
            counts.append(torch.tensor(float(squared.numel()), dtype=torch.float64))
        else:
            chosen = selection[index].to(squared.device)
            sums.append((squared * chosen).sum())
            counts.append(chosen.sum().double() * squared.shape[0])
    return torch.stack(sums).cpu(), torch.stack(counts).cpu()


def psnr_from_mse(mse_value: float, max_psnr: float = 100.0) -> float:
    """PSNR in dB for peak 1.0, capped at `max_psnr` (so MSE 0 gives `max_psnr`, not inf)."""
    if mse_value <= 0.0:
        return float(max_psnr)
    return min(10.0 * math.log10(1.0 / mse_value), float(max_psnr))


@_checked(names=("a", "b"))
def mse(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean squared error over all values of all frames.

    Args:
        a: Video `(T, 3, H, W)`, float.
        b: Video `(T, 3, H, W)`, same shape as `a`.

    Returns:
        The MSE, computed in float64.

    Raises:
        ValueError: If either is not a float `(T, 3, H, W)` tensor or the shapes differ.
    """
    sums, counts = _squared_error_per_frame(a, b)
    return float(sums.sum() / counts.sum())


@_checked()
def psnr(prediction: torch.Tensor, target: torch.Tensor, *, max_psnr: float = 100.0) -> float:
    """PSNR of a whole video: `10 log10(1 / MSE)` with the MSE over all pixels of all frames.

    Identical inputs (MSE 0) give exactly `max_psnr`; any larger value is capped to it too, so the
    result is always finite.

    Args:
        prediction: Restored video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].
        max_psnr: Cap in dB.

    Returns:
        PSNR in dB (peak 1.0).

    Raises:
        ValueError: If the inputs are not float `(T, 3, H, W)` tensors of the same shape.
    """
    sums, counts = _squared_error_per_frame(prediction, target)
    return psnr_from_mse(float(sums.sum() / counts.sum()), max_psnr)


@_checked()
def psnr_per_frame(
    prediction: torch.Tensor, target: torch.Tensor, *, max_psnr: float = 100.0
) -> torch.Tensor:
    """PSNR of each frame (peak 1.0), each capped at `max_psnr` (identical frames give `max_psnr`).

    Args:
        prediction: Restored video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].
        max_psnr: Cap in dB.

    Returns:
        float64 tensor `(T,)` of PSNRs in dB.

    Raises:
        ValueError: If the inputs are not float `(T, 3, H, W)` tensors of the same shape.
    """
    sums, counts = _squared_error_per_frame(prediction, target)
    values = [
        psnr_from_mse(float(s / c), max_psnr)
        for s, c in zip(sums.tolist(), counts.tolist(), strict=True)
    ]
    return torch.tensor(values, dtype=torch.float64)


def _masked_psnr(
    prediction: torch.Tensor, target: torch.Tensor, selection: torch.Tensor, max_psnr: float
) -> float:
    """PSNR from the MSE pooled over the selected pixels `(T, 1, H, W)` of all frames."""
    sums, counts = _squared_error_per_frame(prediction, target, selection)
    return psnr_from_mse(float(sums.sum() / counts.sum()), max_psnr)


@_checked(mask=True)
def psnr_in_holes(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *, max_psnr: float = 100.0
) -> float:
    """PSNR over the hole pixels only: one MSE over all pixels with mask > 0.5 (3 channels each),
    pooled over all frames.

    Args:
        prediction: Restored video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].
        mask: `(T, 1, H, W)`, 1 = hole, 0 = known.
        max_psnr: Cap in dB (reached when the holes are restored exactly).

    Returns:
        PSNR in dB (peak 1.0).

    Raises:
        ValueError: If shapes mismatch or the mask has no pixel > 0.5.
    """
    selection = _hole_selection(mask)
    _require_pixels(selection, "hole (> 0.5)")
    return _masked_psnr(prediction, target, selection, max_psnr)


@_checked(mask=True)
def psnr_outside_holes(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *, max_psnr: float = 100.0
) -> float:
    """PSNR over the known pixels only: one MSE over all pixels with mask == 0, all frames.

    Args:
        prediction: Restored video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].
        mask: `(T, 1, H, W)`, 1 = hole, 0 = known.
        max_psnr: Cap in dB (reached when known pixels pass through unchanged, as after
            compositing).

    Returns:
        PSNR in dB (peak 1.0).

    Raises:
        ValueError: If shapes mismatch or the mask has no pixel == 0.
    """
    selection = _known_selection(mask)
    _require_pixels(selection, "known (== 0)")
    return _masked_psnr(prediction, target, selection, max_psnr)


@_checked(mask=True)
def psnr_in_holes_per_frame(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, *, max_psnr: float = 100.0
) -> list[float | None]:
    """Hole PSNR of each frame (pixels with mask > 0.5); None for a frame without holes.

    Args:
        prediction: Restored video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].
        mask: `(T, 1, H, W)`, 1 = hole, 0 = known.
        max_psnr: Cap in dB.

    Returns:
        `T` values in dB, None where the frame has no hole pixel.

    Raises:
        ValueError: If shapes mismatch.
    """
    selection = _hole_selection(mask)
    sums, counts = _squared_error_per_frame(prediction, target, selection)
    return [
        psnr_from_mse(float(s / c), max_psnr) if c > 0 else None
        for s, c in zip(sums.tolist(), counts.tolist(), strict=True)
    ]


# --- SSIM ----------------------------------------------------------------------------------------


def _ssim_values_per_frame(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """pytorch_msssim SSIM of each frame (mean over channels), data_range 1.0; `(T,)` float64."""
    return _per_frame_in_chunks(pytorch_msssim.ssim, prediction, target)


def _per_frame_in_chunks(function, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``function`` (pytorch_msssim's ssim or ms_ssim) per frame, a few frames at a time to bound
    memory, with data_range 1.0 and this module's window; ``(T,)`` float64 on the CPU."""
    values = []
    for start in range(0, prediction.shape[0], _SSIM_CHUNK_FRAMES):
        chunk = slice(start, start + _SSIM_CHUNK_FRAMES)
        values.append(
            function(
                prediction[chunk].detach().float(),
                target[chunk].detach().float(),
                data_range=1.0,
                size_average=False,
                win_size=SSIM_WINDOW_SIZE,
                win_sigma=SSIM_WINDOW_SIGMA,
                K=(SSIM_K1, SSIM_K2),
            )
        )
    return torch.cat(values).double().cpu()


@_checked(ssim_size=True)
def ssim(prediction: torch.Tensor, target: torch.Tensor) -> float:
    """Mean SSIM over frames (pytorch_msssim: Gaussian window 11, sigma 1.5, data_range 1.0).

    pytorch_msssim pads nothing ('valid' filtering), so a border of 5 pixels only enters through
    the windows of pixels further in.

    Args:
        prediction: Restored video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].

    Returns:
        SSIM in [-1, 1]; 1 for identical inputs.

    Raises:
        ValueError: If shapes mismatch or frames are smaller than 11x11.
    """
    return float(_ssim_values_per_frame(prediction, target).mean())


@_checked(ssim_size=True)
def ssim_per_frame(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SSIM of each frame, as in `ssim`.

    Args:
        prediction: Restored video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].

    Returns:
        float64 tensor `(T,)`.

    Raises:
        ValueError: If shapes mismatch or frames are smaller than 11x11.
    """
    return _ssim_values_per_frame(prediction, target)


@_checked()
def ms_ssim(prediction: torch.Tensor, target: torch.Tensor) -> float | None:
    """Mean MS-SSIM over frames (pytorch_msssim, 5 scales, window 11, data_range 1.0), or None.

    MS-SSIM filters with the 11-pixel window at 5 scales, halving the frame 4 times, so
    pytorch_msssim requires min(H, W) > (11 - 1) * 2**4 = 160. Smaller frames (for example DAVIS
    downscaled to 120x216) return None rather than a score computed on a different definition.

    Args:
        prediction: Restored video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].

    Returns:
        MS-SSIM in [0, 1], or None when min(H, W) <= 160.

    Raises:
        ValueError: If shapes mismatch.
    """
    if min(target.shape[-2:]) <= MS_SSIM_MIN_SIDE_EXCLUSIVE:
        return None
    return float(_per_frame_in_chunks(pytorch_msssim.ms_ssim, prediction, target).mean())


def _gaussian_window(size: int, sigma: float) -> torch.Tensor:
    """Normalised 1-D Gaussian `(size,)`, the same as pytorch_msssim's window."""
    coords = torch.arange(size, dtype=torch.float32) - size // 2
    window = torch.exp(-(coords**2) / (2 * sigma**2))
    return window / window.sum()


def _blur_same(images: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur of `(N, C, H, W)` with reflect padding ('same' output size)."""
    radius = window.numel() // 2
    channels = images.shape[1]
    padded = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    horizontal = window.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    vertical = window.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    blurred = F.conv2d(padded, horizontal, groups=channels)
    return F.conv2d(blurred, vertical, groups=channels)


def _ssim_map(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-pixel SSIM `(N, C, H, W)`, pytorch_msssim's formula with 'same' (reflect) padding.

    Away from a 5-pixel border the map equals pytorch_msssim's 'valid' map exactly.
    """
    window = _gaussian_window(SSIM_WINDOW_SIZE, SSIM_WINDOW_SIGMA).to(target.device)
    c1, c2 = SSIM_K1**2, SSIM_K2**2  # (K * data_range)^2 with data_range = 1
    mu1, mu2 = _blur_same(prediction, window), _blur_same(target, window)
    sigma1_sq = _blur_same(prediction * prediction, window) - mu1.square()
    sigma2_sq = _blur_same(target * target, window) - mu2.square()
    sigma12 = _blur_same(prediction * target, window) - mu1 * mu2
    contrast_structure = (2 * sigma12 + c2) / (sigma1_sq + sigma2_sq + c2)
    luminance = (2 * mu1 * mu2 + c1) / (mu1.square() + mu2.square() + c1)
    return luminance * contrast_structure


def _hole_crop(holes: torch.Tensor, margin: int) -> tuple[slice | None, slice | None]:
    """Bounding box of the True pixels of `holes` `(H, W)`, grown by `margin` and clipped.

    Returns `(None, None)` when there is no True pixel. The SSIM map at a hole pixel depends only
    on pixels within the window radius, and the crop reaches the frame border only where the frame
    does, so the map over the crop equals the full-frame map at the hole pixels.
    """
    rows = torch.nonzero(holes.any(dim=1)).flatten()
    cols = torch.nonzero(holes.any(dim=0)).flatten()
    if rows.numel() == 0:
        return None, None
    height, width = holes.shape
    return (
        slice(max(int(rows[0]) - margin, 0), min(int(rows[-1]) + margin + 1, height)),
        slice(max(int(cols[0]) - margin, 0), min(int(cols[-1]) + margin + 1, width)),
    )


@_checked(ssim_size=True, mask=True)
def ssim_in_holes(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> float:
    """Mean of the SSIM map over the hole pixels (mask > 0.5) of all frames.

    Definition: the per-pixel SSIM map of pytorch_msssim (Gaussian window 11, sigma 1.5,
    K = (0.01, 0.03), data_range 1.0), computed with reflect padding so it has one value per pixel
    and channel, then averaged over every channel of every hole pixel, pooled over all frames.
    Each value compares an 11x11 neighbourhood, so known pixels within 5 pixels of a hole
    contribute to it (a hole's boundary is scored with its context); pixels further away do not,
    which is why only each frame's hole bounding box (plus 5 pixels) is filtered.

    Args:
        prediction: Restored video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].
        mask: `(T, 1, H, W)`, 1 = hole, 0 = known.

    Returns:
        SSIM in [-1, 1]; 1 when the inputs are identical.

    Raises:
        ValueError: If shapes mismatch, frames are smaller than 11x11, or the mask has no pixel
            > 0.5.
    """
    selection = _hole_selection(mask)
    _require_pixels(selection, "hole (> 0.5)")
    total, count = 0.0, 0
    for index in range(target.shape[0]):
        rows, cols = _hole_crop(selection[index, 0], SSIM_WINDOW_SIZE // 2)
        if rows is None:
            continue
        ssim_map = _ssim_map(
            prediction[index : index + 1, :, rows, cols].detach().float(),
            target[index : index + 1, :, rows, cols].detach().float(),
        )
        chosen = selection[index : index + 1, :, rows, cols].to(ssim_map.device)
        total += float(ssim_map[chosen.expand_as(ssim_map)].double().sum())
        count += int(chosen.sum()) * ssim_map.shape[1]
    return float(total / count)


# --- record summary ------------------------------------------------------------------------------


def _json_float(value: float | None) -> float | None:
    """A plain Python float, or None for None, inf and nan (JSON has no inf/nan)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def summarize(
    prediction: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor | None = None,
    raw: torch.Tensor | None = None,
) -> dict[str, float | None | list[float | None]]:
    """All scores of one restored video, as a flat JSON-serialisable dict.

    Keys:
        - `psnr`, `ssim`, `ms_ssim` (None when min(H, W) <= 160): `prediction` vs `target`.
        - `psnr_per_frame`: list of `T` floats.
        - With `mask`: `psnr_holes`, `ssim_holes` (None if the mask has no hole),
          `psnr_known` (None if it has no known pixel), and `psnr_holes_per_frame`
          (`T` entries, None for frames without holes).
        - With `raw` (the network output before compositing): `psnr_raw`, `ssim_raw`, `raw` vs
          `target`.

    PSNRs are capped at 100 dB (see `psnr`); every number is a Python float, and None stands in
    for anything undefined or non-finite.

    Args:
        prediction: Restored (composited) video `(T, 3, H, W)` in [0, 1].
        target: Ground-truth video `(T, 3, H, W)` in [0, 1].
        mask: Optional `(T, 1, H, W)`, 1 = hole, 0 = known.
        raw: Optional uncomposited network output `(T, 3, H, W)`.

    Returns:
        The dict described above.

    Raises:
        ValueError: If shapes mismatch or frames are smaller than 11x11.
    """
    prediction, target = _check_pair(prediction, target)
    _check_ssim_size(target)
    if mask is not None:
        mask = _check_mask(mask, target)
    if raw is not None:
        raw, target = _check_pair(raw, target, names=("raw", "target"))
    return _summary(prediction, target, mask, raw)


def _summary(
    prediction: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor | None = None,
    raw: torch.Tensor | None = None,
) -> dict[str, float | None | list[float | None]]:
    """``summarize`` without its checks (``summarize.unchecked``), for inputs checked already."""
    summary: dict[str, float | None | list[float | None]] = {
        "psnr": _json_float(psnr.unchecked(prediction, target)),
        "ssim": _json_float(ssim.unchecked(prediction, target)),
        "ms_ssim": _json_float(ms_ssim.unchecked(prediction, target)),
        "psnr_per_frame": [
            _json_float(v) for v in psnr_per_frame.unchecked(prediction, target).tolist()
        ],
    }
    if mask is not None:
        mask = mask.float()
        has_holes = bool(_hole_selection(mask).any())
        has_known = bool(_known_selection(mask).any())
        summary["psnr_holes"] = (
            _json_float(psnr_in_holes.unchecked(prediction, target, mask)) if has_holes else None
        )
        summary["ssim_holes"] = (
            _json_float(ssim_in_holes.unchecked(prediction, target, mask)) if has_holes else None
        )
        summary["psnr_known"] = (
            _json_float(psnr_outside_holes.unchecked(prediction, target, mask))
            if has_known
            else None
        )
        summary["psnr_holes_per_frame"] = [
            _json_float(v) for v in psnr_in_holes_per_frame.unchecked(prediction, target, mask)
        ]
    if raw is not None:
        summary["psnr_raw"] = _json_float(psnr.unchecked(raw, target))
        summary["ssim_raw"] = _json_float(ssim.unchecked(raw, target))
    return summary


summarize.unchecked = _summary
