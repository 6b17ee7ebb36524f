#!/usr/bin/env bash
# Does a run reproduce? Two identical `launchbench bench` runs back to back, then how far they
# agree: `compare`'s verdicts (compare.txt, compare.csv) and scripts/repro-check.ts's figures
# (repro.txt, repro.json: cases within 5%, strategy ratios within 5%, the second run inside the
# first's 95% interval, cases under the sample floor). Each run's console output and wall time
# (the whole command, node's start included) go beside them, and nvidia-smi.csv where the machine
# has nvidia-smi.
#   bash scripts/repro-pair.sh [DIR] [-- bench options]   (DIR: results/<UTC time>-<gpu>-pair)
# Exits non-zero when a run fails; a run stopped by a signal keeps what it measured: the script
# returns once it has written its files (scripts/launchbench.sh) and starts no more.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=results/$(date -u +%Y%m%dT%H%M%SZ)-$(bash scripts/gpu-name.sh)-pair
if [ $# -gt 0 ] && [ "$1" != "--" ]; then dir=$1; shift; fi
[ "${1:-}" = "--" ] && shift
mkdir -p "$dir"
: > "$dir/times.txt"
# the GPU sampled every 0.5 s beside the pair where nvidia-smi is (nvidia-smi.csv; smi-sample.sh)
bash scripts/smi-sample.sh "$dir/nvidia-smi.csv" 500 &
smi=$!
trap 'kill "$smi" 2>/dev/null' EXIT
stop=
trap 'stop=1' INT TERM HUP
for run in a b; do
  [ -z "$stop" ] || { echo "$run: not started (stopped by a signal)" >> "$dir/times.txt"; exit 130; }
  start=$(date +%s%N)
  bash scripts/launchbench.sh bench --out "$dir/$run" "$@" > "$dir/$run.log" 2>&1
  code=$?
  echo "$run: $(( ($(date +%s%N) - start) / 1000000 )) ms, exit $code: npm run bench -- --out $dir/$run $*" >> "$dir/times.txt"
  [ -z "$stop" ] || { echo "$run: stopped by a signal" >> "$dir/times.txt"; exit 130; }
  [ "$code" -eq 0 ] || { cat "$dir/times.txt"; tail -n 5 "$dir/$run.log" >&2; exit "$code"; }
done
npm run -s launchbench -- compare "$dir/a" "$dir/b" --out "$dir/compare.csv" > "$dir/compare.txt" 2>&1
npx tsx scripts/repro-check.ts "$dir/a" "$dir/b" > "$dir/repro.txt"
npx tsx scripts/repro-check.ts "$dir/a" "$dir/b" --json > "$dir/repro.json"
cat "$dir/times.txt" "$dir/repro.txt"
tail -n 3 "$dir/compare.txt"
