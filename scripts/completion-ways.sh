#!/usr/bin/env bash
# The completion ways (--completion) on each runtime, on this machine's adapter: `map` at 64
# elements, K = 1 and 100, `submit-wait` and `dispatch-each`, 3 rounds, each run twice, the
# runtimes and ways alternated (docs/findings.md, "Completion in the browsers"). Then one table:
# µs per kernel of each run, and the drift probe's round trip (plain onSubmittedWorkDone).
#   bash scripts/completion-ways.sh OUT [runtimes, default "firefox chromium node"]
# A runtime that is not installed fails its runs (exit 2 in OUT/times.txt, the reason in
# OUT/<runtime>-<way>-<n>.log) and has no row in the table.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:?usage: bash scripts/completion-ways.sh OUT [runtimes]}
runtimes=${2:-firefox chromium node}
mkdir -p "$out"
# a signal (Ctrl-C, a `timeout` around the batch) ends it once the run going has written its files
trap 'exit 130' INT TERM HUP
for rep in 1 2; do
  for rt in $runtimes; do
    for way in submitted-work-done nudged map-async; do
      dir="$out/$rt-$way-$rep"
      start=$(date +%s)
      bash scripts/launchbench.sh bench --runtime "$rt" --completion "$way" --profile quick --workloads map \
        --elements 64 --kernels 1,100 --strategies submit-wait,dispatch-each --rounds 3 \
        --case-budget 60s --out "$dir" >"$dir.log" 2>&1
      echo "$rt $way $rep exit $? $(($(date +%s) - start)) s" >>"$out/times.txt"
    done
  done
done
npx tsx scripts/completion-table.ts "$out" | tee "$out/table.md"
