#!/usr/bin/env bash
# The published runs besides the default pair (scripts/repro-pair.sh), in one command: the quick
# profile twice, the CUDA-graphs blog scenario, intensity 0 against 4 (compared across intensity)
# and the harness self-check. On the lent GPU machine: bash .gpu/remote.sh bash scripts/publish-runs.sh
# Each step's wall time and exit code go to $OUT/times.txt (or results/times.txt without $OUT),
# its console output to log.txt beside it.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# a signal (Ctrl-C, a `timeout` around the batch) ends it once the run going has written its files
trap 'exit 130' INT TERM HUP
stamp=$(date -u +%Y%m%dT%H%M%SZ)
I=results/$stamp-intensity
where=${OUT:-results}
T=$where/times.txt
L=$where/log.txt
run() {
  local name=$1 limit=$2; shift 2
  local s; s=$(date +%s%N)
  echo "===== $name: $*" >> "$L"
  timeout --foreground "$limit" "$@" >> "$L" 2>&1
  local c=$?
  echo "$name: $(( ($(date +%s%N) - s) / 1000000 )) ms, exit $c: $*" >> "$T"
}
run quick1 60 bash scripts/launchbench.sh bench --profile quick
run quick2 60 bash scripts/launchbench.sh bench --profile quick
run blog 60 bash scripts/launchbench.sh bench --scenario cuda-graphs-blog
run int0 60 bash scripts/launchbench.sh bench --profile quick --elements 65536,1048576 --kernels 10,100 --intensity 0 --out "$I/i0"
run int4 60 bash scripts/launchbench.sh bench --profile quick --elements 65536,1048576 --kernels 10,100 --intensity 4 --out "$I/i4"
run compare 30 bash -c "npm run -s launchbench -- compare $I/i0 $I/i4 --across intensity --out $I/compare.csv > $I/compare.txt 2>&1"
run selfcheck 60 bash scripts/launchbench.sh bench --profile quick --strategies fused --elements 64 --kernels 1 --self-check
cat "$T"
