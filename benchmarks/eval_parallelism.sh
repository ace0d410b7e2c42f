#!/usr/bin/env bash
# How `restore eval davis` should split the CPU cores. Runs one batch (the `cpu` profile cut to
# EPOCHS epochs, no PSNR curve, no report) RUNS times in each mode, alternating the modes so drift
# on the machine hits them all, and prints each run's wall time and the median per mode:
#   default  the harness's default: 2 workers x 1 thread on 2 cores, idle cores handed to the
#            jobs still running at the end of the batch
#   2x1      2 workers x 1 thread, fixed (--threads-per-worker 1 turns the hand-over off)
#   1x2      1 worker x 2 threads
# Scores are the same in every mode (same seed); only the time differs.
#   bash benchmarks/eval_parallelism.sh [DAVIS_ROOT] [EPOCHS] [RUNS] [SEQUENCES] [METHODS] [MODES]
# e.g. an even batch (4 jobs):  bash benchmarks/eval_parallelism.sh ../shared/data/davis 6 2
#      an odd one (3 HNeRV fits): bash benchmarks/eval_parallelism.sh ../shared/data/davis 6 1 \
#                                     blackswan,bmx-trees,car-shadow hnerv "default 2x1 1x2"
set -euo pipefail
root=${1:-../shared/data/davis}
epochs=${2:-6}
runs=${3:-2}
sequences=${4:-blackswan,car-shadow}
methods=${5:-hnerv,nerv}
modes=${6:-default 1x2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

flags() {
    case $1 in
        default) ;;
        2x1) echo "--workers 2 --threads-per-worker 1" ;;
        1x2) echo "--workers 1 --threads-per-worker 2" ;;
        *) echo "unknown mode $1" >&2; exit 2 ;;
    esac
}

batch() {  # $1 mode; prints the wall seconds
    local start end
    start=$(date +%s%N)
    # shellcheck disable=SC2046
    .venv/bin/restore eval davis --root "$root" --sequences "$sequences" --methods "$methods" \
        --task inpaint-boxes --profile cpu --epochs "$epochs" --curve-every 0 --no-report \
        --force --out "$work/$1" $(flags "$1") > "$work/$1.log" 2>&1
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000000 ))e-3"
}

echo "batch: $sequences x $methods, cpu profile, $epochs epochs, $runs run(s) per mode"
declare -A times
for run in $(seq "$runs"); do
    for mode in $modes; do
        seconds=$(batch "$mode")
        times[$mode]+="$seconds "
        printf 'run %d  %-8s %.1f s\n' "$run" "$mode" "$seconds"
    done
done
for mode in $modes; do
    # shellcheck disable=SC2086
    median=$(printf '%s\n' ${times[$mode]} | sort -g | awk '{a[NR]=$1} END {print (a[int((NR+1)/2)] + a[int(NR/2)+1]) / 2}')
    printf 'median  %-8s %.1f s\n' "$mode" "$median"
done
