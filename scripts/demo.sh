#!/usr/bin/env bash
# The demo pipeline on localhost: generate the addition task's data, then run SFT on it.
# Output lands in runs/demo/: checkpoints, metrics.jsonl and summary.json.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${THREADS:-$(nproc)}
build/bin/fulcrum-data --task=addition --out=data/addition --train=100000 --heldout=500 --seed=1
build/bin/fulcrum-learner --sft_config=configs/sft_addition.yaml --threads="$threads"
echo
echo "demo: summary in runs/demo/sft/summary.json"
cat runs/demo/sft/summary.json
