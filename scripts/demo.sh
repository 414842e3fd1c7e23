#!/usr/bin/env bash
# The whole repair flow on the built-in digits dataset, one step per `repair` command.
# Usage: bash scripts/demo.sh [OUTPUT_DIR]   (default: demo/; needs `repair` on PATH)
set -euo pipefail

if ! command -v repair >/dev/null 2>&1; then
  echo "error: the repair command is not on PATH; from the repository root, install it with" \
    "'python3 -m venv .venv && .venv/bin/pip install -e .' and run" \
    "'PATH=\"\$PWD/.venv/bin:\$PATH\" bash scripts/demo.sh'" >&2
  exit 127
fi

out="${1:-demo}"
data="$out/data"
model="$out/model"
start=$SECONDS

step() { printf '\n==> %s\n' "$*"; }

step "prepare: the 1,797 scikit-learn digits into train/val/test/repair.h5"
repair prepare digits --output_dir="$data" --data_ratio=0.6,0.1,0.15,0.15 --random_state=0

step "train: a small CNN for 8 epochs"
repair train --model=base --data_dir="$data" --output_dir="$model" --epochs=8 --random_state=0

step "test: accuracy on test.h5, overall and per label"
repair test --model_dir="$model" --data_dir="$data"

step "target: split repair.h5 into positive (correct) and negative (misclassified) inputs"
repair target --model_dir="$model" --data_dir="$data"

step "localize + optimize: repair the weakest label with Arachne"
# The weakest label: the lowest test accuracy among the labels with misclassified repair inputs.
label=$(repair test --model_dir="$model" --data_dir="$data" --json | python3 -c '
import json, os, sys
scores = json.load(sys.stdin)["labels"]
found = [s for s in scores if os.path.isfile(os.path.join(sys.argv[1], str(s["label"]), "repair.h5"))]
print(min(found, key=lambda s: s["accuracy"])["label"])' "$data/negative")
target="$data/negative/$label"
repair localize --method=Arachne --model_dir="$model" --target_data_dir="$target"
# A label has only a handful of negatives here: sampling 50 positives rather than 200 gives
# fixing them more weight in Arachne's fitness (Eq. 1), at the risk of breaking a few positives.
repair optimize --method=Arachne --model_dir="$model" --target_data_dir="$target" \
  --positive_inputs_dir="$data/positive" --num_input_pos_sampled=50 --random_state=0

step "charts and comparison: per-label accuracy on test.h5 before and after repairing label $label"
repair utils draw_radar_chart --model_dir="$model" --data_dir="$data" --output_dir="$out/charts/before" >/dev/null
repair utils draw_radar_chart --model_dir="$target/repair" --data_dir="$data" \
  --output_dir="$out/charts/after" >/dev/null
repair utils overlay_radar_charts --input_dirs="$out/charts/before,$out/charts/after" \
  --legends="before,after repairing label $label" --output_dir="$out/charts" \
  --title="Accuracy per label (%) on $data/test.h5"
repair utils compare --before="$out/charts/before" --after="$out/charts/after"

printf '\ndemo finished in %ss; outputs under %s/\n' "$((SECONDS - start))" "$out"
