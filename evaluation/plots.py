"""Report figures from evaluation records (matplotlib, Agg backend, PNG).

- `bar_chart`: the headline score per sequence, one bar per method, plus the mean; and the mean
  score against the mean fit time (log scale), one point per method.
- `curve_chart`: PSNR versus epoch of the neural methods, one panel per sequence, measured against
  the ground truth during the fit (the record's `curve`); classical methods appear as dashed
  horizontal lines at their final score.
- `sample_strip`: one frame of one sequence: masked input | each method | ground truth, full
  frames on top (the zoom window outlined) and a zoom on one hole below.

Only record fields and the PNGs saved next to the records are read; nothing is refitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from evaluation.records import read_png  # noqa: E402
from evaluation.tables import Metric  # noqa: E402

_DPI = 110


def _colors(methods: Sequence[str]) -> dict[str, Any]:
    palette = plt.get_cmap("tab10")
    return {method: palette(index % 10) for index, method in enumerate(methods)}


def _save(figure: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.tmp{path.suffix}")
    figure.savefig(temporary, dpi=_DPI, bbox_inches="tight")
    plt.close(figure)
    temporary.replace(path)
    return path


def bar_chart(
    path: Path,
    metric: Metric,
    records: dict[tuple[str, str], dict[str, Any]],
    sequences: Sequence[str],
    methods: Sequence[str],
    title: str,
    mean_over: Sequence[str],
) -> Path:
    """Grouped bars of `metric` (sequences and their mean) and a score-versus-fit-time panel.

    Args:
        path: PNG to write.
        metric: The headline metric.
        records: `(sequence, method) -> record`.
        sequences: Groups of bars.
        methods: Bars within a group.
        title: Figure title.
        mean_over: Sequences the mean group averages (those every method finished).
    """
    colors = _colors(methods)
    groups = [*sequences, "mean"]
    figure, (bars, tradeoff) = plt.subplots(
        1,
        2,
        figsize=(max(7.0, 1.1 * len(groups) * max(len(methods), 2) * 0.45) + 4.5, 4.2),
        gridspec_kw={"width_ratios": [3, 1.2]},
    )
    width = 0.8 / max(len(methods), 1)
    positions = np.arange(len(groups))
    for index, method in enumerate(methods):
        values = [
            metric.value(records[(s, method)]) if (s, method) in records else None
            for s in sequences
        ]
        present = [metric.value(records[(s, method)]) for s in mean_over]
        present = [value for value in present if value is not None]
        values.append(sum(present) / len(present) if present else None)
        heights = [np.nan if value is None else value for value in values]
        bars.bar(
            positions + (index - (len(methods) - 1) / 2) * width,
            heights,
            width,
            label=method,
            color=colors[method],
        )
    finite = [
        metric.value(record) for record in records.values() if metric.value(record) is not None
    ]
    if finite and metric.higher_is_better:
        bars.set_ylim(max(0.0, min(finite) - 3.0), max(finite) + 1.0)
    bars.set_xticks(positions, groups, rotation=30, ha="right")
    bars.set_ylabel(metric.heading)
    bars.set_title(title)
    bars.grid(axis="y", alpha=0.3)
    bars.legend(fontsize="small", ncols=min(len(methods), 4))

    for method in methods:
        score = [metric.value(records[(s, method)]) for s in mean_over]
        seconds = [records[(s, method)].get("timings", {}).get("fit_seconds") for s in mean_over]
        score = [v for v in score if v is not None]
        seconds = [v for v in seconds if v]
        if score and seconds:
            tradeoff.scatter(
                sum(seconds) / len(seconds),
                sum(score) / len(score),
                color=colors[method],
                s=40,
                label=method,
            )
            tradeoff.annotate(
                method,
                (sum(seconds) / len(seconds), sum(score) / len(score)),
                fontsize="x-small",
                xytext=(4, 3),
                textcoords="offset points",
            )
    tradeoff.set_xscale("log")
    tradeoff.set_xlabel("mean fit time (s, log)")
    tradeoff.set_ylabel(f"mean {metric.title}")
    tradeoff.set_title("quality vs. time")
    tradeoff.grid(alpha=0.3)
    figure.tight_layout()
    return _save(figure, path)


def curve_chart(
    path: Path,
    records: dict[tuple[str, str], dict[str, Any]],
    sequences: Sequence[str],
    methods: Sequence[str],
    kind: str,
    title: str,
) -> Path | None:
    """PSNR-versus-epoch panels, one per sequence; None (no file) if no record has a curve.

    Args:
        path: PNG to write.
        records: `(sequence, method) -> record`.
        sequences: One panel each.
        methods: Lines (neural methods with a curve) or dashed levels (the others).
        kind: "inpaint" plots hole PSNR, "denoise" whole-frame PSNR.
        title: Figure title.
    """
    key = "psnr_holes" if kind == "inpaint" else "psnr"
    if not any(record.get("curve") for record in records.values()):
        return None
    colors = _colors(methods)
    columns = min(len(sequences), 3)
    rows = -(-len(sequences) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False, sharex=True
    )
    for axis, sequence in zip(axes.flat, sequences, strict=False):
        for method in methods:
            record = records.get((sequence, method))
            if record is None:
                continue
            curve = [point for point in record.get("curve", []) if point.get(key) is not None]
            if curve:
                axis.plot(
                    [point["epoch"] for point in curve],
                    [point[key] for point in curve],
                    marker="o" if len(curve) < 15 else None,
                    markersize=3,
                    color=colors[method],
                    label=method,
                )
            elif record.get("scores", {}).get(key) is not None:
                axis.axhline(
                    record["scores"][key],
                    linestyle="--",
                    linewidth=1,
                    color=colors[method],
                    label=f"{method} (final)",
                )
        axis.set_title(sequence, fontsize="medium")
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel("hole PSNR (dB)" if kind == "inpaint" else "PSNR (dB)")
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[len(sequences) :]:
        axis.axis("off")
    handles, labels = [], []
    for axis in axes.flat:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    figure.legend(handles, labels, loc="lower center", ncols=min(len(labels), 5), fontsize="small")
    figure.suptitle(title)
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    return _save(figure, path)


def zoom_window(mask: np.ndarray | None, height: int, width: int) -> tuple[int, int, int, int]:
    """A square window `(top, left, bottom, right)` around the hole nearest the frame centre.

    Its side is three times the hole's larger side, at least a third of the frame's smaller side;
    without a mask (or hole) it is the central square of half the smaller side.

    Args:
        mask: uint8 or bool `(H, W)`, non-zero = hole; or None.
        height: Frame height.
        width: Frame width.
    """
    side = max(min(height, width) // 2, 1)
    center_y, center_x = height // 2, width // 2
    if mask is not None and mask.any():
        count, _, stats, centroids = cv2.connectedComponentsWithStats(
            (mask > 0).astype(np.uint8), connectivity=8
        )
        distances = [
            (centroids[i][0] - width / 2) ** 2 + (centroids[i][1] - height / 2) ** 2
            for i in range(1, count)
        ]
        nearest = 1 + int(np.argmin(distances))
        left, top, box_w, box_h = stats[nearest][:4]
        side = max(3 * max(box_w, box_h), min(height, width) // 3)
        center_y, center_x = top + box_h // 2, left + box_w // 2
    side = min(side, height, width)
    top = int(np.clip(center_y - side // 2, 0, height - side))
    left = int(np.clip(center_x - side // 2, 0, width - side))
    return top, left, top + side, left + side


def sample_strip(
    path: Path,
    panels: Sequence[tuple[str, Path]],
    mask_path: Path | None,
    title: str,
) -> Path:
    """A strip of one frame: each panel's full frame on top, the zoom window below.

    Args:
        path: PNG to write.
        panels: `(caption, png)` in display order (input, methods..., ground truth).
        mask_path: The frame's mask PNG (the zoom goes to a hole), or None.
        title: Figure title.
    """
    images = [read_png(png) for _, png in panels]
    height, width = images[0].shape[:2]
    mask = None if mask_path is None else read_png(mask_path)[..., 0] > 127
    top, left, bottom, right = zoom_window(mask, height, width)
    columns = len(images)
    figure, axes = plt.subplots(
        2,
        columns,
        figsize=(2.6 * columns, 2.6 * height / width + 2.7),
        squeeze=False,
        gridspec_kw={"height_ratios": [height / width, 1]},
    )
    for column, ((caption, _), image) in enumerate(zip(panels, images, strict=True)):
        full, zoom = axes[0][column], axes[1][column]
        full.imshow(image)
        full.add_patch(
            plt.Rectangle(
                (left - 0.5, top - 0.5),
                right - left,
                bottom - top,
                fill=False,
                edgecolor="yellow",
                linewidth=1,
            )
        )
        full.set_title(caption, fontsize="small")
        zoom.imshow(image[top:bottom, left:right], interpolation="nearest")
        window = None if mask is None else mask[top:bottom, left:right]
        if window is not None and window.any() and not window.all():
            zoom.contour(
                window.astype(float),
                levels=[0.5],
                colors="red",
                linewidths=0.6,
                alpha=0.6,
            )
        for axis in (full, zoom):
            axis.set_xticks([])
            axis.set_yticks([])
    figure.suptitle(title, fontsize="medium")
    figure.tight_layout()
    return _save(figure, path)
