"""Fixtures for the evaluation harness tests: the shared DAVIS root and one smoke batch.

The smoke batch (hnerv and telea on blackswan and car-shadow, `--profile smoke`, 2 worker
processes) runs once per session through the CLI; tests that change its output copy it first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.cli import app

DAVIS_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "davis"
SMOKE_SEQUENCES = ("blackswan", "car-shadow")
SMOKE_METHODS = ("hnerv", "telea")


def smoke_arguments(out: Path, *extra: str) -> list[str]:
    """`davis` arguments of the session's smoke batch, writing to `out`."""
    return [
        "davis",
        "--root",
        str(DAVIS_ROOT),
        "--sequences",
        ",".join(SMOKE_SEQUENCES),
        "--methods",
        ",".join(SMOKE_METHODS),
        "--task",
        "inpaint-boxes",
        "--profile",
        "smoke",
        "--out",
        str(out),
        *extra,
    ]


@pytest.fixture(name="smoke_arguments")
def smoke_arguments_fixture():
    """`smoke_arguments` for tests (test modules cannot import conftest under importlib mode)."""
    return smoke_arguments


@pytest.fixture(scope="session")
def davis_root() -> Path:
    """The DAVIS root shared next to the repository; skips when it is not there."""
    if not (DAVIS_ROOT / "JPEGImages" / "480p").is_dir():
        pytest.skip(f"DAVIS data not found at {DAVIS_ROOT} (expected ../shared/data/davis)")
    return DAVIS_ROOT


@pytest.fixture(scope="session")
def smoke_batch(davis_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """Runs the smoke batch once in a process pool; returns `(out_dir, CliRunner result)`."""
    out = tmp_path_factory.mktemp("smoke") / "eval"
    result = CliRunner().invoke(app, smoke_arguments(out, "--workers", "2"))
    assert result.exit_code == 0, result.output
    return out, result
