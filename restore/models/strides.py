"""Choose the decoder's upsampling strides from the frame size.

The paper fixes strides per resolution (section 4.1: (5,4,4,2,2) for 640x1280, (5,4,3,2,2) for
480x960, (5,4,4,3,2) for 960x1920), each giving a 2x4 embedding grid, the best in Table 11. For
any other size we search non-increasing stride lists over {5, 4, 3, 2} whose product P makes the
padded frame (H and W rounded up to multiples of P) as small as possible, preferring embedding
grids close to 2x4 and five stages.
"""

from __future__ import annotations

import itertools
import math

from restore.errors import InputError

STRIDE_CHOICES = (5, 4, 3, 2)


def _stride_lists(num_stages: int) -> list[tuple[int, ...]]:
    return [
        combo
        for combo in itertools.product(STRIDE_CHOICES, repeat=num_stages)
        if all(a >= b for a, b in itertools.pairwise(combo))
    ]


def padded_size(height: int, width: int, strides: tuple[int, ...]) -> tuple[int, int]:
    """``(H, W)`` rounded up to multiples of the product of ``strides``."""
    product = math.prod(strides)
    return math.ceil(height / product) * product, math.ceil(width / product) * product


def embedding_grid(height: int, width: int, strides: tuple[int, ...]) -> tuple[int, int]:
    """``(h, w)`` of the embedding grid; ValueError unless the strides' product divides H, W."""
    product = math.prod(strides)
    if height % product or width % product:
        raise InputError(
            f"frame {height}x{width} is not divisible by the strides' product {product} "
            f"(strides {tuple(strides)}); pad the video first"
        )
    return height // product, width // product


def choose_strides(height: int, width: int) -> tuple[int, ...]:
    """Pick decoder strides for a ``height x width`` frame.

    Score = 2 x (padded area / area - 1) + 0.5 x |log(cells / 8)| (+0.3 for four stages),
    where ``cells`` is the embedding grid's area: the paper's 2x4 grid (Table 11) is worth a
    little padding (e.g. 432x240 -> 480x240 with (5, 3, 2, 2, 2)), and big early strides also
    make the expensive high-resolution stages narrower. The lowest score wins; this reproduces the
    paper's choices for 640x1280, 480x960 and 960x1920.

    Raises:
        ValueError: a side is smaller than 16 pixels.
    """
    if min(height, width) < 16:
        raise InputError(f"frame is {height}x{width}; HNeRV needs sides of at least 16 pixels")
    best: tuple[float, tuple[int, ...]] | None = None
    for num_stages in (5, 4):
        for strides in _stride_lists(num_stages):
            padded_h, padded_w = padded_size(height, width, strides)
            product = math.prod(strides)
            cells = (padded_h // product) * (padded_w // product)
            overhead = padded_h * padded_w / (height * width) - 1
            score = 2 * overhead + 0.5 * abs(math.log(cells / 8))
            score += 0.3 if num_stages == 4 else 0.0
            if best is None or score < best[0] - 1e-9:
                best = (score, strides)
    assert best is not None
    return best[1]


def parse_strides(text: str) -> tuple[int, ...]:
    """Parse ``"5,4,3,2,2"`` into a tuple; ValueError on anything else."""
    try:
        strides = tuple(int(part) for part in text.replace("_", ",").split(","))
    except ValueError:
        raise InputError(f"--strides: expected comma-separated integers, got {text!r}") from None
    if not strides or any(s < 1 for s in strides):
        raise InputError(f"--strides: expected positive integers, got {text!r}")
    return strides
