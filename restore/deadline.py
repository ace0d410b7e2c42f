"""One deadline for a whole run, passed down instead of budgets re-derived at every level.

A time budget is stated once, by the user (``RestoreConfig.time_budget``, ``--time-budget``). The
job turns it into a ``Deadline`` when it starts; each part that runs after it is handed the same
object, or one moved earlier by what the parts after it need (``reserve``): the job reserves its
scoring and writing, the hybrid its fusion passes, the fit its final decoding. Nobody subtracts
elapsed times from budgets again, so time spent anywhere (reading, propagation, a slow callback)
is counted exactly once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """A ``time.perf_counter()`` value by which a run must be done."""

    at: float

    @classmethod
    def after(cls, seconds: float, *, now: float | None = None) -> Deadline:
        """The deadline ``seconds`` from ``now`` (default: this instant)."""
        return cls((time.perf_counter() if now is None else now) + seconds)

    @classmethod
    def from_budget(cls, seconds: float | None, *, now: float | None = None) -> Deadline | None:
        """``after(seconds)``, or None for no budget."""
        return None if seconds is None else cls.after(seconds, now=now)

    def left(self) -> float:
        """Seconds until the deadline (negative once it has passed)."""
        return self.at - time.perf_counter()

    def fits(self, seconds: float) -> bool:
        """Whether something taking ``seconds``, started now, ends by the deadline."""
        return time.perf_counter() + seconds <= self.at

    def reserve(self, seconds: float, *, floor: float = 0.0) -> Deadline:
        """The deadline for what runs before a later part that needs ``seconds``: this one moved
        earlier by ``seconds``, but never closer than ``floor`` seconds from now (a part that
        is given no time at all cannot even report that it ran out)."""
        return Deadline(max(self.at - seconds, time.perf_counter() + floor))
