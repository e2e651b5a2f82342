#!/usr/bin/env bash
# Checks Fulcrum's deployment files with the tools that read them, without a container engine or a
# cluster: compose.yaml with docker-compose, every k8s overlay with kubectl kustomize and the
# Kubernetes OpenAPI schema (npm kubernetes-models), the NetworkPolicies against the contract's
# flows, Prometheus' config with promtool, the Grafana dashboard's queries, the image's runtime
# packages against the binaries' libraries, and every container's command with the binary it names
# (--check). Deliberately broken files (tests/deploy/broken/) must be rejected.
#
# "The contract" below is what docs/deploy.md promises of these files: one service or workload per
# role on the shared /work volume, gRPC on 50051 (the learner's stage API on 50050), metrics on 9400,
# the network flows of its table and the metric names of docs/metrics.md (metric_names.txt).
#
#   tests/deploy/run.sh [BIN_DIR]      (default build/bin; ctest passes it)
#
# Prints PASS or FAIL per check, then "N passed, N failed"; exits 1 on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin_dir=$(cd "${1:-$root/build/bin}" 2>/dev/null && pwd) || { echo "no bin dir ${1:-$root/build/bin}"; exit 1; }
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL $1"
  [ -z "${2:-}" ] || sed -e 's/^/    /' <<<"$2" | head -n 20
  failed=$((failed + 1))
}
# check NAME CMD...: passes when CMD exits 0.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
# reject NAME FILE CMD...: passes when CMD exits non-zero and its output holds every "# expect: TEXT"
# line of FILE, the deliberate mistakes it must name.
reject() {
  local name=$1 file=$2 out expect missing=""
  shift 2
  if out=$("$@" 2>&1); then
    fail "$name: accepted" "$out"
    return
  fi
  while IFS= read -r expect; do
    grep -qF -- "$expect" <<<"$out" || missing+="    not said: $expect"$'\n'
  done < <(sed -n 's/^# expect: //p' "$file")
  if [ -n "$missing" ]; then fail "$name: rejected, but not for the expected reasons" "$out"$'\n'"$missing"; return; fi
  pass "$name: rejected"
  sed -e 's/^/    /' <<<"$out" | head -n 6
}
# helper CMD...: runs a helper that prints its own PASS / FAIL lines and counts them.
helper() {
  local out status p f
  out=$("$@" 2>&1)
  status=$?
  echo "$out"
  p=$(grep -c '^PASS ' <<<"$out")
  f=$(grep -c '^FAIL ' <<<"$out")
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL $* exited $status"
    failed=$((failed + 1))
  fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# --- tools (scripts/setup.sh installs them) ---
for tool in docker-compose kubectl promtool node npm objdump dpkg; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup.sh installs it)"
done
[ "$failed" -eq 0 ] || finish
# The npm validators, as package-lock.json pins them; installed again only when the lock changes.
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.fulcrum-package-lock.json"; then
  if out=$(cd "$here" && npm ci --no-audit --no-fund --loglevel=error 2>&1); then
    cp "$here/package-lock.json" "$here/node_modules/.fulcrum-package-lock.json"
  else
    fail "npm ci in tests/deploy" "$out"
    finish
  fi
fi

# --- compose ---
sources=()   # what container_commands.js reads: the resolved compose file and the rendered overlays
if out=$(docker-compose -f compose.yaml config 2>&1 >"$tmp/compose-resolved.yaml"); then
  pass "docker-compose config: compose.yaml parses and resolves"
  sources+=("compose:$tmp/compose-resolved.yaml")
  helper node "$here/check_contract.js" "compose:$tmp/compose-resolved.yaml"
else
  fail "docker-compose config: compose.yaml" "$out"
fi
reject "docker-compose config: tests/deploy/broken/compose.yaml" tests/deploy/broken/compose.yaml \
  docker-compose -f tests/deploy/broken/compose.yaml config

# --- Kubernetes ---
check "k8s/base/pipeline.yaml is configs/demo.yaml" cmp k8s/base/pipeline.yaml configs/demo.yaml
rendered=()
for dir in k8s/base k8s/overlays/*/; do
  dir=${dir%/}
  name=$(basename "$dir")
  if out=$(kubectl kustomize "$dir" 2>&1 >"$tmp/rendered-$name.yaml"); then
    pass "kubectl kustomize $dir"
    rendered+=("$tmp/rendered-$name.yaml")
    sources+=("k8s:$tmp/rendered-$name.yaml")
  else
    fail "kubectl kustomize $dir" "$out"
  fi
done
if [ ${#rendered[@]} -gt 0 ]; then
  helper node "$here/validate_k8s.js" "${rendered[@]}"
  helper node "$here/check_contract.js" "${rendered[@]/#/k8s:}"
  for file in "${rendered[@]}"; do helper node "$here/network_flows.js" "$file"; done
fi
reject "Kubernetes schema: tests/deploy/broken/manifest.yaml" tests/deploy/broken/manifest.yaml \
  node "$here/validate_k8s.js" tests/deploy/broken/manifest.yaml

# --- Prometheus and Grafana ---
check "promtool check config deploy/prometheus/prometheus.yml" promtool check config deploy/prometheus/prometheus.yml
for file in deploy/grafana/provisioning/*/*.yaml; do
  check "$file parses" node -e 'require(process.argv[1]).readYamlStream(process.argv[2])' "$here/yaml_stream.js" "$file"
done
helper node "$here/check_dashboard.js" deploy/grafana/dashboards/fulcrum.json \
  deploy/grafana/provisioning/datasources/prometheus.yaml docs/metrics.md "$tmp/dashboard-rules.yaml"
check "promtool check rules: the dashboard's queries are PromQL" promtool check rules "$tmp/dashboard-rules.yaml"

# --- the image's runtime packages hold every library the binaries load ---
binaries=("$bin_dir"/fulcrum "$bin_dir"/fulcrum-* "$bin_dir"/libfulcrum_sentencepiece.so)
runtime=" $(bash scripts/setup.sh --list-runtime | tr '\n' ' ') "
# The Debian package of a library file; dpkg knows it by one of its merged-/usr paths.
package_of() {
  local candidate package
  for candidate in "$1" "$(readlink -f "$1")" "/usr$1" "${1#/usr}"; do
    package=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1)
    [ -z "$package" ] || { echo "$package"; return; }
  done
}
missing=""
libs=$(objdump -p "${binaries[@]}" 2>/dev/null | awk '/NEEDED/ {print $2}' | sort -u)
for lib in $libs; do
  file=$(ldconfig -p | awk -v lib="$lib" '$1 == lib {print $NF; exit}')
  package=$([ -z "$file" ] || package_of "$file")
  [[ "$runtime" == *" ${package:-?} "* ]] || missing+="$lib (package ${package:-unknown}) is not in setup.sh --runtime"$'\n'
done
if [ -z "$libs" ]; then fail "no libraries found in the binaries of $bin_dir"
elif [ -z "$missing" ]; then pass "setup.sh --runtime installs the $(wc -w <<<"$libs") libraries the ${#binaries[@]} binaries load"
else fail "setup.sh --runtime misses libraries the binaries load" "${missing%$'\n'}"; fi

# --- every container's command, by the binary it names ---
if grep -q -- '--check' <<<"$("$bin_dir/fulcrum-actor" --helpfull 2>&1)"; then
  helper node "$here/container_commands.js" --bin_dir="$bin_dir" --configs="$root/configs" "${sources[@]}"
else
  fail "container commands: $bin_dir/fulcrum-actor has no --check flag (rebuild the binaries)"
fi

finish
