#!/usr/bin/env bash
# Every method of the plugin on the synthetic target set, from scratch and
# from the stock baseline trained on the synthetic source set, plus the
# supervised upper bounds; then one comparison table and plots
# (docs/RESULTS.md quotes them). About 40 minutes on a 2-core CPU.
#
#   bash benchmarks/synthetic_methods.sh [OUTPUT=logs/methods]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-logs/methods}
PY=${PYTHON:-.venv/bin/python}
export PYTHONUNBUFFERED=1

run() {  # run NAME CONFIG [KEY VALUE ...]
  local name=$1 config=$2
  shift 2
  if [ -f "$OUT/$name/final_metrics.json" ]; then echo "== $name: done already"; return; fi
  echo "== $name"
  "$PY" tools/train_net.py --config-file "$config" "$@" OUTPUT_DIR "$OUT/$name" > "$OUT/$name.log" 2>&1
  tail -4 "$OUT/$name.log"
}
mkdir -p "$OUT"
BASE=$OUT/bagtricks_source/model_final.pth

run bagtricks_source configs/Baselines/synth_bagtricks_SmallCNN.yml
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

"$PY" tools/compare.py "$OUT"/*/ --dataset SyntheticTarget --output "$OUT"
