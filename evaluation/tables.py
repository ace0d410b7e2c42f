"""Tables from evaluation records: metric definitions, Markdown tables and the CSV.

Every number comes from a record (`evaluation.records`); nothing is recomputed. The headline
score is the hole PSNR for inpainting and the whole-frame PSNR for denoising. Means are taken over
the sequences for which *every* method of the table has a finished record, so that no method's
mean rests on an easier subset; the note under each table says how many that is.

In a sequences x methods table the best method of each sequence (each row, including the mean
row) is in bold; in the methods x metrics summary, the best method of each column. Ties at the
displayed precision are all bold.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    """One number a record holds, and how to show it."""

    key: str  # key in record["scores"] or record["timings"]
    source: str  # "scores" | "timings"
    title: str  # column or table title
    higher_is_better: bool
    digits: int  # decimals shown
    scale: float = 1.0  # multiply before showing (E_warp is shown x 10^3)
    kinds: tuple[str, ...] = ("inpaint", "denoise")  # task kinds it applies to

    def value(self, record: dict[str, Any]) -> float | None:
        """The metric of a record (scaled), or None if the record has none."""
        value = record.get(self.source, {}).get(self.key)
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return None
        return float(value) * self.scale

    def format(self, value: float | None) -> str:
        return "–" if value is None else f"{value:.{self.digits}f}"

    @property
    def heading(self) -> str:
        return f"{self.title} {'↑' if self.higher_is_better else '↓'}"


METRICS: tuple[Metric, ...] = (
    Metric("psnr_holes", "scores", "Hole PSNR (dB)", True, 2, kinds=("inpaint",)),
    Metric("psnr", "scores", "PSNR (dB)", True, 2),
    Metric("psnr_raw", "scores", "Raw PSNR (dB)", True, 2),
    Metric("ssim_holes", "scores", "Hole SSIM", True, 4, kinds=("inpaint",)),
    Metric("ssim", "scores", "SSIM", True, 4),
    Metric("ssim_raw", "scores", "Raw SSIM", True, 4),
    Metric("ms_ssim", "scores", "MS-SSIM", True, 4),
    Metric("warp_error", "scores", "E_warp (DIS) ×10³", False, 3, scale=1e3),
    Metric(
        "warp_error_holes", "scores", "Hole E_warp (DIS) ×10³", False, 3, 1e3, kinds=("inpaint",)
    ),
    Metric("fit_seconds", "timings", "Fit (s)", False, 2),
    Metric("seconds_per_frame_epoch", "timings", "s/frame/epoch", False, 4),
    Metric("decode_fps", "timings", "Decode FPS", True, 1),
    Metric("peak_rss_mib", "timings", "Peak RSS (MiB)", False, 0),
    Metric("peak_cuda_mib", "timings", "Peak CUDA (MiB)", False, 0),
)
METRICS_BY_KEY = {metric.key: metric for metric in METRICS}

METRIC_NOTES = {
    "psnr_holes": "PSNR over the hole pixels only (mask > 0.5), pooled over all frames",
    "psnr": "whole composited frame (what a user sees); denoising: the output",
    "psnr_raw": "whole frame of the network's output before compositing (the official HNeRV "
    "code's number); neural methods only",
    "warp_error": "flow warping error between consecutive output frames, OpenCV DIS flow with "
    "an occlusion check; not comparable with FlowNet2-based papers",
    "peak_rss_mib": "peak resident memory of the job's worker process",
}


def headline_metric(kind: str) -> Metric:
    """The score a task kind is ranked by: hole PSNR (inpaint) or PSNR (denoise)."""
    return METRICS_BY_KEY["psnr_holes" if kind == "inpaint" else "psnr"]


def metrics_for(kind: str, records: Sequence[dict[str, Any]]) -> list[Metric]:
    """The metrics of `kind` that at least one record has a value for."""
    return [
        metric
        for metric in METRICS
        if kind in metric.kinds and any(metric.value(record) is not None for record in records)
    ]


def complete_sequences(
    values: dict[tuple[str, str], dict[str, Any]], sequences: Sequence[str], methods: Sequence[str]
) -> list[str]:
    """Sequences with a record for every method (the set means are taken over)."""
    return [s for s in sequences if all((s, m) in values for m in methods)]


def _mean(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None


def _best(metric: Metric, values: list[float | None]) -> set[int]:
    """Indices of the best values at the displayed precision (empty when none is present)."""
    shown = {
        index: round(value, metric.digits)
        for index, value in enumerate(values)
        if value is not None
    }
    if not shown:
        return set()
    target = max(shown.values()) if metric.higher_is_better else min(shown.values())
    return {index for index, value in shown.items() if value == target}


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cells(metric: Metric, values: list[float | None], bold: bool = True) -> list[str]:
    best = _best(metric, values) if bold else set()
    return [
        f"**{metric.format(value)}**" if index in best else metric.format(value)
        for index, value in enumerate(values)
    ]


def sequence_table(
    metric: Metric,
    records: dict[tuple[str, str], dict[str, Any]],
    sequences: Sequence[str],
    methods: Sequence[str],
    *,
    reference: dict[str, float | None] | None = None,
    reference_title: str = "input",
) -> str:
    """A Markdown table: one row per sequence plus a mean row, one column per method.

    Args:
        metric: What the cells show.
        records: `(sequence, method) -> record` (finished records only).
        sequences: Row order.
        methods: Column order.
        reference: Optional `sequence -> value` shown in a last, never-bold column (for example
            the corrupted input's score).
        reference_title: That column's heading.

    Returns:
        The table and a one-line note on the mean, as Markdown.
    """
    header = ["sequence", *methods] + ([f"_{reference_title}_"] if reference else [])
    lines = [_row(header), _row(["---", *["---:"] * (len(header) - 1)])]
    for sequence in sequences:
        values = [
            metric.value(records[(sequence, m)]) if (sequence, m) in records else None
            for m in methods
        ]
        cells = _cells(metric, values)
        if reference:
            cells.append(metric.format(_scaled(reference.get(sequence), metric)))
        lines.append(_row([sequence, *cells]))
    complete = complete_sequences(records, sequences, methods)
    means = [_mean([metric.value(records[(s, m)]) for s in complete]) for m in methods]
    mean_cells = _cells(metric, means)
    if reference:
        mean_cells.append(
            metric.format(_mean([_scaled(reference.get(s), metric) for s in complete]))
        )
    lines.append(_row(["**mean**", *mean_cells]))
    note = f"Mean over the {len(complete)} of {len(sequences)} sequences every method finished."
    return "\n".join(lines) + "\n\n" + note + "\n"


def _scaled(value: float | None, metric: Metric) -> float | None:
    return None if value is None else value * metric.scale


def summary_table(
    metrics: Sequence[Metric],
    records: dict[tuple[str, str], dict[str, Any]],
    sequences: Sequence[str],
    methods: Sequence[str],
) -> str:
    """A Markdown table: one row per method, one column per metric (means over the sequences
    every method finished), the best of each column in bold."""
    complete = complete_sequences(records, sequences, methods)
    columns = {
        metric.key: [_mean([metric.value(records[(s, m)]) for s in complete]) for m in methods]
        for metric in metrics
    }
    formatted = {metric.key: _cells(metric, columns[metric.key]) for metric in metrics}
    lines = [
        _row(["method", *(metric.heading for metric in metrics)]),
        _row(["---", *["---:"] * len(metrics)]),
    ]
    for index, method in enumerate(methods):
        lines.append(_row([method, *(formatted[metric.key][index] for metric in metrics)]))
    return "\n".join(lines) + "\n"


CSV_COLUMNS: tuple[str, ...] = (
    "task",
    "profile",
    "sequence",
    "method",
    "status",
    "frames",
    "height",
    "width",
    "model_size",
    "epochs",
    "psnr_input",
    "psnr_holes_input",
    *(metric.key for metric in METRICS),
    "warp_error_truth",
    "fit_frames_per_second",
    "decode_seconds",
    "job_seconds",
    "device",
    "code_version",
    "created",
    "error",
)


def csv_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per record (errors included, with empty scores); raw, unscaled values."""
    rows = []
    for record in records:
        scores, timings = record.get("scores", {}), record.get("timings", {})
        clip, profile = record.get("clip", {}), record.get("profile", {})
        row: dict[str, Any] = {
            "task": record.get("task"),
            "profile": profile.get("label"),
            "sequence": record.get("sequence"),
            "method": record.get("method"),
            "status": record.get("status"),
            "frames": clip.get("frames"),
            "height": clip.get("height"),
            "width": clip.get("width"),
            "model_size": profile.get("model_size") if record.get("neural") else None,
            "epochs": profile.get("epochs") if record.get("neural") else None,
            "device": record.get("device"),
            "code_version": record.get("code_version"),
            "created": record.get("created"),
            "error": record.get("error"),
        }
        for key in CSV_COLUMNS:
            if key not in row:
                row[key] = scores.get(key, timings.get(key))
        rows.append(row)
    return rows


def csv_text(records: Sequence[dict[str, Any]]) -> str:
    """The CSV of `csv_rows` (header `CSV_COLUMNS`, empty cells for missing values)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(records):
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return buffer.getvalue()
