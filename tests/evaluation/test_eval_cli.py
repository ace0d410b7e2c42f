"""End-to-end tests of `restore eval davis` / `restore eval report` on the smoke profile."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.cli import app

SMOKE_SEQUENCES = ("blackswan", "car-shadow")  # as in conftest's smoke batch
SMOKE_METHODS = ("hnerv", "telea")
RECORDS = Path("records") / "inpaint-boxes" / "smoke"


def _record(out: Path, sequence: str, method: str) -> dict:
    return json.loads((out / RECORDS / f"{sequence}__{method}.json").read_text())


def _mtimes(out: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in (out / "records").rglob("*") if p.is_file()}


def test_smoke_batch_writes_one_record_per_job(smoke_batch):
    out, _ = smoke_batch
    for sequence in SMOKE_SEQUENCES:
        for method in SMOKE_METHODS:
            record = _record(out, sequence, method)
            assert record["status"] == "ok"
            assert (record["method"], record["sequence"]) == (method, sequence)
            assert record["task"] == "inpaint-boxes"
            assert record["profile"]["label"] == "smoke"
            assert record["profile"]["epochs"] == 3
            assert record["config"]["method"] == method
            assert record["code_version"]
            assert record["device"].startswith("cpu")
            assert record["timings"]["fit_seconds"] > 0
            assert record["timings"]["peak_rss_mib"] > 0
            scores = record["scores"]
            assert 0 < scores["psnr_holes"] < scores["psnr"]
            assert len(scores["psnr_per_frame"]) == record["clip"]["frames"] == 4
            assert len(scores["psnr_holes_per_frame"]) == 4
            assert len(scores["warp_error_per_pair"]) == 3
            assert scores["warp_error_label"] == "E_warp (DIS)"
            assert (out / RECORDS / record["sample"]["output"]).is_file()


def test_neural_records_have_curves_and_raw_scores(smoke_batch):
    out, _ = smoke_batch
    hnerv = _record(out, "blackswan", "hnerv")
    assert [point["epoch"] for point in hnerv["curve"]] == [1, 2, 3]
    assert all(point["psnr_holes"] is not None for point in hnerv["curve"])
    assert hnerv["scores"]["psnr_raw"] is not None
    assert hnerv["timings"]["seconds_per_frame_epoch"] > 0
    assert hnerv["timings"]["fit_seconds"] < hnerv["timings"]["fit_seconds_with_curve"]
    telea = _record(out, "blackswan", "telea")
    assert telea["curve"] == []
    assert "psnr_raw" not in telea["scores"]


def test_every_method_gets_the_same_input(smoke_batch):
    out, _ = smoke_batch
    for sequence in SMOKE_SEQUENCES:
        digests = {_record(out, sequence, m)["input_digest"] for m in SMOKE_METHODS}
        assert len(digests) == 1


def test_smoke_batch_writes_table_csv_and_plots(smoke_batch):
    out, _ = smoke_batch
    report = out / "report"
    markdown = (report / "report.md").read_text()
    for method in SMOKE_METHODS:
        assert f"| {method} " in markdown
    assert "| **mean** |" in markdown
    assert "**" in markdown.split("| **mean** |")[1].splitlines()[0]
    assert "Hole PSNR" in markdown and "E_warp (DIS)" in markdown
    with open(report / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((row["sequence"], row["method"]) for row in rows) == sorted(
        (s, m) for s in SMOKE_SEQUENCES for m in SMOKE_METHODS
    )
    assert all(float(row["psnr_holes"]) > 0 for row in rows)
    plots = [
        "bars_inpaint-boxes__smoke.png",
        "curves_inpaint-boxes__smoke.png",
        *(f"strip_inpaint-boxes__smoke__{s}.png" for s in SMOKE_SEQUENCES),
    ]
    for name in plots:
        assert (report / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in markdown


def test_rerun_skips_finished_records(smoke_batch, smoke_arguments):
    out, _ = smoke_batch
    before = _mtimes(out)
    result = CliRunner().invoke(app, smoke_arguments(out, "--no-report"))
    assert result.exit_code == 0, result.output
    assert "4 finished already (skipped), 0 to run" in result.stderr
    assert _mtimes(out) == before


def test_force_refits(smoke_batch, smoke_arguments, tmp_path):
    out = tmp_path / "eval"
    shutil.copytree(smoke_batch[0], out)
    path = out / RECORDS / "blackswan__telea.json"
    before = path.stat().st_mtime_ns
    untouched = out / RECORDS / "car-shadow__telea.json"
    untouched_before = untouched.stat().st_mtime_ns
    arguments = smoke_arguments(out, "--force", "--workers", "0", "--no-report")
    arguments[arguments.index("--methods") + 1] = "telea"
    arguments[arguments.index("--sequences") + 1] = "blackswan"
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "0 finished already (skipped), 1 to run" in result.stderr
    assert path.stat().st_mtime_ns != before
    assert untouched.stat().st_mtime_ns == untouched_before
    assert json.loads(path.read_text())["status"] == "ok"


def test_report_is_built_from_records_only(smoke_batch, tmp_path, monkeypatch):
    out = tmp_path / "eval"
    shutil.copytree(smoke_batch[0], out)
    shutil.rmtree(out / "report")
    before = _mtimes(out)

    def no_refit(*args, **kwargs):
        raise AssertionError("the report must not restore anything")

    monkeypatch.setattr("restore.api.restore", no_refit)
    monkeypatch.setattr("evaluation.job.evaluate", no_refit)
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 records (0 failed)" in result.stdout
    assert (out / "report" / "report.md").is_file()
    assert (out / "report" / "results.csv").is_file()
    assert _mtimes(out) == before


def _error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_missing_root_is_a_clear_error(smoke_arguments, tmp_path):
    arguments = smoke_arguments(tmp_path / "out")
    arguments[arguments.index("--root") + 1] = str(tmp_path / "nowhere")
    assert "--root" in _error_line(CliRunner().invoke(app, arguments))
    assert not (tmp_path / "out").exists()


def test_root_without_davis_layout_is_a_clear_error(smoke_arguments, tmp_path):
    (tmp_path / "root").mkdir()
    arguments = smoke_arguments(tmp_path / "out")
    arguments[arguments.index("--root") + 1] = str(tmp_path / "root")
    assert "JPEGImages" in _error_line(CliRunner().invoke(app, arguments))


def test_unknown_sequence_lists_the_available_ones(davis_root, smoke_arguments, tmp_path):
    arguments = smoke_arguments(tmp_path / "out")
    arguments[arguments.index("--sequences") + 1] = "blackswan,no-such-clip"
    line = _error_line(CliRunner().invoke(app, arguments))
    assert "'no-such-clip'" in line and "car-shadow" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--task", "inpaint-triangles", "--task: expected one of inpaint-boxes"),
        ("--profile", "huge", "--profile: expected one of smoke, cpu, paper"),
        ("--methods", "hnerv,magic", "unknown method 'magic'"),
        ("--methods", "median", "--methods: 'median' cannot inpaint"),
        ("--size", "wide", "--size: expected WIDTHxHEIGHT"),
        ("--epochs", "0", "--epochs: expected a number >= 1"),
        ("--workers", "-1", "--workers: expected an integer >= 0"),
    ],
)
def test_bad_options_are_clear_errors(
    davis_root, smoke_arguments, tmp_path, option, value, expected
):
    arguments = smoke_arguments(tmp_path / "out")
    if option in arguments:
        arguments[arguments.index(option) + 1] = value
    else:
        arguments += [option, value]
    assert expected in _error_line(CliRunner().invoke(app, arguments))


def test_report_without_records_is_a_clear_error(tmp_path):
    line = _error_line(CliRunner().invoke(app, ["report", str(tmp_path)]))
    assert "records" in line


def test_denoise_task_is_scored_on_whole_frames(davis_root, smoke_arguments, tmp_path):
    out = tmp_path / "eval"
    arguments = smoke_arguments(out, "--workers", "0")
    arguments[arguments.index("--task") + 1] = "denoise-gaussian"
    arguments[arguments.index("--methods") + 1] = "nerv,median"
    arguments[arguments.index("--sequences") + 1] = "car-shadow"
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    record = json.loads(
        (out / "records" / "denoise-gaussian" / "smoke" / "car-shadow__nerv.json").read_text()
    )
    assert "psnr_holes" not in record["scores"]
    assert record["scores"]["psnr"] is not None and record["curve"][-1]["psnr_holes"] is None
    markdown = (out / "report" / "report.md").read_text()
    assert "### PSNR (dB) ↑" in markdown and "Hole PSNR" not in markdown


def test_failed_jobs_exit_1_and_are_listed_in_the_report(davis_root, smoke_arguments, tmp_path):
    out = tmp_path / "eval"
    arguments = smoke_arguments(out, "--workers", "0", "--model-size", "0.001")
    arguments[arguments.index("--methods") + 1] = "nerv,telea"
    arguments[arguments.index("--sequences") + 1] = "car-shadow"
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1, result.output
    assert "1 ok, 1 failed" in result.stderr
    markdown = (out / "report" / "report.md").read_text()
    assert "### Failed jobs" in markdown and "car-shadow / nerv: InputError" in markdown


def test_batch_progress_counts_epochs_of_fits_and_one_unit_per_classical_job():
    from evaluation.cli import BatchProgress
    from evaluation.profiles import PROFILES

    class FakeJob:
        def __init__(self, method, sequence):
            self.method, self.sequence, self.profile = method, sequence, PROFILES["cpu"]
            self.name = f"{sequence}/{method}"

    progress = BatchProgress([FakeJob("hnerv", "a"), FakeJob("nerv", "a"), FakeJob("telea", "a")])
    assert progress.total == 50 + 50 + 1
    assert progress.epoch("a/hnerv", 1, 50) == 1
    assert progress.epoch("a/nerv", 3, 50) == 3  # a report lost on the way is made up for
    assert progress.describe() == "a/hnerv 1/50, a/nerv 3/50"
    assert progress.finish("a/nerv") == 47  # a fit that ends early still completes its units
    assert progress.epoch("a/nerv", 4, 50) == 0  # reports after the outcome are ignored
    assert progress.finish("a/telea") == 1
    assert progress.describe() == "a/hnerv 1/50"
