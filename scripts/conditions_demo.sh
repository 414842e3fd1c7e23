#!/usr/bin/env bash
# Operating conditions end to end on generated BDD-style frames: audit by condition, repair the
# worst condition of one label (target --where), gate it (LABEL@timeofday=night>=X), and the
# risk table before and after. docs/conditions.md shows the outputs of one run.
# Usage: bash scripts/conditions_demo.sh [OUTPUT_DIR] [GATE]
#   OUTPUT_DIR: default conditions-demo/; GATE: the night accuracy to require, default 60.
# Needs `repair` on PATH (python3 -m venv .venv && .venv/bin/pip install -e .).
set -euo pipefail

if ! command -v repair >/dev/null 2>&1; then
  echo "error: the repair command is not on PATH; from the repository root, install it with" \
    "'python3 -m venv .venv && .venv/bin/pip install -e .' and run" \
    "'PATH=\"\$PWD/.venv/bin:\$PATH\" bash scripts/conditions_demo.sh'" >&2
  exit 127
fi

out="${1:-conditions-demo}"
gate="${2:-60}"
frames="$out/frames"
labels="$out/labels"
data="$out/data"
model="$out/model"
start=$SECONDS
step() { printf '\n==> %s\n' "$*"; }
python=$(command -v python3 || command -v python)

step "frames: 300 generated 640x360 frames, 12 objects each, with weather, timeofday, scene"
"$python" - "$frames" "$labels/det_synthetic.json" <<'PY'
import sys
from collections import Counter
from pathlib import Path

from repair.datasets.bdd.synthetic import write_frames

frames = write_frames(Path(sys.argv[1]), Path(sys.argv[2]), 300, objects_per_frame=12,
                      width=640, height=360, seed=1)
for key in ("weather", "timeofday", "scene"):
    counts = Counter(f["attributes"].get(key, "undefined") for f in frames)
    print(f"{key}: " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items())))
PY

step "crop and pack: create_category_dir, prepare bdd-objects (the frame attributes per image)"
repair create_category_dir --input_dir="$frames" --label_file="$labels/det_synthetic.json" \
  --output_dir="$out/crops" --min_area=400 >/dev/null
repair prepare bdd-objects --input_dir="$out/crops" --output_dir="$data" \
  --data_ratio=0.6,0.1,0.15,0.15 --random_state=0 >/dev/null
echo "splits in $data: train.h5 val.h5 test.h5 repair.h5"

step "train: the base CNN, 10 epochs"
repair train --model=base --data_dir="$data" --output_dir="$model" --epochs=10 --random_state=0

step "audit by condition: test.h5 per timeofday and weather"
repair audit --model_dirs="$model" --data_dir="$data" --target_data=test.h5 \
  --strata=timeofday,weather --output_dir="$out/audit-before" >/dev/null
# The worst label at night: the lowest night accuracy among labels with at least 10 test images
# at night and misclassified night images in repair.h5 (checked after target below).
"$python" - "$out/audit-before/audit_labels.csv" <<'PY' | tee "$out/night.txt"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["kind"].startswith("timeofday=")]
by = {}
for r in rows:
    by.setdefault((r["label"], r["name"]), {})[r["kind"].split("=", 1)[1]] = (r["accuracy"], r["n"])
times = sorted({r["kind"].split("=", 1)[1] for r in rows})
print("| label | name | " + " | ".join(times) + " |")
print("|---|---|" + "---|" * len(times))
for (label, name), cells in sorted(by.items(), key=lambda kv: int(kv[0][0])):
    print(f"| {label} | {name} | " + " | ".join(
        f"{float(cells[t][0]):.1f}% of {cells[t][1]}" if t in cells else "" for t in times) + " |")
PY

step "target --where timeofday=night: split only the night images of repair.h5"
repair target --model_dir="$model" --data_dir="$data" --where='timeofday=night'
label=$("$python" - "$out/audit-before/audit_labels.csv" "$data/negative" <<'PY'
import csv, os, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]))
        if r["kind"] == "timeofday=night" and int(r["n"]) >= 10
        and os.path.isfile(os.path.join(sys.argv[2], r["label"], "repair.h5"))]
print(min(rows, key=lambda r: float(r["accuracy"]))["name"])
PY
)
index=$(repair utils label_index --data_dir="$data" --label="$label")
echo "worst label at night with night negatives to repair: $label ($index)"

step "gate before: $label@timeofday=night>=$gate on the original model"
repair utils compare --before="$out/audit-before" --after="$out/audit-before" \
  --require="$label@timeofday=night>=$gate" || echo "(exit status $?: the gate fails)"

step "risk before: existence, miss rate and risk at night on test.h5"
repair utils risk_calculation_tool --calc_target=scene_prob_and_miss_rate \
  --h5_dataset_path="$data/test.h5" --scalabel_format_label_path="$labels" \
  --attributes=timeofday=night --model_dir="$model" --output_dir="$out/risk-before"

step "localize + optimize: Arachne (journal version) on the night negatives of $label"
# --version tosem: weights of every Dense and Conv2D layer, differential evolution, a fitness
# per input over every positive (docs/arachne.md); v1 patched none of these negatives.
target="$data/negative/$index"
repair localize --method=Arachne --version=tosem --model_dir="$model" \
  --target_data_dir="$target" --positive_inputs_dir="$data/positive"
repair optimize --method=Arachne --version=tosem --model_dir="$model" \
  --target_data_dir="$target" --positive_inputs_dir="$data/positive" --random_state=0

require="$label@timeofday=night>=$gate,@timeofday=night>=-5,overall>=-2"
step "audit after, and the gates: $require"
# The gate on the repaired label, no label losing more than 5 points at night, overall -2 at most.
repair audit --model_dirs="$target/repair" --data_dir="$data" --target_data=test.h5 \
  --strata=timeofday,weather --output_dir="$out/audit-after" >/dev/null
repair utils compare --before="$out/audit-before" --after="$out/audit-after" \
  --require="$require" || echo "(exit status $?: a requirement fails)"

step "risk after"
repair utils risk_calculation_tool --calc_target=scene_prob_and_miss_rate \
  --h5_dataset_path="$data/test.h5" --scalabel_format_label_path="$labels" \
  --attributes=timeofday=night --model_dir="$target/repair" --output_dir="$out/risk-after"

step "optimize again, protecting every label at night on the search's inputs and val.h5"
protected="$out/protected"
repair localize --method=Arachne --version=tosem --model_dir="$model" \
  --target_data_dir="$target" --positive_inputs_dir="$data/positive" --output_dir="$protected" \
  >/dev/null
repair optimize --method=Arachne --version=tosem --model_dir="$model" \
  --target_data_dir="$target" --positive_inputs_dir="$data/positive" --random_state=0 \
  --output_dir="$protected" --protect='@timeofday=night>=-5,overall>=-1' \
  --validation_data="$data/val.h5"
repair audit --model_dirs="$protected/repair" --data_dir="$data" --target_data=test.h5 \
  --strata=timeofday,weather --output_dir="$out/audit-protected" >/dev/null
repair utils compare --before="$out/audit-before" --after="$out/audit-protected" \
  --require="$require" || echo "(exit status $?: a requirement fails)"
repair utils risk_calculation_tool --calc_target=scene_prob_and_miss_rate \
  --h5_dataset_path="$data/test.h5" --scalabel_format_label_path="$labels" \
  --attributes=timeofday=night --model_dir="$protected/repair" --output_dir="$out/risk-protected"

printf '\nconditions demo finished in %ss; outputs under %s/\n' "$((SECONDS - start))" "$out"
