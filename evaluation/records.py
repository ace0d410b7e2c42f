"""Evaluation records: one JSON file per (method, sequence, task, profile), the reports' source.

Layout under the output folder `DIR`::

    DIR/records/<task>/<profile label>/<sequence>__<method>.json         the record
    DIR/records/<task>/<profile label>/<sequence>__<method>.png          its sample output frame
    DIR/records/<task>/<profile label>/<sequence>__input.png / __truth.png / __mask.png

A record holds the method, sequence, task, the profile values used, the resolved
`restore.config.RestoreConfig`, the code version, the device, timings, per-frame and mean scores,
the PSNR-versus-epoch curve and a digest of the input (so a report can check that every method saw
the same corrupted frames). `status` is `"ok"` or `"error"` (with the error message); a batch skips
only `"ok"` records whose profile matches. Files are written atomically, so an interrupted batch
leaves either a whole record or none.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import math
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from restore.errors import InputError, MissingPathError
from restore.io import atomic_write_bytes, atomic_write_text, frames_to_uint8

RECORD_SCHEMA = 1
"""Bumped when the meaning of a record field changes."""

RECORDS_FOLDER = "records"


def record_folder(out_dir: str | Path, task: str, profile_label: str) -> Path:
    """`DIR/records/<task>/<profile label>`."""
    return Path(out_dir) / RECORDS_FOLDER / task / profile_label


def record_path(
    out_dir: str | Path, task: str, profile_label: str, sequence: str, method: str
) -> Path:
    """`DIR/records/<task>/<profile label>/<sequence>__<method>.json`."""
    return record_folder(out_dir, task, profile_label) / f"{sequence}__{method}.json"


def json_safe(value: Any) -> Any:
    """`value` with tensors and numpy numbers turned into lists/floats and inf/nan into None.

    JSON has no inf or nan; a record stores None for anything undefined.
    """
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, torch.Tensor):
        return json_safe(value.tolist())
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def write_record(path: str | Path, record: dict[str, Any]) -> Path:
    """Writes `record` as indented JSON, atomically (inf/nan become null).

    Returns:
        `path` as a `Path`.
    """
    text = json.dumps(json_safe(record), indent=1, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def read_record(path: str | Path) -> dict[str, Any] | None:
    """The record at `path`, or None if it is missing or unreadable (then it is rerun)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_finished(path: str | Path, profile: dict[str, Any]) -> bool:
    """True if `path` holds an `"ok"` record of this schema made with exactly `profile`."""
    record = read_record(path)
    return (
        record is not None
        and record.get("status") == "ok"
        and record.get("schema") == RECORD_SCHEMA
        and record.get("profile") == json_safe(profile)
    )


def load_records(out_dir: str | Path) -> list[dict[str, Any]]:
    """Every record under `DIR/records`, sorted by task, profile, sequence and method.

    Each record gets `"_path"`: its file, for reports that link the sample frames next to it.

    Raises:
        FileNotFoundError: If `DIR/records` does not exist.
    """
    folder = Path(out_dir) / RECORDS_FOLDER
    if not folder.is_dir():
        raise MissingPathError(
            f"DIR: expected evaluation records in {folder} (written by `restore eval davis --out "
            f"{out_dir}`), it does not exist"
        )
    records = []
    for path in sorted(folder.glob("*/*/*.json")):
        if path.name.startswith("."):
            continue
        record = read_record(path)
        if record is not None and "method" in record:
            records.append({**record, "_path": str(path)})
    return sorted(
        records,
        key=lambda r: (r["task"], r["profile"]["label"], r["sequence"], r["method"]),
    )


def write_png(path: str | Path, frame: torch.Tensor) -> Path:
    """Writes one frame `(3, H, W)` RGB in [0, 1] (or a mask `(1, H, W)`) as a PNG, atomically."""
    image = frames_to_uint8(frame.expand(3, -1, -1)[None])[0]
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise InputError(f"frame: OpenCV could not encode a {tuple(frame.shape)} PNG")
    return atomic_write_bytes(path, encoded.tobytes())


def read_png(path: str | Path) -> np.ndarray:
    """A PNG written by `write_png`, as uint8 `(H, W, 3)` RGB."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MissingPathError(f"sample frame: cannot read {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def input_digest(corrupted: torch.Tensor, mask: torch.Tensor | None) -> str:
    """A short SHA-256 of the corrupted frames and the mask: equal digests, equal inputs."""
    import hashlib

    digest = hashlib.sha256(corrupted.detach().cpu().contiguous().numpy().tobytes())
    if mask is not None:
        digest.update(mask.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


@functools.cache
def code_version() -> str:
    """`git` commit of the checkout (with `+dirty` for uncommitted changes), else the package
    version (`hnerv-restore 0.1.0`)."""
    repository = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repository,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repository,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return f"{commit}{'+dirty' if changes else ''}"
    except (OSError, subprocess.SubprocessError):
        try:
            return f"hnerv-restore {importlib.metadata.version('hnerv-restore')}"
        except importlib.metadata.PackageNotFoundError:
            return "unknown"
