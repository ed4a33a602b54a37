#!/usr/bin/env bash
# Every method of the plugin on the synthetic target set, from scratch and
# from the stock baseline trained on the synthetic source set, plus the
# supervised upper bounds; then one comparison table and plots
# (docs/RESULTS.md quotes them). About an hour per seed on a 2-core CPU.
#
#   bash benchmarks/synthetic_methods.sh [OUTPUT=logs/methods] [SEEDS=1]
#   SEEDS=3 bash benchmarks/synthetic_methods.sh logs/methods
#   SEEDS=3 JOBS=2 bash benchmarks/synthetic_methods.sh logs/methods
#
# JOBS=N runs N trainings at a time, each with (cores / N) threads but at
# least 2 (unless OMP_NUM_THREADS is set), for machines with many cores,
# which one small-CNN run cannot keep busy. The runs from the baseline wait
# for the seed-0 source baseline. Measured on 2 cores (HHCL synth.yml, time
# per step): one run 0.11 s; two at a time with 2 threads each 0.18 s (1.2x
# the throughput); two at a time with 1 thread each 1.08 s (5x less), hence
# the floor of 2 threads.
#
# Every run is repeated with SEED 0 .. SEEDS-1 into OUTPUT/<name>_seed<s>;
# tools/compare.py groups the runs of one config (equal but for SEED and
# OUTPUT_DIR) into one row, mean ± std over the seeds. The runs "from the
# baseline" all start from the seed-0 source baseline, so that they stay one
# config and their spread is that of the adaptation alone.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-logs/methods}
SEEDS=${2:-${SEEDS:-1}}
JOBS=${JOBS:-1}
case $SEEDS in ''|*[!0-9]*|0) echo "SEEDS must be a positive integer, got '$SEEDS'" >&2; exit 2;; esac
case $JOBS in ''|*[!0-9]*|0) echo "JOBS must be a positive integer, got '$JOBS'" >&2; exit 2;; esac
if [ "$JOBS" -gt 1 ] && [ -z "${OMP_NUM_THREADS:-}" ]; then
  threads=$(( $(nproc) / JOBS )); export OMP_NUM_THREADS=$(( threads > 2 ? threads : 2 ))
fi
PY=${PYTHON:-.venv/bin/python}
export PYTHONUNBUFFERED=1

train() {  # train NAME CONFIG [KEY VALUE ...]: one training, its log in $OUT/NAME.log
  local name=$1 config=$2
  shift 2
  if "$PY" tools/train_net.py --config-file "$config" "$@" OUTPUT_DIR "$OUT/$name" > "$OUT/$name.log" 2>&1; then
    echo "== $name done"; tail -4 "$OUT/$name.log"
  else
    echo "== $name FAILED, see $OUT/$name.log" >&2; tail -20 "$OUT/$name.log" >&2; return 1
  fi
}

failed=0
wait_for_slot() {  # until fewer than $1 trainings run; a failed one fails the script at the end
  while [ "$(jobs -rp | wc -l)" -ge "$1" ]; do wait -n || failed=1; done
}

run() {  # run NAME CONFIG [KEY VALUE ...], with SEED $seed into $OUT/NAME_seed$seed
  local name=${1}_seed$seed config=$2
  shift 2
  if [ -f "$OUT/$name/final_metrics.json" ]; then echo "== $name: done already"; return; fi
  if [ "$JOBS" -eq 1 ]; then
    echo "== $name started"
    train "$name" "$config" "$@" SEED "$seed"
  else
    wait_for_slot "$JOBS"
    echo "== $name started"
    train "$name" "$config" "$@" SEED "$seed" &
  fi
}
mkdir -p "$OUT"
BASE=$OUT/bagtricks_source_seed0/model_final.pth

seed=0 run bagtricks_source configs/Baselines/synth_bagtricks_SmallCNN.yml
wait_for_slot 1  # every run from the baseline starts from it
[ "$failed" -eq 0 ] || exit 1
for seed in $(seq 0 $((SEEDS - 1))); do
  [ "$seed" -eq 0 ] || run bagtricks_source configs/Baselines/synth_bagtricks_SmallCNN.yml
  run bagtricks_target configs/Baselines/synth_target_bagtricks_SmallCNN.yml
  for init in scratch baseline; do
    weights=""; [ $init = baseline ] && weights=$BASE
    run hhcl_$init                configs/HHCL/synth.yml            MODEL.WEIGHTS "$weights"
    run hhcl_release_$init        configs/HHCL/synth.yml            MODEL.WEIGHTS "$weights" MODEL.MEMORY.MODE hard_mean
    run clustercontrast_$init     configs/ClusterContrast/synth.yml MODEL.WEIGHTS "$weights"
    run clustercontrast_hard_$init configs/ClusterContrast/synth.yml MODEL.WEIGHTS "$weights" MODEL.MEMORY.MODE hard
    run hct_$init                 configs/HCT/synth.yml             MODEL.WEIGHTS "$weights"
  done
  run hhcl_gt_scratch            configs/HHCL/synth.yml            PSEUDO_LABELS.METHOD ground_truth
  run clustercontrast_gt_scratch configs/ClusterContrast/synth.yml PSEUDO_LABELS.METHOD ground_truth
  run hct_gt_scratch             configs/HCT/synth.yml             PSEUDO_LABELS.METHOD ground_truth
done
wait_for_slot 1
[ "$failed" -eq 0 ] || { echo "a training failed; the comparison is not made" >&2; exit 1; }

"$PY" tools/compare.py "$OUT"/*_seed*/ --dataset SyntheticTarget --output "$OUT"
