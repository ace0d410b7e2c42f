"""`restore eval davis --scheduler local`: the smoke batch on a Dask LocalCluster (127.0.0.1, 2
worker processes) gives the process pool's records. Skipped without the optional Dask extra."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.records import load_records

pytest.importorskip("distributed")


def _scores(out) -> dict[tuple[str, str], dict]:
    return {
        (record["sequence"], record["method"]): record
        for record in load_records(out)
        if record.get("status") == "ok"
    }


def test_dask_batch_gives_the_pool_records(smoke_batch, smoke_arguments, tmp_path) -> None:
    pool_out, _ = smoke_batch
    out = tmp_path / "eval"
    arguments = smoke_arguments(out, "--workers", "2", "--scheduler", "local", "--no-report")
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "on Dask (local)" in result.output
    pool, dask = _scores(pool_out), _scores(out)
    assert set(dask) == set(pool) and len(dask) == 4
    for key, record in dask.items():
        assert record["input_digest"] == pool[key]["input_digest"]
        # the pool hands idle cores to its last fits, so a neural fit may sum in another order
        # there; classical methods are exact
        tolerance = 0.05 if record["neural"] else 0.0
        assert _close(record["scores"], pool[key]["scores"], tolerance), key


def _close(value, expected, tolerance: float) -> bool:
    if isinstance(value, dict) and isinstance(expected, dict):
        return value.keys() == expected.keys() and all(
            _close(value[k], expected[k], tolerance) for k in value
        )
    if isinstance(value, list) and isinstance(expected, list):
        return len(value) == len(expected) and all(
            _close(a, b, tolerance) for a, b in zip(value, expected, strict=True)
        )
    if isinstance(value, float) and isinstance(expected, float):
        return abs(value - expected) <= tolerance
    return value == expected


def test_bad_scheduler_is_an_input_error(smoke_arguments, tmp_path) -> None:
    result = CliRunner().invoke(app, smoke_arguments(tmp_path, "--scheduler", "localhost:1"))
    assert result.exit_code == 2
    assert "--scheduler" in result.output
