"""Tests for evaluation.tables: bold best values, mean rows over complete sequences, the CSV."""

from __future__ import annotations

import csv
import io

from evaluation.tables import (
    CSV_COLUMNS,
    METRICS_BY_KEY,
    complete_sequences,
    csv_text,
    headline_metric,
    sequence_table,
    summary_table,
)


def record(psnr_holes=None, fit_seconds=None, warp_error=None, **extra):
    return {
        "status": "ok",
        "scores": {"psnr_holes": psnr_holes, "warp_error": warp_error},
        "timings": {"fit_seconds": fit_seconds},
        **extra,
    }


RECORDS = {
    ("a", "hnerv"): record(30.0, 100.0, 0.002),
    ("a", "telea"): record(25.0, 0.5, 0.003),
    ("b", "hnerv"): record(20.0, 90.0, 0.004),
    ("b", "telea"): record(28.0, 0.4, 0.001),
    ("c", "hnerv"): record(99.0, 80.0, 0.001),  # telea missing on c
}


def rows(table: str) -> dict[str, list[str]]:
    lines = [line for line in table.splitlines() if line.startswith("| ")][2:]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return {row[0]: row[1:] for row in cells}


def test_headline_metric_per_task_kind():
    assert headline_metric("inpaint").key == "psnr_holes"
    assert headline_metric("denoise").key == "psnr"


def test_complete_sequences_need_every_method():
    assert complete_sequences(RECORDS, ["a", "b", "c"], ["hnerv", "telea"]) == ["a", "b"]


def test_sequence_table_bolds_the_best_method_per_row_and_means_complete_rows():
    table = sequence_table(
        METRICS_BY_KEY["psnr_holes"], RECORDS, ["a", "b", "c"], ["hnerv", "telea"]
    )
    cells = rows(table)
    assert cells["a"] == ["**30.00**", "25.00"]
    assert cells["b"] == ["20.00", "**28.00**"]
    assert cells["c"] == ["**99.00**", "–"]
    assert cells["**mean**"] == ["25.00", "**26.50**"]  # c is left out of every mean
    assert "Mean over the 2 of 3 sequences" in table


def test_lower_is_better_metrics_bold_the_smallest_and_scale():
    table = sequence_table(METRICS_BY_KEY["warp_error"], RECORDS, ["a"], ["hnerv", "telea"])
    assert rows(table)["a"] == ["**2.000**", "3.000"]


def test_ties_at_the_shown_precision_are_all_bold():
    tied = {("a", "x"): record(30.001), ("a", "y"): record(29.999)}
    assert rows(sequence_table(METRICS_BY_KEY["psnr_holes"], tied, ["a"], ["x", "y"]))["a"] == [
        "**30.00**",
        "**30.00**",
    ]


def test_reference_column_is_never_bold():
    table = sequence_table(
        METRICS_BY_KEY["psnr_holes"],
        RECORDS,
        ["a", "b"],
        ["hnerv", "telea"],
        reference={"a": 50.0, "b": 6.0},
    )
    assert rows(table)["a"] == ["**30.00**", "25.00", "50.00"]
    assert "_input_" in table.splitlines()[0]


def test_summary_table_bolds_the_best_per_column():
    metrics = [METRICS_BY_KEY["psnr_holes"], METRICS_BY_KEY["fit_seconds"]]
    cells = rows(summary_table(metrics, RECORDS, ["a", "b", "c"], ["hnerv", "telea"]))
    assert cells["hnerv"] == ["25.00", "95.00"]
    assert cells["telea"] == ["**26.50**", "**0.45**"]


def test_csv_has_one_row_per_record_with_raw_values():
    records = [
        {
            **record(30.0, 10.0, 0.002, task="inpaint-boxes", sequence="a", method="hnerv"),
            "profile": {"label": "cpu", "model_size": 0.75, "epochs": 100},
            "neural": True,
            "clip": {"frames": 30, "height": 240, "width": 432},
        },
        {
            "status": "error",
            "task": "inpaint-boxes",
            "sequence": "a",
            "method": "telea",
            "profile": {"label": "cpu"},
            "error": "ValueError: boom",
        },
    ]
    parsed = list(csv.DictReader(io.StringIO(csv_text(records))))
    assert list(parsed[0]) == list(CSV_COLUMNS)
    assert parsed[0]["psnr_holes"] == "30.0" and parsed[0]["warp_error"] == "0.002"
    assert parsed[0]["epochs"] == "100" and parsed[0]["width"] == "432"
    assert parsed[1]["status"] == "error" and parsed[1]["psnr_holes"] == ""
    assert parsed[1]["error"] == "ValueError: boom"
