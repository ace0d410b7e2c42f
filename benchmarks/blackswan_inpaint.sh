#!/usr/bin/env bash
# The issue-4 comparison: DAVIS blackswan at 432x240 (first 50 frames), the five HNeRV boxes
# (12 px at 240 rows), 0.75M parameters and 150 epochs for the neural methods. One run per method
# through the CLI, one after the other (timings are per method, on an otherwise idle machine);
# then benchmarks/summarize_runs.py prints the table.
#   bash benchmarks/blackswan_inpaint.sh [DAVIS_ROOT] [OUT_DIR] [METHODS...]
set -euo pipefail
root=${1:-../shared/data/davis}
out=${2:-runs/blackswan}
shift $(( $# > 2 ? 2 : $# )) || true
methods=${*:-"hnerv nerv nerv-hblocks telea navier-stokes biharmonic temporal-fill flow-guided"}
mkdir -p "$out"
for method in $methods; do
    .venv/bin/restore inpaint "$root/JPEGImages/480p/blackswan" --resize 432x240 --max-frames 50 \
        --mask boxes --model-size 0.75 --epochs 150 --method "$method" -o "$out/$method.mp4" \
        2> "$out/$method.log"
done
.venv/bin/python benchmarks/summarize_runs.py "$out"/*.metrics.json
