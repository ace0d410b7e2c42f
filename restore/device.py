"""Pick the compute device: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import re

import torch

from restore.errors import InputError

DEVICE_CHOICES = "auto, cpu, cuda, cuda:N, mps"
_DEVICE_PATTERN = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def pick_device(requested: str | None = None) -> torch.device:
    """Return the device to fit on.

    Args:
        requested: ``"auto"``/``None`` picks CUDA, then MPS, then CPU; otherwise one of
            ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.

    Raises:
        InputError: the name is none of those, or the device is not available on this machine.
    """
    if requested in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if not isinstance(requested, str) or not _DEVICE_PATTERN.match(requested):
        raise InputError(f"--device: expected one of {DEVICE_CHOICES}, got {requested!r}")
    device = torch.device(requested)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"--device: {requested!r} requested but CUDA is not available here")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise InputError(
                f"--device: expected cuda:0 to cuda:{torch.cuda.device_count() - 1}, "
                f"got {requested!r}"
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise InputError(f"--device: {requested!r} requested but MPS is not available here")
    return device


def describe_device(device: torch.device) -> str:
    """A human-readable device name, e.g. ``cuda (NVIDIA H100)`` or ``cpu (2 threads)``."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({threads} thread{'s' if threads != 1 else ''})"
    return device.type


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024
