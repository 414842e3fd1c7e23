#!/usr/bin/env bash
# The whole repair flow on the built-in digits dataset, one step per `repair` command.
# Usage: bash scripts/demo.sh [OUTPUT_DIR]   (default: demo/; needs `repair` on PATH)
set -euo pipefail

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

printf '\ndemo finished in %ss; outputs under %s/\n' "$((SECONDS - start))" "$out"
