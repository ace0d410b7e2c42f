"""Progress of the phases that are not the fit (propagation, fusion, denoising), and their Stop.

The fit reports a ``FitProgress`` after every step; the other long phases report a
``PhaseProgress`` through the same ``on_progress`` callback, so that every front end (CLI bar,
app status, harness) hears of every phase through one channel and tells them apart by type.
``PhaseClock`` turns "frame i of n is done" into those reports (with an ETA, at most a few a
second) and ends the phase with ``PhaseStopped`` when ``should_stop`` says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

REPORT_SECONDS = 0.5  # most one report per this many seconds (the last frame always reports)


@dataclass(frozen=True)
class PhaseProgress:
    """``done`` of ``total`` frames of ``phase`` are finished."""

    phase: str  # "propagation", "validation propagation", "fusion", "denoising"
    done: int
    total: int
    elapsed: float  # seconds since the phase started
    eta: float  # seconds left, extrapolated from the frames done


class PhaseStopped(Exception):
    """``should_stop`` ended a phase; whoever runs the phase falls back to what is finished.

    A phase that can hand over its finished part (a denoiser's frames done so far, the rest as
    given) sets ``finished`` (a whole clip) and ``what`` (what it holds, in words) on the way out.
    """

    def __init__(self, phase: str, finished: Any = None, what: str = "") -> None:
        super().__init__(phase)
        self.phase, self.finished, self.what = phase, finished, what


def stop_or_deadline(
    should_stop: Callable[[], bool] | None, deadline: Any = None
) -> Callable[[], bool] | None:
    """One Stop signal for a phase: the user's Stop, or the run's ``Deadline`` passed."""
    if deadline is None:
        return should_stop
    return lambda: (should_stop is not None and should_stop()) or deadline.left() <= 0


def stopped_info(
    phase: str, what: str, should_stop: Callable[[], bool] | None, deadline: Any = None
) -> dict[str, Any]:
    """What a result ended in ``phase`` says of it: ``stopped_phase``, ``budget_stopped`` (the
    run's ``Deadline`` had passed and the user's Stop was not pressed) and a note, "stopped
    during the denoising: ..." or "the time budget ran out during the denoising: ..."."""
    by_budget = (
        deadline is not None
        and deadline.left() <= 0
        and not (should_stop is not None and should_stop())
    )
    why = "the time budget ran out" if by_budget else "stopped"
    return {
        "stopped_phase": phase,
        "budget_stopped": by_budget,
        "notes": [f"{why} during the {phase}: {what}"],
    }


def frames_done_text(done: int, total: int, verb: str) -> str:
    """What a per-frame phase stopped part-way hands over, in words (``PhaseStopped.what``)."""
    if done == 0:
        return f"the result is the clip as given (no frame was {verb})"
    return f"{done} of {total} frames are {verb}, the others are as given"


class PhaseClock:
    """Counts one phase's frames, reports them and polls Stop.

    Args:
        phase: the phase's name, as the user reads it.
        total: frames the phase will do.
        on_progress: the job's progress callback (None: nothing is reported).
        should_stop: polled at every frame; True raises ``PhaseStopped``.
    """

    def __init__(
        self,
        phase: str,
        total: int,
        on_progress: Callable[[Any], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.phase, self.total = phase, max(int(total), 1)
        self._on_progress, self._should_stop = on_progress, should_stop
        self._started = time.perf_counter()
        self._first: tuple[float, int] | None = None  # when the first tick came, and its count
        self._reported = float("-inf")
        self.done = 0

    def tick(self, frames: int = 1) -> None:
        """``frames`` more are done: report if due, then raise ``PhaseStopped`` on Stop.

        The ETA is extrapolated from the frames done since the first tick, so that what a phase
        does before its first frame (converting the clip, say) does not count as a frame's
        time: the first tick is not reported unless it is the last (one frame's time, with that
        set-up in it, once claimed 23 minutes for a 20-second phase)."""
        self.done = min(self.done + frames, self.total)
        now = time.perf_counter()
        if self._first is None:
            self._first = (now, self.done)
        first_at, first_done = self._first
        timed = self.done - first_done
        if (
            self._on_progress is not None
            and (timed > 0 or self.done == self.total)
            and (now - self._reported >= REPORT_SECONDS or self.done == self.total)
        ):
            self._reported = now
            left = self.total - self.done
            eta = (now - first_at) * left / timed if timed > 0 else 0.0
            self._on_progress(
                PhaseProgress(self.phase, self.done, self.total, now - self._started, eta)
            )
        self.check()

    def check(self) -> None:
        """Raises ``PhaseStopped`` if ``should_stop`` says so."""
        if self._should_stop is not None and self._should_stop():
            raise PhaseStopped(self.phase)


class SubClock:
    """A stretch of a ``PhaseClock``: ``units`` steps of one part of a phase advance the clock
    by ``frames`` frames, evenly. Propagation shares its frames between its flows and its chain
    following this way, so the bar moves during both instead of waiting at the last frame while
    the chains are followed.
    """

    def __init__(self, clock: PhaseClock | None, units: int, frames: int) -> None:
        self._clock, self._units, self._frames = clock, max(int(units), 1), max(int(frames), 0)
        self._steps = self._given = 0

    def tick(self, steps: int = 1) -> None:
        """``steps`` more units are done (Stop is polled as by ``PhaseClock.tick``)."""
        if self._clock is None:
            return
        self._steps = min(self._steps + steps, self._units)
        due = self._frames * self._steps // self._units - self._given
        if due > 0:
            self._given += due
            self._clock.tick(due)
        else:
            self._clock.check()

    def check(self) -> None:
        if self._clock is not None:
            self._clock.check()

    def finish(self) -> None:
        """The part ended early (every chain landed): hands over the frames not yet given."""
        self.tick(self._units - self._steps)
