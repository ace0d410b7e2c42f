"""Learning-rate schedule: linear warm-up, then cosine decay (HNeRV section 4.1)."""

from __future__ import annotations

import math


def warmup_cosine(step: int, total_steps: int, warmup_fraction: float, min_factor: float) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based) of ``total_steps``.

    Rises linearly from ~0 to 1 over the first ``warmup_fraction`` of the steps, then follows a
    half cosine down to ``min_factor``.
    """
    warmup_steps = int(round(warmup_fraction * total_steps))
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    progress = min(max(progress, 0.0), 1.0)
    return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * progress))
