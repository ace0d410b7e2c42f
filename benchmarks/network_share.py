"""The network's share in the hybrid, from harness records: per task, per sequence and mean.

    python benchmarks/network_share.py runs/eval-inpaint-center runs/eval-inpaint-objects \
        [--csv-dir docs/data]

Each folder is the ``--out`` of one ``restore eval davis`` batch run with
``--methods hybrid,hybrid:network=none,flow-guided,telea``. For each task it prints hole PSNR /
hole SSIM / hole E_warp (x1e3) / job seconds for the four methods, the network's share (hybrid
minus ``hybrid:network=none``), the per-sequence best classical method and the hybrid's margin
over it, then the issue's targets as met or missed.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

METHODS = ("hybrid", "hybrid:network=none", "flow-guided", "telea")


def load(folder: Path) -> dict[str, dict[str, dict[str, dict]]]:
    """task -> sequence -> method -> record (finished records only)."""
    tables: dict = defaultdict(lambda: defaultdict(dict))
    for path in sorted(folder.glob("records/*/*/*.json")):
        record = json.loads(path.read_text())
        if record.get("status") != "done" and "scores" not in record:
            continue
        tables[record["task"]][record["sequence"]][record["method"]] = record
    return tables


def cell(record: dict | None) -> tuple[float, float, float, float] | None:
    if record is None:
        return None
    scores, timings = record["scores"], record["timings"]
    return (
        scores["psnr_holes"],
        scores["ssim_holes"],
        scores["warp_error_holes"] * 1e3,
        timings.get("job_seconds", timings.get("total_seconds", 0.0)),
    )


def report(task: str, sequences: dict[str, dict[str, dict]], csv_dir: Path | None) -> None:
    complete = {s: m for s, m in sequences.items() if all(k in m for k in METHODS)}
    print(f"\n## {task} ({len(complete)} of {len(sequences)} sequences with all four methods)\n")
    header = [
        "sequence",
        *METHODS,
        "network's share",
        "best classical",
        "hybrid - best",
        "hybrid:network=none - best",
    ]
    print("| " + " | ".join(header) + " |")
    print("|---" * len(header) + "|")
    rows, sums = [], defaultdict(float)
    for sequence, methods in sorted(complete.items()):
        cells = {name: cell(methods[name]) for name in METHODS}
        share = cells["hybrid"][0] - cells["hybrid:network=none"][0]
        best = max(cells["flow-guided"][0], cells["telea"][0])
        margin = cells["hybrid"][0] - best
        free_margin = cells["hybrid:network=none"][0] - best
        text = [f"{c[0]:.2f} / {c[1]:.3f} / {c[2]:.3f} / {c[3]:.0f}" for c in cells.values()]
        print(
            f"| {sequence} | "
            + " | ".join(text)
            + f" | {share:+.2f} | {best:.2f} | {margin:+.2f} | {free_margin:+.2f} |"
        )
        row = {"sequence": sequence}
        for name, c in cells.items():
            for label, value in zip(
                ("psnr_holes", "ssim_holes", "ewarp_holes_e3", "job_s"), c, strict=True
            ):
                row[f"{name} {label}"] = round(value, 4)
                sums[(name, label)] += value
        row.update(share=round(share, 2), best=round(best, 2), margin=round(margin, 2))
        sums["share"] += share
        sums["best"] += best
        sums["margin"] += margin
        sums["free_margin"] += free_margin
        rows.append(row)
    count = len(rows)
    if not count:
        return
    means = [
        f"{sums[(n, 'psnr_holes')] / count:.2f} / {sums[(n, 'ssim_holes')] / count:.3f} / "
        f"{sums[(n, 'ewarp_holes_e3')] / count:.3f} / {sums[(n, 'job_s')] / count:.0f}"
        for n in METHODS
    ]
    print(
        f"| **mean ({count})** | "
        + " | ".join(means)
        + f" | **{sums['share'] / count:+.2f}** | {sums['best'] / count:.2f} | "
        f"{sums['margin'] / count:+.2f} | {sums['free_margin'] / count:+.2f} |"
    )
    worst = min(row["margin"] for row in rows)
    print(
        f"\nworst sequence, hybrid - best classical: {worst:+.2f} dB; "
        f"hybrid job {sums[('hybrid', 'job_s')] / count:.0f} s vs network-free "
        f"{sums[('hybrid:network=none', 'job_s')] / count:.0f} s"
    )
    if csv_dir is not None:
        path = csv_dir / f"network-share-{task}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"written: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--csv-dir", type=Path, default=None)
    arguments = parser.parse_args()
    for folder in arguments.folders:
        for task, sequences in load(folder).items():
            report(task, sequences, arguments.csv_dir)


if __name__ == "__main__":
    main()
