#!/usr/bin/env bash
# Issue 19: a known cause under each way `ab` interleaves its sides. B spends 1.5 µs more host
# time on each `dispatch-each` kernel (LAUNCHBENCH_FAULT_HOST_*, src/measure/run-case.ts), A is
# the clean build; `ab --profile default --workloads map --elements 64,65536 --kernels 100,1000
# --rounds max(4, N) --processes N --fail-on-slower 10%` once per mode in MODES, back to back.
# Per mode, in results/<UTC time>-<gpu>-ab-known-cause-<mode>/: ab.log (its exit code last; 5: a
# case called slower), verdict-check.txt (scripts/verdict-check.ts: the faulted cases found, other
# calls), pair-gain.txt (scripts/pair-gain.ts: how much the sides' rounds share) and widths.txt
# (scripts/ab-widths.ts: the median ln half-width of wall B/A, `dispatch-each`'s four cases).
# docs/findings.md, "Visits against processes on an H100" and "Visits at 8 processes a side".
#   bash .gpu/remote.sh bash scripts/ab-known-cause.sh     (defaults: MODES="visits processes" N=4)
#   bash .gpu/remote.sh env MODES=visits N=8 bash scripts/ab-known-cause.sh
# On an H100 (2026-12-06): 4 a side, about 120 s (visits) and 250 s (processes); 8 a side, 320 s
# (visits): a call's 600 s take one mode at 8 a side.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# a signal (Ctrl-C, a `timeout` around the batch) ends it once the step running has written its files
trap 'exit 130' INT TERM HUP
n=${N:-4}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "ab-known-cause.sh: N='$n': want a count of processes a side" >&2; exit 2; }
gpu=$(bash scripts/gpu-name.sh)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
for mode in ${MODES:-visits processes}; do
  dir=results/$stamp-$gpu-ab-known-cause-$mode
  mkdir -p "$dir"
  s=$(date +%s)
  bash scripts/launchbench.sh ab --profile default --workloads map --elements 64,65536 \
    --kernels 100,1000 --rounds "$(( n > 4 ? n : 4 ))" --processes "$n" --interleave "$mode" \
    --fail-on-slower 10% \
    --b "LAUNCHBENCH_FAULT_HOST_CASE=dispatch-each LAUNCHBENCH_FAULT_HOST_US_PER_KERNEL=1.5" \
    --out "$dir" > "$dir/ab.log" 2>&1
  echo "ab exit $? after $(( $(date +%s) - s )) s" >> "$dir/ab.log"
  npx tsx scripts/verdict-check.ts --fault dispatch-each:1.5 "$dir" > "$dir/verdict-check.txt" 2>&1
  npx tsx scripts/pair-gain.ts "$dir" > "$dir/pair-gain.txt" 2>&1
  npx tsx scripts/ab-widths.ts "$dir" > "$dir/widths.txt" 2>&1
  tail -n 4 "$dir/ab.log"
  cat "$dir/widths.txt" "$dir/verdict-check.txt" "$dir/pair-gain.txt"
done
