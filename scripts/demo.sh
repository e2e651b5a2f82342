#!/usr/bin/env bash
# The demo pipeline on localhost: `fulcrum run configs/demo.yaml` (data → SFT → RM → RL → eval), each
# role its own process. A run that was interrupted is resumed; a finished one is started afresh.
# Output lands in runs/demo/: summary.json, curves.png, metrics.jsonl, one folder per stage.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=${THREADS:-$(nproc)}
if [[ -f runs/demo/state.json ]] && ! grep -q '"status": "done"' <(tail -n 3 runs/demo/state.json); then
  echo "demo: resuming the interrupted run in runs/demo (delete the folder to start over)"
  build/bin/fulcrum run --resume runs/demo --threads="$threads"
else
  rm -rf runs/demo
  build/bin/fulcrum run configs/demo.yaml --threads="$threads"
fi
echo
build/bin/fulcrum status runs/demo
