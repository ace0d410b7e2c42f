"""Corruptions the product restores, in the engine's one layout.

Masks are float32 tensors `(T, 1, H, W)` with 1 = missing/corrupted and 0 = known (HNeRV eq. 2);
frames are float32 `(T, 3, H, W)` RGB in [0, 1]. This package depends only on torch, numpy,
OpenCV, kornia and the standard library; `restore`, `apps` and `evaluation` build on it.

- `boxes`: HNeRV five-box benchmark masks and the Boosting-NeRV central mask.
- `objects`: moving object-shaped holes from DAVIS annotations.
- `user`: masks from a folder of images, one image or a video; threshold, invert, dilate, checks.
- `noise`: Gaussian, salt-and-pepper and NeRV's impulse noises, with masks of the hit pixels.
- `preview`: tinted overlays, masked fraction, and a warning for holes no frame uncovers.
- `track`: `track_mask`, one frame's object mask tracked over the clip; `dilate_for_removal`.
- `spec`: `make_mask`, from a `--mask` string to a tensor.
- `corrupt`: the one way to build a method's input from a clip (holes or noise).
- `checks`: the project's one family of boundary checks (`check_video`, `check_mask`, ...).
"""

from masks.boxes import (
    BOX_CENTERS,
    box_masks,
    box_rectangles,
    center_mask,
    center_rectangle,
    default_box_size,
)
from masks.checks import check_mask, check_video
from masks.corrupt import CorruptedInput, corrupt
from masks.errors import InputError, MaskWarning, MissingPathError
from masks.morphology import dilate_mask
from masks.noise import IMPULSE_KINDS, NOISE_KINDS, Corruption, add_noise, parse_noise_spec
from masks.objects import (
    DAVIS_SEQUENCES,
    available_sequences,
    default_object_source,
    load_davis_annotations,
    object_masks,
    ping_pong_indices,
)
from masks.preview import check_propagation, masked_fraction, never_visible_fraction, overlay
from masks.spec import SYNTHETIC_MASKS, is_synthetic, make_mask
from masks.track import TrackingStopped, TrackOptions, dilate_for_removal, track_mask
from masks.user import load_mask, validate_mask

__all__ = [
    "BOX_CENTERS",
    "DAVIS_SEQUENCES",
    "IMPULSE_KINDS",
    "SYNTHETIC_MASKS",
    "TrackOptions",
    "TrackingStopped",
    "CorruptedInput",
    "InputError",
    "check_mask",
    "check_video",
    "corrupt",
    "is_synthetic",
    "NOISE_KINDS",
    "Corruption",
    "MaskWarning",
    "MissingPathError",
    "add_noise",
    "available_sequences",
    "box_masks",
    "box_rectangles",
    "center_mask",
    "center_rectangle",
    "check_propagation",
    "default_box_size",
    "default_object_source",
    "dilate_for_removal",
    "dilate_mask",
    "load_davis_annotations",
    "load_mask",
    "make_mask",
    "masked_fraction",
    "never_visible_fraction",
    "object_masks",
    "overlay",
    "parse_noise_spec",
    "track_mask",
    "ping_pong_indices",
    "validate_mask",
]
