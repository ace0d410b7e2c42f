"""Peak resident memory of a CLI job, phase by phase.

Runs ``restore inpaint CLIP --mask boxes`` (the default method unless ``--method``) in this
process, samples the resident set every 50 ms in a thread, and prints the peak reached in each
phase (the phases are those the job reports: reading, propagation, fit, fusion, writing). The
last line is the job's peak, as ``/usr/bin/time -v`` would report it (``ru_maxrss``).

    python benchmarks/memory_by_phase.py --frames 250
    python benchmarks/memory_by_phase.py --frames 250 --method flow-guided
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "data" / "video" / "bikes.mp4"


def rss_mib() -> float:
    """The process's resident set now, in MiB (Linux ``/proc``)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class PhaseMemory:
    """Keeps the peak resident set seen while each phase was the current one."""

    def __init__(self) -> None:
        self.phase = "reading"
        self.peaks: dict[str, float] = {}
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while self._running:
            now = rss_mib()
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), now)
            time.sleep(0.05)

    def __enter__(self) -> PhaseMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._thread.join()


def _label(module, name: str, memory: PhaseMemory) -> None:
    """Wraps ``module.name`` so that the memory it peaks at is counted under its own name."""
    original = getattr(module, name)

    def labelled(*rest, **named):
        memory.phase = f"hybrid: {name}"
        return original(*rest, **named)

    setattr(module, name, labelled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default=str(CLIP))
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--method", default=None, help="default: the CLI's default method")
    parser.add_argument("--mask", default="boxes")
    args = parser.parse_args()

    from typer.testing import CliRunner

    import restore.progress as progress
    from restore import jobs
    from restore.cli import app

    memory = PhaseMemory()
    started_phase = progress.PhaseClock.__init__

    def remember_phase(self, phase, *rest, **named):
        memory.phase = phase
        started_phase(self, phase, *rest, **named)

    progress.PhaseClock.__init__ = remember_phase
    restore_call = jobs.restore

    def remember_restore(*rest, **named):
        memory.phase = "restore (before its first phase)"
        try:
            return restore_call(*rest, **named)
        finally:
            memory.phase = "scoring and writing"

    jobs.restore = remember_restore
    # The hybrid's steps between the propagations and fusion report no phase of their own.
    from restore.methods import hybrid

    for step in ("fill_network_slot", "calibrate", "blend_views", "add_spatial_candidate"):
        _label(hybrid, step, memory)
    with tempfile.TemporaryDirectory() as folder:
        command = ["inpaint", args.clip, "--mask", args.mask, "--max-frames", str(args.frames)]
        command += ["-o", str(Path(folder) / "out.mp4")]
        if args.method:
            command += ["--method", args.method]
        with memory:
            result = CliRunner().invoke(app, command)
    if result.exit_code:
        sys.exit(f"the job failed:\n{result.output}\n{result.exception!r}")
    print(f"restore {' '.join(command[:-2])}")
    for phase, peak in memory.peaks.items():
        print(f"  {phase:<36} peak {peak:7.0f} MiB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the job: {peak:.0f} MiB ({peak / 1024:.2f} GiB)")


if __name__ == "__main__":
    main()
