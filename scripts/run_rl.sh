#!/usr/bin/env bash
# Runs one RL stage by hand on localhost, each role its own process:
#   fulcrum-reward (the task's verifier), fulcrum-reference (only when kl_coef > 0),
#   fulcrum-learner --rl_config=<config>, and ACTORS rollout actors (default 1: on 2 cores a second
#   actor only competes with the learner; add more where there are more cores).
# Ports are picked by the services (port 0) and read from their "listening on" lines. Logs go to
# <out_dir>/logs/<role>.log; the learner's summary to <out_dir>/summary.json.
#   scripts/run_rl.sh configs/grpo_addition.yaml
# Environment: ACTORS (1), LEARNER_THREADS (1), ACTOR_THREADS (1), BIN (build/bin).
set -euo pipefail
config=${1:?usage: scripts/run_rl.sh <rl_config.yaml>}
bin=${BIN:-build/bin}
actors=${ACTORS:-1}

# The few keys this script needs, read from the top level of the YAML (task.name is indented).
key() { sed -n "s/^$1:[[:space:]]*\([^#]*\).*/\1/p" "$config" | tr -d '"'"'"' ' | head -1; }
out_dir=$(key out_dir)
policy_init=$(key policy_init)
kl_coef=$(key kl_coef)
task=$(sed -n -e 's/^task:.*name:[[:space:]]*\([a-z_]*\).*/\1/p' \
             -e '/^task:/,/^[^ ]/s/^[[:space:]]\+name:[[:space:]]*\([a-z_]*\).*/\1/p' "$config" | head -1)
[[ -n "$out_dir" && -n "$policy_init" && -n "$task" ]] || { echo "run_rl.sh: $config needs out_dir, policy_init and task.name" >&2; exit 2; }
logs="$out_dir/logs"
mkdir -p "$logs"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a service in the background; sets `address` to its host:port once its log says it listens.
start_service() {
  local name=$1; shift
  "$@" > "$logs/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  address=""
  for _ in $(seq 1 600); do
    address=$(sed -n 's/.* listening on \(.*\)$/\1/p' "$logs/$name.log" | head -1)
    [[ -n "$address" ]] && return 0
    kill -0 "$pid" 2>/dev/null || { echo "run_rl.sh: $name exited at start; see $logs/$name.log:" >&2; tail -3 "$logs/$name.log" >&2; return 1; }
    sleep 0.1
  done
  echo "run_rl.sh: $name did not start listening within 60 s; see $logs/$name.log" >&2
  return 1
}

start_service reward "$bin/fulcrum-reward" --scorer=verifier --task="$task"
reward=$address
reference_flag=()
if [[ -n "$kl_coef" && "$kl_coef" != "0" && "$kl_coef" != "0.0" ]]; then
  start_service reference "$bin/fulcrum-reference" --checkpoint="$policy_init" --threads=1
  reference_flag=(--reference="$address")
fi
start_service learner "$bin/fulcrum-learner" --rl_config="$config" --threads="${LEARNER_THREADS:-1}"
learner=$address
learner_pid=${pids[-1]}
echo "run_rl.sh: reward $reward, learner $learner${reference_flag:+, reference ${reference_flag[0]#--reference=}}; $actors actors; logs in $logs"
for i in $(seq 1 "$actors"); do
  "$bin/fulcrum-actor" --learner="$learner" --reward="$reward" "${reference_flag[@]}" --actor_id="actor-$i" \
      --seed="$i" --threads="${ACTOR_THREADS:-1}" --exit_when_finished > "$logs/actor-$i.log" 2>&1 &
  pids+=($!)
done
tail -n +1 -f "$logs/learner.log" --pid="$learner_pid" | grep --line-buffered -v "listening on" || true
wait "$learner_pid"
