"""Propagate, then fit: flow-guided propagation where it is sure, a neural representation elsewhere.

Flow-guided propagation (``restore.methods.flow_propagation``, after FGVC, Gao et al. ECCV 2020)
is the best classical fill when what a hole hides is visible in other frames, and fails where a
foreground object crosses the hole or no frame shows it. A per-video network (HNeRV, Chen et al.
CVPR 2023, fitted with the masked loss of its eq. 2) fills such regions from what it learns about
the clip, but alone it is blurrier than propagation where propagation is right. The hybrid lets
the propagation's own per-pixel confidence (forward-backward consistency of the flow chain, chain
length, agreement of the forward and backward candidates: ``PropagationMaps``) decide, pixel by
pixel:

1. Propagate, keeping the maps.
2. Hold out validation holes: the real holes' shapes moved onto known pixels
   (``validation_holes``), and propagate again with them missing too.
3. Fit the network with a per-pixel loss weight: known pixels 1; propagated hole pixels are
   pseudo-targets weighted ``pseudo_weight * confidence`` (unsure chains are barely learnt);
   pixels propagation did not reach, and the validation pixels' truth, 0. The encoder sees the
   propagated video.
4. Calibrate: on the validation pixels, where the truth is known, measure per confidence bin
   the least-squares share of propagation in ``s * propagation + (1 - s) * network``
   (``calibrate_shares``). The confidence ranks pixels within a clip; the validation holes say
   what a given confidence is worth in this clip (a foreground crossing the hole can leave
   consistent but wrong chains, so the same confidence means less there).
5. In the holes: ``s * propagation + (1 - s) * network`` with the share of each pixel's bin
   (for unreached pixels, the share of the spatial fallback measured on unreached validation
   pixels). The network's output first gets its colour offset at the hole border removed
   (``seam_correct``). Known pixels are composited back bit-exactly.
6. A third candidate (``spatial_candidate``): the fill of step 5 is blended with a Telea fill of
   the whole hole, ``u * telea + (1 - u) * fill``, with ``u`` the least-squares share measured
   the same way on the validation holes. It pays where flow chains cross moving foreground (a
   consistent chain then lands on the wrong object); where propagation is exact, u is about 0.
7. Steady the holes (``fuse_holes``): flow-compensated temporal fusion
   (``restore.methods.temporal_fusion``) of the filled clip, hole pixels only, pass after pass
   while it lowers the error on the validation holes (at most ``temporal_passes``). A blend of
   three fills made frame by frame flickers where the shares or Telea change from one frame to
   the next; averaging each hole pixel with its flow-warped neighbours removes that.

``network="none"`` skips the fit and puts the Telea fill in the network's slot: the difference
between the two variants is what the network adds. A fitted network no better than Telea on the
validation holes, or cut short before one epoch, is left out the same way. The measurements
behind each step are in docs/hybrid.md.

Layout: video ``(T, 3, H, W)`` float32 RGB in [0, 1]; mask ``(T, 1, H, W)`` float32, 1 = missing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from masks.checks import boundary
from restore.composite import composite
from restore.config import ModelOptions, RestoreConfig
from restore.deadline import Deadline
from restore.device import pick_device
from restore.errors import InputError
from restore.fit import FitConfig, FitProgress
from restore.methods.base import MethodResult
from restore.methods.classical_inpaint import telea, telea_fill
from restore.methods.flow_cache import ClipFlows
from restore.methods.flow_propagation import PropagationMaps, laplace_fill, propagate
from restore.methods.neural import fit_and_decode
from restore.methods.spec import resolve_options
from restore.methods.temporal_fusion import clip_flows, fuse_temporal
from restore.models import list_models
from restore.progress import PhaseClock, PhaseStopped, stop_or_deadline, stopped_info

BLENDS = ("calibrated", "confidence", "choose", "propagation", "network")
"""How hole pixels are filled: ``calibrated``: ``s * propagation + (1 - s) * network`` with the
share ``s`` of the pixel's confidence bin measured on validation holes (``calibrate_shares``);
``confidence``: ``s = c``; ``choose``: propagation where ``c >= 0.5``, else the network;
``propagation``: propagation wherever it reached; ``network``: the network everywhere. Where
propagation did not reach, ``calibrated`` blends the spatial fallback (Telea) and the network
by the share measured on unreached validation pixels; the others take the network alone."""

CONFIDENCE_BINS = (0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0)
"""Edges of the confidence bins that get one calibrated share each (the last bin includes 1)."""

MIN_BIN_PIXELS = 200
"""Validation pixels a bin needs for its own share; sparser bins use the pooled share."""


@dataclass(frozen=True)
class HybridOptions:
    """The hybrid's own choices; the network's budget comes with the ``FitConfig``."""

    pseudo_weight: float = 1.0  # loss weight of a propagated hole pixel = this x its confidence
    confidence_weighting: bool = True  # False: pseudo_weight alone, confidence ignored (ablation)
    blend: str = "calibrated"  # one of BLENDS
    seam: bool = True  # harmonic correction of the network's colour offset at hole borders
    validation: bool = True  # hold out validation holes (needed by the calibrated blend)
    max_distance: int | None = None  # frames a flow chain may travel (None: the whole clip)
    fallback: str = "telea"  # encoder input where propagation did not reach: telea | navier_stokes
    # Blend the calibrated fill with a Telea fill of the whole hole by a share measured on the
    # validation holes (a third candidate where flow chains cross moving foreground)
    spatial_candidate: bool = True
    # Most passes of flow-compensated temporal fusion over the holes; a pass is kept only if it
    # lowers the error on the validation holes (without validation holes every pass is kept)
    temporal_passes: int = 4
    # "fit": fit the network (``model``) for the holes propagation leaves; "none": no fit, a
    # Telea fill takes the network's slot (the network's share is the difference between the two)
    network: str = "fit"
    # Synthetic-hole supervision (IIVI): each training step cuts holes of the real holes' shapes
    # into known pixels of the encoder's input; their loss uses the truth, so the network learns
    # to fill from context. Validation and real holes stay out of the loss as before.
    synthetic_holes: bool = False
    # Which flow fields temporal fusion warps with: "fusion" reuses each view's propagation
    # fields (completed inside the holes; no DIS field is computed after propagation); "fill"
    # computes DIS fields once on each view's blended fill and reuses them in every pass;
    # "none" computes new ones on the current fill at every pass. Measured (centre box, 9
    # sequences, docs/propagation-speed.md): the same hole PSNR all three; hole E_warp 1.8x
    # "none"'s with "fusion", 1.1x with "fill", which costs 2 DIS fields per view, not per pass
    flow_reuse: str = "fill"


NETWORKS = ("fit", "none")
FLOW_REUSE = ("fusion", "fill", "none")

HYBRID_OPTIONS: dict[str, Any] = {"model": "hnerv", **dataclasses.asdict(HybridOptions())}
"""What a ``hybrid:key=value`` spec may set: ``HybridOptions``' fields and the fitted ``model``."""


def check_options(options: HybridOptions) -> HybridOptions:
    """Validates ``options``; returns them. Raises ``InputError`` naming the bad field."""
    weight = options.pseudo_weight
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0:
        raise InputError(f"pseudo_weight must be a number >= 0, got {weight!r}")
    if options.blend not in BLENDS:
        raise InputError(f"blend must be one of {', '.join(BLENDS)}, got {options.blend!r}")
    if options.blend == "calibrated" and not options.validation:
        raise InputError("blend 'calibrated' needs validation holes (validation=true)")
    for name in (
        "confidence_weighting",
        "seam",
        "validation",
        "spatial_candidate",
        "synthetic_holes",
    ):
        if not isinstance(getattr(options, name), bool):
            raise InputError(f"{name} must be true or false, got {getattr(options, name)!r}")
    passes = options.temporal_passes
    if isinstance(passes, bool) or not isinstance(passes, int) or passes < 0:
        raise InputError(f"temporal_passes must be an integer >= 0, got {passes!r}")
    if options.network not in NETWORKS:
        raise InputError(f"network must be one of {', '.join(NETWORKS)}, got {options.network!r}")
    if options.flow_reuse not in FLOW_REUSE:
        raise InputError(
            f"flow_reuse must be one of {', '.join(FLOW_REUSE)}, got {options.flow_reuse!r}"
        )
    return options


def pseudo_target_weights(
    mask: torch.Tensor,
    maps: PropagationMaps,
    pseudo_weight: float,
    *,
    confidence_weighting: bool = True,
) -> torch.Tensor:
    """Per-pixel loss weights of the hybrid's fit.

    Args:
        mask: ``(T, 1, H, W)``, 1 = missing.
        maps: The propagation's maps (``flow_guided_with_maps``).
        pseudo_weight: Weight of a fully confident propagated pixel.
        confidence_weighting: Multiply by the confidence (False: ``pseudo_weight`` for every
            reached pixel).

    Returns:
        ``(T, 1, H, W)`` float32: 1 on known pixels, ``pseudo_weight * confidence`` on reached
        hole pixels, 0 on hole pixels propagation did not reach.
    """
    trust = maps.confidence if confidence_weighting else maps.reached
    holes = mask > 0.5
    return torch.where(holes, pseudo_weight * trust * maps.reached, torch.ones_like(mask))


def seam_correct(network: torch.Tensor, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Removes the network's colour offset at hole borders (Poisson-style seam blending).

    The residual ``frames - network`` on the known pixels bordering each hole is interpolated
    harmonically into the hole and added to the network's output there (the membrane
    interpolation of P. Pérez, M. Gangnet, A. Blake, "Poisson Image Editing", SIGGRAPH 2003,
    eq. 9 with a zero guidance field).

    Args:
        network: ``(T, 3, H, W)`` network output.
        frames: ``(T, 3, H, W)`` corrupted video (known pixels are used).
        mask: ``(T, 1, H, W)``, 1 = missing.

    Returns:
        ``(T, 3, H, W)`` corrected network output in [0, 1] (unchanged outside holes).
    """
    holes = (mask[:, 0] > 0.5).numpy()
    residual = (frames - network).permute(0, 2, 3, 1).numpy()
    corrected = network.clone()
    for index in range(network.shape[0]):
        if holes[index].any() and not holes[index].all():
            filled = laplace_fill(residual[index], holes[index])
            offset = torch.from_numpy(np.ascontiguousarray(filled)).permute(2, 0, 1)
            corrected[index] = torch.where(
                torch.from_numpy(holes[index]), network[index] + offset, network[index]
            )
    return corrected.clamp(0, 1)


def blend_holes(
    propagated: torch.Tensor,
    network: torch.Tensor,
    mask: torch.Tensor,
    maps: PropagationMaps,
    blend: str = "confidence",
    shares: dict[str, Any] | None = None,
) -> torch.Tensor:
    """Fills the holes from propagation and network as ``blend`` says (see ``BLENDS``).

    Args:
        propagated: ``(T, 3, H, W)`` flow-guided fill (spatial fallback where unreached).
        network: ``(T, 3, H, W)`` network output.
        mask: ``(T, 1, H, W)``, 1 = missing.
        maps: The propagation's maps.
        blend: One of ``BLENDS``.
        shares: ``calibrate_shares``'s result (``calibrated`` only).

    Returns:
        ``(T, 3, H, W)``: known pixels of ``propagated`` (the input, bit-exactly), holes filled.
    """
    reached = maps.reached > 0.5
    if blend == "calibrated":
        if shares is None:
            raise InputError("blend 'calibrated' needs the shares from calibrate_shares")
        return mix_in_holes(calibrated_share(maps, shares), propagated, network, mask)
    if blend == "confidence":
        share = maps.confidence
    elif blend == "choose":
        share = (maps.confidence >= 0.5).float()
    elif blend == "propagation":
        share = reached.float()
    elif blend == "network":
        share = torch.zeros_like(maps.confidence)
    else:
        raise InputError(f"blend must be one of {', '.join(BLENDS)}, got {blend!r}")
    share = torch.where(reached, share, torch.zeros_like(share))
    return mix_in_holes(share, propagated, network, mask)


def channel_index(where: torch.Tensor, channels: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat indices of ``where`` ``(T, 1, H, W)`` bool expanded over ``channels``: into a
    ``(T, channels, H, W)`` tensor, and into a ``(T, 1, H, W)`` one, for ``torch.take``.

    They follow the order of ``tensor[where.expand_as(tensor)]`` (frame, channel, row, column),
    so gathering through them gives the same values in the same order, with one ``nonzero``
    for all the tensors gathered instead of one per tensor."""
    frame, _, row, col = where.nonzero(as_tuple=True)
    plane = where.shape[2] * where.shape[3]
    pixel = row * where.shape[3] + col
    # nonzero orders by frame, then pixel: frame t's pixels are a run starting at first[t];
    # in the output, that run comes once per channel, the channels one after another.
    counts = torch.bincount(frame, minlength=where.shape[0])
    first = counts.cumsum(0) - counts
    rank = torch.arange(frame.numel()) - first[frame]
    big = torch.empty(channels * frame.numel(), dtype=torch.int64)
    small = torch.empty_like(big)
    for channel in range(channels):
        slot = first[frame] * channels + channel * counts[frame] + rank
        big[slot] = (frame * channels + channel) * plane + pixel
        small[slot] = frame * plane + pixel
    return big, small


def mix_in_holes(
    share: torch.Tensor | float,
    first: torch.Tensor,
    second: torch.Tensor,
    mask: torch.Tensor,
    into: torch.Tensor | None = None,
) -> torch.Tensor:
    """``into`` (default ``first``) with its hole pixels replaced by ``share * first + (1 -
    share) * second``, clipped to [0, 1]; ``share`` a number or ``(T, 1, H, W)``.

    The arithmetic runs on the hole pixels only: the values are those of the whole-clip
    expression composited into ``first``, without its whole-clip temporaries (several GB on a
    250-frame clip, for holes of a few percent of it).
    """
    big, small = channel_index(mask > 0.5, first.shape[1])
    if isinstance(share, torch.Tensor):
        share = share.take(small)
    output = (first if into is None else into).clone(memory_format=torch.contiguous_format)
    mixed = share * first.take(big) + (1 - share) * second.take(big)
    output.view(-1)[big] = mixed.clamp(0, 1).to(output.dtype)
    return output


VALIDATION_SHIFTS = ((0, 1 / 3, 1 / 2), (1 / 3, 2 / 3, 1 / 4))
"""Validation copies of the mask: (rows, columns) shifts as fractions of the frame size, and the
frame offset (fraction of the clip) whose mask is copied."""


def validation_holes(mask: torch.Tensor) -> torch.Tensor:
    """Synthetic holes on known pixels, to measure how well each fill does where truth is known.

    For each entry of ``VALIDATION_SHIFTS``, frame t gets the mask of another frame
    (``t + offset * T``, cyclically) shifted (wrapping) by a fraction of the frame; the union,
    minus the real holes, is held out: holes of the real holes' shapes and sizes in other places
    (the synthetic holes of IIVI, H. Ouyang, T. Wang, Q. Chen, "Internal Video Inpainting by
    Implicit Long-range Propagation", ICCV 2021, used here for validation).

    Args:
        mask: ``(T, 1, H, W)``, 1 = missing.

    Returns:
        ``(T, 1, H, W)`` float32, 1 on validation pixels (never on a real hole).
    """
    count, height, width = mask.shape[0], mask.shape[-2], mask.shape[-1]
    held_out = torch.zeros_like(mask, dtype=torch.bool)
    for rows, cols, offset in VALIDATION_SHIFTS:
        shift = round(offset * count)
        source = mask[[(index + shift) % count for index in range(count)]] > 0.5
        held_out |= torch.roll(
            source, shifts=(round(rows * height), round(cols * width)), dims=(-2, -1)
        )
    return (held_out & (mask <= 0.5)).float()


def _bin_index(confidence: torch.Tensor) -> torch.Tensor:
    edges = torch.tensor(CONFIDENCE_BINS[1:-1], dtype=confidence.dtype)
    return torch.bucketize(confidence, edges, right=True)


def _least_squares_share(
    propagated: torch.Tensor, network: torch.Tensor, truth: torch.Tensor
) -> float | None:
    """``s`` in [0, 1] minimising ``|s * p + (1 - s) * n - truth|^2``; None if p equals n."""
    difference = propagated - network
    denominator = float((difference * difference).sum())
    if denominator < 1e-12:
        return None
    share = float(((truth - network) * difference).sum()) / denominator
    return min(max(share, 0.0), 1.0)


def calibrate_shares(
    propagated: torch.Tensor,
    network: torch.Tensor,
    truth: torch.Tensor,
    holes: torch.Tensor,
    maps: PropagationMaps,
) -> dict[str, Any]:
    """Measures, on validation holes, how much of propagation to keep per confidence bin.

    In each bin of ``CONFIDENCE_BINS`` (and for the unreached pixels, where ``propagated``
    holds the spatial fallback) the share ``s`` is the least-squares optimum of
    ``s * propagated + (1 - s) * network`` against the truth over the validation pixels of that
    bin. Bins with fewer than ``MIN_BIN_PIXELS`` pixels take the share pooled over every reached
    validation pixel, or their confidence midpoint if there is none.

    Args:
        propagated: ``(T, 3, H, W)`` propagation run with the validation pixels as holes.
        network: ``(T, 3, H, W)`` network output (fitted without the validation pixels).
        truth: ``(T, 3, H, W)`` the input, known on validation pixels.
        holes: ``(T, 1, H, W)`` validation pixels, 1 = held out.
        maps: The maps of that propagation.

    Returns:
        ``{"bins": [share per bin], "unreached": share, "pixels": [count per bin],
        "unreached_pixels": count}``.
    """
    selected = holes > 0.5
    reached = selected & (maps.reached > 0.5)
    unreached = selected & (maps.reached <= 0.5)
    bins = _bin_index(maps.confidence)

    def share_over(where: torch.Tensor) -> float | None:
        index = channel_index(where, propagated.shape[1])[0]
        return _least_squares_share(propagated.take(index), network.take(index), truth.take(index))

    pooled = share_over(reached) if int(reached.sum()) >= MIN_BIN_PIXELS else None
    shares, pixels = [], []
    for index in range(len(CONFIDENCE_BINS) - 1):
        where = reached & (bins == index)
        count = int(where.sum())
        share = share_over(where) if count >= MIN_BIN_PIXELS else None
        if share is None:
            share = pooled
        if share is None:
            share = 0.5 * (CONFIDENCE_BINS[index] + CONFIDENCE_BINS[index + 1])
        shares.append(share)
        pixels.append(count)
    unreached_count = int(unreached.sum())
    unreached_share = share_over(unreached) if unreached_count >= MIN_BIN_PIXELS else None
    return {
        "bins": shares,
        "unreached": 0.0 if unreached_share is None else unreached_share,
        "pixels": pixels,
        "unreached_pixels": unreached_count,
    }


def calibrated_share(maps: PropagationMaps, shares: dict[str, Any]) -> torch.Tensor:
    """Per-pixel share of propagation from ``calibrate_shares``'s result, ``(T, 1, H, W)``."""
    table = torch.tensor(shares["bins"], dtype=torch.float32)
    share = table[_bin_index(maps.confidence)]
    return torch.where(maps.reached > 0.5, share, torch.full_like(share, shares["unreached"]))


FUSION_SIGMA = 1.0
"""``fuse_temporal``'s noise level for hole fusion: with the full value range as sigma the colour
test only weakens a neighbour that disagrees completely; the flow's forward-backward test decides
which neighbours are averaged."""


@dataclass
class FusionCheck:
    """What a fusion pass is judged on: the same fill made with the validation pixels missing
    too (``filled``, holes ``mask``), and the validation pixels (``held_out``)."""

    filled: torch.Tensor  # (T, 3, H, W)
    mask: torch.Tensor  # (T, 1, H, W) real and validation holes
    held_out: torch.Tensor  # (T, 1, H, W) validation pixels
    flows: ClipFlows | None = None  # the fields to fuse ``filled`` with (None: new DIS fields)

    def error(self, fill: torch.Tensor, truth: torch.Tensor) -> float:
        return held_out_mse(fill, truth, self.held_out)


def held_out_mse(fill: torch.Tensor, truth: torch.Tensor, held_out: torch.Tensor) -> float:
    """Mean squared error of ``fill`` against ``truth`` on the validation pixels ``held_out``."""
    where = (held_out > 0.5).expand_as(truth)
    return float(((fill - truth)[where] ** 2).mean())


def fuse_holes(
    restored: torch.Tensor,
    mask: torch.Tensor,
    passes: int,
    *,
    frames: torch.Tensor,
    check: FusionCheck | None = None,
    flows: ClipFlows | None = None,
    deadline: Deadline | None = None,
    pass_seconds: float = 0.0,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[Any], None] | None = None,
    clock: PhaseClock | None = None,
) -> tuple[torch.Tensor, int]:
    """Step 7: steadies the holes of ``restored`` by flow-compensated temporal fusion.

    Each pass averages every hole pixel with its two flow-warped neighbours
    (``fuse_temporal``) and puts the known pixels back. The flow is ``flows`` (the
    propagation's, reused by every pass), or without it computed on the current fill.

    Args:
        restored: ``(T, 3, H, W)`` filled clip (known pixels are the input's).
        mask: ``(T, 1, H, W)``, 1 = missing.
        passes: Most passes.
        frames: ``(T, 3, H, W)`` the input (known pixels, and the truth on validation pixels).
        check: A pass is kept only if the same pass over ``check.filled`` lowers its error on
            the validation pixels; None keeps every pass.
        flows: The fields to fuse ``restored`` with (None: DIS fields of the current fill).
        deadline: A pass starts only if the last one's duration (before the first:
            ``pass_seconds``) still fits before it.
        pass_seconds: Expected seconds of the first pass.
        should_stop: Polled at every frame; True ends the fusion with the passes done (a pass
            cut short is dropped).
        on_progress: Receives a ``PhaseProgress`` ("fusion") as frames are fused.
        clock: The fusion's clock when the caller started it (it counted the fields first);
            None: one is made here from ``on_progress`` and ``should_stop``.

    Returns:
        ``(fused clip, passes kept)``.
    """
    if restored.shape[0] < 2 or not bool((mask > 0.5).any()):
        return restored, 0
    trial_fill = None if check is None else check.filled
    error = None if check is None else check.error(trial_fill, frames)
    if clock is None:
        clock = PhaseClock(
            "fusion", fusion_ticks(restored, passes, check is not None), on_progress, should_stop
        )
    kept = 0
    try:
        for _ in range(passes):
            started = time.perf_counter()
            if deadline is not None and not deadline.fits(pass_seconds):
                break
            clock.check()
            if check is not None:
                fused = fuse_temporal.unchecked(
                    trial_fill, FUSION_SIGMA, flows=check.flows, where=check.mask, clock=clock
                )
                trial = composite.unchecked(fused, frames, check.mask)
                trial_error = check.error(trial, frames)
                if not trial_error < error:
                    break
                trial_fill, error = trial, trial_error
            fused = fuse_temporal.unchecked(
                restored, FUSION_SIGMA, flows=flows, where=mask, clock=clock
            )
            restored = composite.unchecked(fused, frames, mask)
            kept += 1
            pass_seconds = time.perf_counter() - started
    except PhaseStopped:
        pass  # the pass in progress is dropped; the passes done are kept
    return restored, kept


def fusion_ticks(restored: torch.Tensor, passes: int, checked: bool, fields: int = 0) -> int:
    """Frames the fusion phase counts: a tick per frame of each fill of each pass (two fills
    with the validation check), and one per frame pair of the ``fields`` sets of fields made
    for it first."""
    count = restored.shape[0]
    return passes * (2 if checked else 1) * count + fields * (count - 1)


class SyntheticHoles:
    """Cuts holes of the real holes' shapes into known pixels of a training step's input.

    Each frame of a step gets the mask of a random frame of the clip, shifted by a random
    offset, kept only where the pixel is known (``fit_mask`` 0: never a real or validation hole)
    and inside the clip (not the model's padding). The cut pixels show a coarse blur of the frame
    (what a fill without detail looks like); the loss still compares them with their truth.
    """

    def __init__(self, fit_mask: torch.Tensor, seed: int) -> None:
        self._fit_mask = fit_mask > 0.5  # (T, 1, H, W)
        self._generator = torch.Generator().manual_seed(seed + 7919)
        self._padded: torch.Tensor | None = None

    def holes(self, indices: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """``(B, 1, height, width)`` bool: the synthetic holes of frames ``indices``."""
        if self._padded is None or self._padded.shape[-2:] != (height, width):
            clip_h, clip_w = self._fit_mask.shape[-2:]
            padded = torch.zeros(self._fit_mask.shape[0], 1, height, width, dtype=torch.bool)
            padded[..., :clip_h, :clip_w] = self._fit_mask
            self._padded = padded
            self._inside = torch.zeros(1, 1, height, width, dtype=torch.bool)
            self._inside[..., :clip_h, :clip_w] = True
        count = self._padded.shape[0]
        sources = torch.randint(0, count, (len(indices),), generator=self._generator)
        shifts_y = torch.randint(0, height, (len(indices),), generator=self._generator)
        shifts_x = torch.randint(0, width, (len(indices),), generator=self._generator)
        cut = torch.stack(
            [
                torch.roll(self._padded[int(s)], (int(dy), int(dx)), dims=(-2, -1))
                for s, dy, dx in zip(sources, shifts_y, shifts_x, strict=True)
            ]
        )
        known = ~self._padded[indices] & self._inside
        return cut & known

    def __call__(self, frames: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        height, width = frames.shape[-2:]
        holes = self.holes(indices, height, width).expand_as(frames)
        coarse = torch.nn.functional.interpolate(
            frames, size=(max(height // 16, 1), max(width // 16, 1)), mode="area"
        )
        blurred = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bilinear")
        return torch.where(holes, blurred, frames)


@dataclass
class HoleView:
    """The clip as one set of holes sees it, and each candidate fill of those holes.

    The hybrid works on two views of the same clip at once: the real holes, and the real holes
    with the validation pixels missing too (``HybridClip.validation``). Every step does to the
    validation view what it does to the real one, so that on the validation pixels, where the
    truth is known, it can be measured; keeping both views in one object makes the pairing
    explicit instead of carried by variable names.
    """

    frames: torch.Tensor  # (T, 3, H, W) the input (known pixels are the truth)
    mask: torch.Tensor  # (T, 1, H, W) this view's holes, 1 = missing
    # The candidates and maps are released (None) once the blend is made: fusion reads neither.
    propagated: torch.Tensor  # flow-guided fill (spatial fallback where unreached)
    maps: PropagationMaps  # how sure the propagation is, per hole pixel
    statistics: dict[str, Any]  # the propagation's info (fractions reached, mean distance)
    flows: ClipFlows | None = None  # the propagation's completed fields, kept for fusion
    network: torch.Tensor | None = None  # what fills the network's slot (step 3)
    filled: torch.Tensor | None = None  # the blend of the candidates, known pixels exact (5-6)
    _telea: torch.Tensor | None = None

    @property
    def telea(self) -> torch.Tensor:
        """A Telea fill of this view's holes, computed once when first asked for (the
        network-free slot and the third candidate share it)."""
        return self.fill_telea()

    def fill_telea(self, clock: PhaseClock | None = None) -> torch.Tensor:
        """``telea``, counting its frames on ``clock`` if it is computed now."""
        if self._telea is None:
            self._telea = telea_fill(self.frames, self.mask, clock=clock)
        return self._telea


@dataclass
class HybridClip:
    """The real and the validation view of one clip (steps 1-2 of the module docstring)."""

    real: HoleView
    validation: HoleView  # the real view itself when validation holes are off
    held_out: torch.Tensor | None  # (T, 1, H, W) validation pixels, or None
    propagation_seconds: float

    @property
    def measurable(self) -> bool:
        """Whether validation pixels exist to measure the fills on."""
        return self.held_out is not None and bool((self.held_out > 0.5).any())

    def views(self) -> list[HoleView]:
        """The real view, then the validation view if it is another one."""
        return [self.real] if self.validation is self.real else [self.real, self.validation]

    def validation_error(self, fill: torch.Tensor) -> float:
        """Mean squared error of ``fill`` against the truth on the validation pixels."""
        return held_out_mse(fill, self.real.frames, self.held_out)


class PropagationStopped(Exception):
    """Stop (or the deadline) ended a propagation; ``real`` is the real view if it was done."""

    def __init__(self, phase: str, real: HoleView | None) -> None:
        super().__init__(phase)
        self.phase, self.real = phase, real


def propagate_views(
    frames: torch.Tensor,
    mask: torch.Tensor,
    options: HybridOptions,
    *,
    on_progress: Callable[[Any], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> HybridClip:
    """Steps 1-2: propagates into the real holes, then into the real and validation holes.

    The network is trained on the validation view (validation pixels missing too), so the
    network's and the propagation's errors there are those of real holes. Each propagation
    reports its frames (``PhaseProgress``) and polls ``should_stop``; a stop raises
    ``PropagationStopped``.
    """
    started = time.perf_counter()

    def view(holes: torch.Tensor, phase: str) -> HoleView:
        run = propagate(
            frames,
            holes,
            max_distance=options.max_distance,
            fallback=options.fallback,
            with_maps=True,
            keep_flows=options.flow_reuse == "fusion",
            clock=PhaseClock(phase, frames.shape[0], on_progress, should_stop),
        )
        return HoleView(frames, holes, run.restored, run.maps, run.info, run.flows)

    try:
        real = view(mask, "propagation")
    except PhaseStopped:
        raise PropagationStopped("propagation", None) from None
    if options.validation:
        held_out = validation_holes(mask)
        try:
            validation = view(torch.maximum(mask, held_out), "validation propagation")
        except PhaseStopped:
            raise PropagationStopped("validation propagation", real) from None
    else:
        held_out, validation = None, real
    return HybridClip(real, validation, held_out, time.perf_counter() - started)


FUSION_PASS_SECONDS_PER_MEGAPIXEL = 0.13
"""Seconds per frame-megapixel of the default fusion (its fields on both fills, then its passes)
divided by its four passes: the planner's cost of a pass, and what the first pass is expected to
take under a deadline (docs/constants.md). It grows with the holes' area; this is for
logo-sized holes."""


@dataclass(frozen=True)
class TimePlan:
    """How a hybrid run's deadline is shared out: the fit's, and the fusion's."""

    fit: Deadline | None  # the fit (and its final decoding) must end by then
    fusion: Deadline | None  # the fusion passes must end by then (the run's own deadline)
    pass_seconds: float  # expected seconds of one fusion pass


def plan_time(clip: HybridClip, options: HybridOptions, deadline: Deadline | None) -> TimePlan:
    """Keeps time for as many whole fusion passes as fit in half of what the fit would get;
    none when not even one fits (then the fit keeps it all and no pass runs).

    A fusion pass on the fields it reuses (``flow_reuse`` ``fill`` or ``fusion``) warps the
    pixels near the holes only (``FUSION_PASS_SECONDS_PER_MEGAPIXEL``); with ``none`` it
    computes new fields and costs about what the two propagations cost together. After the
    first pass, ``fuse_holes`` expects the next one to take what the last one took.
    """
    pass_seconds = clip.propagation_seconds
    if options.flow_reuse != "none":
        count, _, height, width = clip.real.frames.shape
        pass_seconds = FUSION_PASS_SECONDS_PER_MEGAPIXEL * count * height * width / 1e6
    if deadline is None or not options.temporal_passes:
        return TimePlan(deadline, deadline, pass_seconds)
    left = max(deadline.left(), 0.0)
    passes = min(options.temporal_passes, int(left / 2 // max(pass_seconds, 1e-6)))
    return TimePlan(deadline.reserve(passes * pass_seconds), deadline, pass_seconds)


@dataclass
class NetworkSlot:
    """How the network's slot was filled (its fills are on the views: ``HoleView.network``)."""

    raw: torch.Tensor | None = None  # the fitted network's output, when one was fitted and used
    model: torch.nn.Module | None = None
    stopped: bool = False
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    timings: dict[str, float] = dataclasses.field(default_factory=dict)


def spatial_fills(
    clip: HybridClip,
    on_progress: Callable[[Any], None] | None,
    should_stop: Callable[[], bool] | None,
) -> None:
    """The Telea fill of each view, as the phase "spatial fill" (its frames reported, Stop
    polled at each: ``PropagationStopped`` with the real view, whose propagation is done)."""
    views = clip.views()
    clock = PhaseClock(
        "spatial fill", len(views) * clip.real.frames.shape[0], on_progress, should_stop
    )
    try:
        for view in views:
            view.fill_telea(clock)
    except PhaseStopped:
        raise PropagationStopped("spatial fill", clip.real) from None


def fill_network_slot(
    clip: HybridClip,
    options: HybridOptions,
    fit_config: FitConfig,
    *,
    deadline: Deadline | None = None,
    **fit_arguments: Any,
) -> NetworkSlot:
    """Step 3: fits the network (``network="fit"``) or takes a Telea fill instead (``"none"``).

    The fit sees the validation view: known pixels weight 1, propagated hole pixels are
    pseudo-targets weighted ``pseudo_weight * confidence`` (``pseudo_target_weights``). A fitted
    network is left out, and Telea takes its slot, when it is not a fill worth blending: its
    fit ended before one whole epoch (a time budget or Stop cut it short), or on the validation
    pixels it is further from the truth than Telea is. The blend after this step cannot tell a
    network that learnt nothing from one that did, so an unfinished network would otherwise be
    mixed into the holes.
    """
    real, validation = clip.real, clip.validation

    def telea_slot(info: dict[str, Any], timings: dict[str, float]) -> NetworkSlot:
        real.network, validation.network = real.telea, validation.telea
        return NetworkSlot(info=info, timings=timings)

    if options.network == "none":  # the Telea fills are made already (``spatial_fills``)
        return telea_slot({"network_used": False, "network": "none"}, {"fit_seconds": 0.0})
    weights = pseudo_target_weights(
        validation.mask,
        validation.maps,
        options.pseudo_weight,
        confidence_weighting=options.confidence_weighting,
    )
    weight_mean = _hole_mean(weights, real.mask)
    input_holes = None
    if options.synthetic_holes:
        input_holes = SyntheticHoles(validation.mask, fit_arguments["seed"])
    neural = fit_and_decode(
        validation.propagated,
        weights,
        validation.propagated,
        fit_config,
        composite_into=(real.frames, real.mask),
        input_holes=input_holes,
        deadline=deadline,
        **fit_arguments,
    )
    fills = {
        id(view): seam_correct(neural.raw, view.frames, view.mask) if options.seam else neural.raw
        for view in clip.views()
    }
    info = dict(neural.info)
    info["pseudo_weight_mean"] = weight_mean
    reason = None
    if neural.fit.epochs_run < 1:
        reason = "its fit ended before one whole epoch"
    elif clip.measurable and not clip.validation_error(fills[id(validation)]) < (
        clip.validation_error(validation.telea)
    ):
        reason = "on the validation holes it was no better than Telea"
    if reason is not None:
        notes = list(info.get("notes", []))
        notes.append(f"the fitted network was left out of the holes ({reason}): Telea filled")
        info.update({"notes": notes, "network_used": False, "network_left_out": reason})
        slot = telea_slot(info, dict(neural.timings))
        slot.stopped = neural.fit.stopped  # no model: a network left out is not a result
        return slot
    real.network, validation.network = fills[id(real)], fills[id(validation)]
    info["network_used"] = True
    return NetworkSlot(
        raw=neural.raw,
        model=neural.fit.model,
        stopped=neural.fit.stopped,
        info=info,
        timings=dict(neural.timings),
    )


def _hole_mean(values: torch.Tensor, mask: torch.Tensor) -> float:
    holes = mask > 0.5
    return float(values[holes].mean()) if bool(holes.any()) else 0.0


def calibrate(clip: HybridClip, options: HybridOptions) -> tuple[str, dict[str, Any] | None]:
    """Step 4: the blend to use and, for ``calibrated``, its shares measured on the validation
    pixels (``calibrate_shares``). Without validation pixels the calibrated blend falls back to
    the raw confidence."""
    if not clip.measurable:
        blend = "confidence" if options.blend == "calibrated" else options.blend
        return blend, None
    validation = clip.validation
    shares = calibrate_shares(
        validation.propagated, validation.network, validation.frames, clip.held_out, validation.maps
    )
    return options.blend, shares


def blend_views(clip: HybridClip, blend: str, shares: dict[str, Any] | None) -> None:
    """Step 5: ``HoleView.filled`` of each view, from its propagation and its network slot."""
    for view in clip.views():
        view.filled = blend_holes(
            view.propagated, view.network, view.mask, view.maps, blend, shares
        )


def add_spatial_candidate(clip: HybridClip) -> float | None:
    """Step 6: blends each view's fill with a Telea fill of its holes, ``u * telea + (1 - u) *
    fill``, ``u`` the least-squares share on the validation pixels; returns ``u``."""
    validation = clip.validation
    index = channel_index(clip.held_out > 0.5, validation.frames.shape[1])[0]
    share = _least_squares_share(
        validation.telea.take(index), validation.filled.take(index), validation.frames.take(index)
    )
    if share:
        for view in clip.views():
            # Known pixels: the blend's are the input's already (blend_holes composites).
            view.filled = mix_in_holes(share, view.telea, view.filled, view.mask, into=view.filled)
    return share


@boundary(mask=True)
def hybrid_inpaint(
    frames: torch.Tensor,
    mask: torch.Tensor,
    fit_config: FitConfig,
    *,
    model_name: str = "hnerv",
    model: ModelOptions | None = None,
    seed: int = 0,
    options: HybridOptions = HybridOptions(),
    device: torch.device | str = "cpu",
    deadline: Deadline | None = None,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> MethodResult:
    """Inpaints by flow-guided propagation refined by a fitted network (module docstring).

    Args:
        frames: Corrupted video ``(T, 3, H, W)`` float32 in [0, 1].
        mask: ``(T, 1, H, W)`` float32, 1 = missing.
        fit_config: The network's optimisation (epochs, batch, lr, loss, precision).
        model_name: A registered model (``restore.models.list_models()``).
        model: Size, strides and options of the network (default: ``ModelOptions(size=0.35)``).
        seed: Initialisation and frame order.
        options: Pseudo-target weighting, blend, seam correction, propagation settings.
        device: Where to fit.
        deadline: When the whole method must be done; the fit gets what the propagations and
            the fusion passes leave.
        on_progress: ``FitProgress`` after every optimizer step.
        should_stop: Polled every step and before each fusion pass; True ends the fit with the
            network so far and runs no further pass.

    Returns:
        ``MethodResult``: ``restored`` (known pixels bit-exact), ``raw`` (the network's output,
        cropped), ``timings`` (the fit's, plus ``propagation_seconds``, ``fusion_seconds``) and
        ``info`` (the fit's, plus ``propagated_fraction``, ``unreached_fraction``,
        ``mean_confidence`` over reached hole pixels, ``mean_distance``, ``pseudo_weight_mean``
        over hole pixels, ``options``, ``fusion_passes`` kept).

    Raises:
        ValueError: For a bad video, mask, model name or option.
    """
    check_options(options)
    if model_name not in list_models():
        raise InputError(f"unknown model {model_name!r}; valid models: {', '.join(list_models())}")
    started = time.perf_counter()

    stop_now = stop_or_deadline(should_stop, deadline)
    try:  # a stop in a propagation or the spatial fill: the part finished is the result
        clip = propagate_views(frames, mask, options, on_progress=on_progress, should_stop=stop_now)
        plan = plan_time(clip, options, deadline)
        if options.network == "none":
            spatial_fills(clip, on_progress, stop_now)
        slot = fill_network_slot(
            clip,
            options,
            fit_config,
            deadline=plan.fit,
            model_name=model_name,
            model=model or ModelOptions(size=0.35),
            seed=seed,
            device=torch.device(device),
            on_progress=on_progress,
            should_stop=should_stop,
        )
    except PropagationStopped as stopped:
        seconds = time.perf_counter() - started
        return _finished_part(frames, mask, stopped, seconds, should_stop, deadline)
    blend, shares = calibrate(clip, options)
    blend_views(clip, blend, shares)
    spatial_share = None
    if shares is not None and options.spatial_candidate:
        spatial_share = add_spatial_candidate(clip)
    statistics = _propagation_statistics(clip.real, mask)
    fusion_started = time.perf_counter()
    # The blend is the finished fill already: holes clipped, known pixels the input's
    # (``blend_holes`` and ``mix_in_holes`` composite), so fusion starts from it as it is.
    blended = clip.real.filled
    _release_candidates(clip)
    checked = shares is not None
    fields = 0
    if options.flow_reuse == "fill" and options.temporal_passes and frames.shape[0] > 1:
        fields = 2 if checked and clip.validation is not clip.real else 1
    # One clock for the fusion phase, its fields and then its passes; the deadline ends it too.
    clock = PhaseClock(
        "fusion",
        fusion_ticks(blended, options.temporal_passes, checked, fields),
        on_progress,
        stop_or_deadline(should_stop, plan.fusion),
    )
    if fields and not _fusion_fields(clip, blended, fields, clock):
        restored, fusion_passes = blended, 0
    else:
        restored, fusion_passes = fuse_holes(
            blended,
            mask,
            options.temporal_passes,
            frames=frames,
            check=(
                FusionCheck(
                    clip.validation.filled,
                    clip.validation.mask,
                    clip.held_out,
                    clip.validation.flows,
                )
                if checked
                else None
            ),
            flows=clip.real.flows,
            deadline=plan.fusion,
            pass_seconds=plan.pass_seconds,
            clock=clock,
        )
    fusion_seconds = time.perf_counter() - fusion_started

    info = dict(slot.info)
    info.update(statistics)
    info.update(
        {
            "options": dataclasses.asdict(options),
            "blend_used": blend,
            "calibrated_shares": shares,
            "spatial_share": spatial_share,
            "fusion_passes": fusion_passes,
        }
    )
    stopped = slot.stopped
    if not stopped and should_stop is not None and should_stop():
        # Stop came after the fit: fusion ended with the passes finished (perhaps none).
        stopped = True
        info["stopped_phase"] = "fusion"
        info["notes"] = list(info.get("notes", [])) + [
            f"stopped during the fusion: {fusion_passes} of {options.temporal_passes} passes "
            "over the holes were finished and are kept"
        ]
    timings = dict(slot.timings)
    timings["propagation_seconds"] = clip.propagation_seconds
    timings["fusion_seconds"] = fusion_seconds
    timings["total_seconds"] = time.perf_counter() - started
    return MethodResult(
        restored=restored,
        raw=slot.raw,
        timings=timings,
        info=info,
        model=slot.model,
        stopped=stopped,
    )


def _propagation_statistics(real: HoleView, mask: torch.Tensor) -> dict[str, Any]:
    """What the result's info says of the real holes' propagation."""
    reached = (real.maps.reached > 0.5) & (mask > 0.5)
    return {
        "hole_pixels": int((mask > 0.5).sum()),
        "propagated_fraction": real.statistics["propagated_fraction"],
        "unreached_fraction": real.statistics["fallback_fraction"],
        "mean_distance": real.statistics["mean_distance"],
        "mean_confidence": float(real.maps.confidence[reached].mean()) if reached.any() else 0.0,
    }


def _release_candidates(clip: HybridClip) -> None:
    """Drops what fusion does not read: each view's candidate fills and maps, and the real
    view's blend (``blended`` holds it). Five whole-clip float tensors per view would otherwise
    stay alive through the fusion passes; the validation view keeps its blend for the check."""
    for view in clip.views():
        view.propagated = view.network = view._telea = view.maps = None
    clip.real.filled = None


def _fusion_fields(clip: HybridClip, blended: torch.Tensor, views: int, clock: PhaseClock) -> bool:
    """One set of fields per view (1: the real one, 2: the validation one too) for fusion, on
    its fill as the blend left it (not on the prefill), counted as the fusion's first frames;
    False if Stop or the deadline came first (the blend is then the result, unfused)."""
    try:
        clip.real.flows = clip_flows(blended, clock)
        if views == 2:
            clip.validation.flows = clip_flows(clip.validation.filled.clamp(0, 1), clock)
    except PhaseStopped:
        return False
    return True


def _finished_part(
    frames: torch.Tensor,
    mask: torch.Tensor,
    stopped: PropagationStopped,
    seconds: float,
    should_stop: Callable[[], bool] | None = None,
    deadline: Deadline | None = None,
) -> MethodResult:
    """The result of a run that Stop or the deadline ended during a propagation or the spatial
    fill: the real holes' propagation if it was done (Telea where it did not reach), else a
    Telea fill."""
    if stopped.real is not None:
        restored, what = (
            stopped.real.propagated,
            "the propagation's fill (Telea where it did not reach)",
        )
    else:
        restored, what = telea.unchecked(frames, mask), "a Telea fill"
    info = {
        **stopped_info(
            stopped.phase, f"the holes hold {what}; no network was fitted", should_stop, deadline
        ),
        "network_used": False,
        "hole_pixels": int((mask > 0.5).sum()),
    }
    timings = {"propagation_seconds": seconds, "fusion_seconds": 0.0, "total_seconds": seconds}
    return MethodResult(restored=restored, timings=timings, info=info, stopped=True)


def run_hybrid(
    frames: torch.Tensor,
    mask: torch.Tensor | None,
    config: RestoreConfig,
    *,
    deadline: Deadline | None = None,
    on_progress: Callable[[FitProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> MethodResult:
    """Registry adapter: ``hybrid_inpaint`` with its settings read from a ``RestoreConfig``.

    The network and its optimisation are ``config``'s (``config.model``, ``config.fit``,
    ``seed``, ``device``), passed down as for every neural method, and so is the run's
    ``deadline``. ``config.method_options`` holds the ``HybridOptions`` fields and ``model`` (a
    registered model, default ``hnerv``).
    """
    method_options = resolve_options("hybrid", config.method_options, HYBRID_OPTIONS)
    model_name = method_options.pop("model", "hnerv")
    return hybrid_inpaint.unchecked(
        frames,
        mask,
        config.fit,
        model_name=model_name,
        model=config.model,
        seed=config.seed,
        options=HybridOptions(**method_options),
        device=pick_device(config.device),
        deadline=deadline,
        on_progress=on_progress,
        should_stop=should_stop,
    )
