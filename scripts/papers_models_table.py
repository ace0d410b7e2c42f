"""Prints the docs/papers-models.md table from the comparison's records."""

import json
import sys
from pathlib import Path

rows = []
for path in sorted(Path(sys.argv[1]).glob("records/inpaint-boxes/*/blackswan__*.json")):
    record = json.loads(path.read_text())
    if record["status"] != "ok":
        rows.append(f"| {record['method']} | {path.parent.name} | error: {record['error']} |")
        continue
    scores, fit, timings = record["scores"], record["fit"], record["timings"]
    size = fit["size"]["total"] / 1e6
    rows.append(
        f"| {record['method']} | {record.get('recipe', 'engine')} | {fit['optimizer']} "
        f"{fit['lr']:g}, {fit['loss']} | {size:.3f} | {scores['psnr_raw']:.2f} | "
        f"{scores['psnr_holes']:.2f} | {scores['psnr']:.2f} | {fit['recoveries']} | "
        f"{timings['fit_seconds']:.0f} |"
    )
print(
    "| model | recipe | optimiser, lr, loss | params (M) | raw PSNR | hole PSNR | PSNR | "
    "rollbacks | fit s |"
)
print("|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
