"""`restore eval report DIR`: Markdown tables, a CSV and PNG plots, built only from records.

Reads every record under `DIR/records` (`evaluation.records.load_records`) and writes, under
`DIR/report/`:

- `report.md`: per (task, profile): the protocol, the headline table (hole PSNR for inpainting,
  PSNR for denoising; sequences x methods, a mean row, the best method per sequence in bold, and
  the corrupted input for reference), a methods x metrics summary (whole composited frame, raw
  network output, SSIM, MS-SSIM, E_warp (DIS), fit time, s/frame/epoch, decoding FPS, peak
  memory), one table per metric, the plots, failed jobs, and a warning if two methods of a
  sequence were given different inputs (their input digests differ);
- `results.csv`: one row per record (`evaluation.tables.CSV_COLUMNS`);
- `bars_<task>__<profile>.png`, `curves_<task>__<profile>.png` and
  `strip_<task>__<profile>__<sequence>.png` (`evaluation.plots`).

Nothing is refitted or rescored, so a report can be rebuilt at any time, also while a batch runs.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.plots import bar_chart, curve_chart, sample_strip
from evaluation.records import load_records
from evaluation.tables import (
    METRIC_NOTES,
    complete_sequences,
    csv_text,
    headline_metric,
    metrics_for,
    sequence_table,
    summary_table,
)
from evaluation.tasks import task_kind
from restore.errors import InputError
from restore.io import atomic_write_text
from restore.methods import METHODS

REPORT_FOLDER = "report"


@dataclass(frozen=True)
class ReportFiles:
    """What `build_report` wrote."""

    markdown: Path  # DIR/report/report.md
    csv: Path  # DIR/report/results.csv
    plots: list[Path] = field(default_factory=list)  # every PNG
    records: int = 0  # records read
    errors: int = 0  # of which failed jobs


@dataclass
class _Group:
    """The records of one (task, profile label)."""

    task: str
    profile: str
    finished: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    failed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return f"{self.task}__{self.profile}"

    @property
    def methods(self) -> list[str]:
        """Methods with a finished record, in registry order; failures are listed apart, so a
        method that failed everywhere does not empty the mean row."""
        present = {m for _, m in self.finished}
        registry = [name for name in METHODS if name in present]
        return registry + sorted(present - set(registry))

    @property
    def sequences(self) -> list[str]:
        return sorted({s for s, _ in self.finished} | {r["sequence"] for r in self.failed})


def _groups(records: list[dict[str, Any]]) -> list[_Group]:
    groups: dict[tuple[str, str], _Group] = {}
    for record in records:
        label = record.get("profile", {}).get("label", "?")
        group = groups.setdefault((record["task"], label), _Group(record["task"], label))
        if record.get("status") == "ok":
            group.finished[(record["sequence"], record["method"])] = record
        else:
            group.failed.append(record)
    return [groups[key] for key in sorted(groups)]


def _protocol(group: _Group) -> str:
    """One paragraph: clip, model, task, code versions and devices of a group."""
    records = list(group.finished.values())
    if not records:
        return "No finished record."
    first = records[0]
    clip, profile = first["clip"], first["profile"]
    versions = sorted({r.get("code_version", "?") for r in records})
    devices = sorted({r.get("device", "?") for r in records})
    return (
        f"Clip: first {clip['frames']} frames at {clip['width']}x{clip['height']} "
        f"(`JPEGImages/{clip['resolution']}`). Neural methods: {profile['model_size']:g}M "
        f"parameters, {profile['epochs']} epochs, batch {profile['batch_size']}, seed "
        f"{profile['seed']}; classical methods use their defaults. Task: "
        f"{first.get('task_description', group.task)}. Code: {', '.join(versions)}. "
        f"Device: {', '.join(devices)}."
    )


def _input_warnings(group: _Group) -> list[str]:
    """Sequences whose methods were given different inputs (different input digests)."""
    digests: dict[str, set[str]] = defaultdict(set)
    for (sequence, _), record in group.finished.items():
        digests[sequence].add(record.get("input_digest", "?"))
    return [
        f"**Warning**: methods on {sequence} were given different inputs "
        f"(input digests {', '.join(sorted(values))}); rerun them with `--force`."
        for sequence, values in sorted(digests.items())
        if len(values) > 1
    ]


def _reference(group: _Group, kind: str) -> dict[str, float | None]:
    """The corrupted input's headline score per sequence (any method's record holds it)."""
    key = "psnr_holes_input" if kind == "inpaint" else "psnr_input"
    reference: dict[str, float | None] = {}
    for (sequence, _), record in group.finished.items():
        reference.setdefault(sequence, record.get("scores", {}).get(key))
    return reference


def _strip(group: _Group, sequence: str, kind: str, folder: Path) -> Path | None:
    """The sample strip of one sequence, or None if no method finished it."""
    metric = headline_metric(kind)
    records = [
        (method, group.finished[(sequence, method)])
        for method in group.methods
        if (sequence, method) in group.finished
    ]
    if not records:
        return None
    record_folder = Path(records[0][1]["_path"]).parent
    sample = records[0][1]["sample"]
    panels = [("input (corrupted)", record_folder / sample["input"])]
    for method, record in records:
        value = metric.value(record)
        caption = method if value is None else f"{method}\n{metric.title} {value:.2f}"
        panels.append((caption, Path(record["_path"]).parent / record["sample"]["output"]))
    panels.append(("ground truth", record_folder / sample["truth"]))
    mask = record_folder / sample["mask"] if sample.get("mask") else None
    return sample_strip(
        folder / f"strip_{group.slug}__{sequence}.png",
        panels,
        mask,
        f"{sequence}, frame {sample['frame']} ({group.task}, {group.profile}); "
        "scores are over the whole clip",
    )


def _group_section(group: _Group, folder: Path) -> tuple[str, list[Path]]:
    """The Markdown section and the plots of one group."""
    kind = task_kind(group.task)
    methods, sequences = group.methods, group.sequences
    headline = headline_metric(kind)
    finished = list(group.finished.values())
    metrics = metrics_for(kind, finished)
    plots: list[Path] = []
    lines = [f"## {group.task}, profile `{group.profile}`", "", _protocol(group), ""]
    lines += [*_input_warnings(group), ""] if _input_warnings(group) else []
    lines += [f"### {headline.heading}", "", METRIC_NOTES.get(headline.key, "") + ".", ""]
    lines.append(
        sequence_table(
            headline,
            group.finished,
            sequences,
            methods,
            reference=_reference(group, kind),
            reference_title="input",
        )
    )
    if finished:
        complete = complete_sequences(group.finished, sequences, methods)
        title = f"{group.task}, {group.profile}: {headline.title}"
        plots.append(
            bar_chart(
                folder / f"bars_{group.slug}.png",
                headline,
                group.finished,
                sequences,
                methods,
                title,
                complete,
            )
        )
        lines += [f"![{headline.title} per sequence]({plots[-1].name})", ""]
        curves = curve_chart(
            folder / f"curves_{group.slug}.png",
            group.finished,
            sequences,
            methods,
            kind,
            f"{group.task}, {group.profile}: PSNR against the ground truth during fitting",
        )
        if curves is not None:
            plots.append(curves)
            lines += [f"![PSNR versus epoch]({curves.name})", ""]
        lines += ["### Summary (means over the same sequences)", ""]
        lines += [summary_table(metrics, group.finished, sequences, methods), ""]
        lines += [f"- {m.title}: {METRIC_NOTES[m.key]}." for m in metrics if m.key in METRIC_NOTES]
        lines += ["", "### Sample frames", ""]
        for sequence in sequences:
            strip = _strip(group, sequence, kind, folder)
            if strip is not None:
                plots.append(strip)
                lines += [f"![{sequence}]({strip.name})", ""]
        lines += ["<details><summary>Every metric per sequence</summary>", ""]
        for metric in metrics:
            if metric.key == headline.key:
                continue
            lines += [f"#### {metric.heading}", ""]
            lines += [sequence_table(metric, group.finished, sequences, methods), ""]
        lines += ["</details>", ""]
    if group.failed:
        lines += ["### Failed jobs", ""]
        lines += [
            f"- {r['sequence']} / {r['method']}: {r.get('error', 'unknown error')}"
            for r in sorted(group.failed, key=lambda r: (r["sequence"], r["method"]))
        ]
        lines.append("")
    return "\n".join(lines), plots


def build_report(out_dir: str | Path) -> ReportFiles:
    """Builds `DIR/report/` (see the module docstring) from the records under `DIR/records`.

    Args:
        out_dir: The folder given to `restore eval davis --out`.

    Returns:
        The files written.

    Raises:
        FileNotFoundError: If `DIR/records` does not exist.
        ValueError: If it holds no record.
    """
    records = load_records(out_dir)
    if not records:
        raise InputError(
            f"DIR: expected evaluation records under {Path(out_dir) / 'records'}, found none"
        )
    folder = Path(out_dir) / REPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    sections, plots = [], []
    for group in _groups(records):
        section, group_plots = _group_section(group, folder)
        sections.append(section)
        plots += group_plots
    errors = sum(record.get("status") != "ok" for record in records)
    header = (
        f"# DAVIS evaluation\n\nBuilt {created} from {len(records)} records in "
        f"`{Path(out_dir) / 'records'}` ({errors} failed); rebuild with "
        f"`restore eval report {out_dir}`. Data: [results.csv](results.csv).\n"
    )
    markdown = atomic_write_text(folder / "report.md", header + "\n" + "\n".join(sections))
    csv_path = atomic_write_text(folder / "results.csv", csv_text(records))
    return ReportFiles(markdown, csv_path, plots, len(records), errors)
