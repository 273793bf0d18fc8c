#!/usr/bin/env bash
# RARL on verl: export the exams, then train with verl's PPO trainer in Dr. GRPO mode.
#   bash benchmarks/recipes/verl/run_rarl.sh [extra Hydra overrides...]
# Budget 1024 by default; for the 512 setting: BUDGET=512 bash run_rarl.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
BUDGET=${BUDGET:-1024}
osmckp export verl --split train --budget "$BUDGET" --n-exams 2000 --out runs/verl-data
osmckp export verl --split eval --budget "$BUDGET" --n-exams 100 --out runs/verl-data
mapfile -t OVERRIDES < <(sed -n 's/^- \([^#]*\).*/\1/p' benchmarks/recipes/verl/rarl_overrides.yaml | sed 's/[[:space:]]*$//')
python -m verl.trainer.main_ppo "${OVERRIDES[@]}" data.max_response_length="$BUDGET" "$@"
