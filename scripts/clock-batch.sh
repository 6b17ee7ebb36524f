#!/usr/bin/env bash
# Issues 21 and 23: does the GPU's shader clock stay up under each runtime? One
# `--profile decode --preset llama-1b` run per runtime, node, chromium and deno by turns, twice,
# each with `nvidia-smi` sampled every 200 ms beside it (smi-<runtime>-<n>.csv), then
# scripts/smi-clocks.ts (the SM clock while busy) and scripts/hold-table.ts (what the warm-up and
# the clock hold did) over the batch (clocks.txt, holds.txt). What the clock fix (e867853) should
# show: Deno's first drift-probe chain near 460 µs on an H100 (not 2 622, the idle clock's),
# Chromium's hold references near 124 µs, and the SM clock near 1 980 MHz while Chromium is busy.
# Everything goes to results/<UTC time>-<gpu>-clock-batch/ (<runtime>-<n>/, <runtime>-<n>.log);
# each run's wall time and exit code to times.txt.
#   bash .gpu/remote.sh bash scripts/clock-batch.sh   (after scripts/gpu-stage.sh chromium, deno:
#   LD_LIBRARY_PATH=/opt/chr/lib LAUNCHBENCH_CHROMIUM=/opt/chr/chromium-headless-shell
#   FONTCONFIG_FILE=/opt/fonts/fonts.conf LAUNCHBENCH_DENO=/opt/deno/deno)
#   RUNTIMES="node deno" REPEATS=1 ARGS="--profile quick" bash scripts/clock-batch.sh   (others)
# LIMIT (seconds, default 480) bounds each run; a run it stops keeps what it measured (exit 124 in
# times.txt, "interrupted" in its context.json; 137 if it had to be killed 10 s later, when its
# files may be half written). 150 s, the bound until 2026-12-06, stopped both H200 Chromium runs
# of the default profile, in rounds 6 and 3 of 6 (results/20261206T070605Z-nvidia-h200-clock-batch);
# Node's default profile takes about 172 s there, Deno's 233–336 s on an H100.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
gpu=$(bash scripts/gpu-name.sh)
dir=results/$(date -u +%Y%m%dT%H%M%SZ)-$gpu-clock-batch
mkdir -p "$dir"
T=$dir/times.txt
# the sampler of the run under way is stopped however the batch ends
smi=
trap '[ -n "$smi" ] && kill "$smi" 2>/dev/null' EXIT
trap 'exit 130' INT TERM HUP
set -f
# shellcheck disable=SC2206
args=(${ARGS:---profile decode --preset llama-1b})
set +f
for n in $(seq "${REPEATS:-2}"); do
  for runtime in ${RUNTIMES:-node chromium deno}; do
    name=$runtime-$n
    bash scripts/smi-sample.sh "$dir/smi-$name.csv" 200 &
    smi=$!
    s=$(date +%s%N)
    timeout --foreground -k 10 "${LIMIT:-480}" bash scripts/launchbench.sh bench --out "$dir/$name" --runtime "$runtime" "${args[@]}" > "$dir/$name.log" 2>&1
    c=$?
    echo "$name: $(( ($(date +%s%N) - s) / 1000000 )) ms, exit $c: npm run bench -- --out $dir/$name --runtime $runtime ${args[*]}" >> "$T"
    case $c in
      124) echo "$name: stopped at LIMIT=${LIMIT:-480} s; what it measured is kept (interrupted)" >> "$T" ;;
      137) echo "$name: killed 10 s after LIMIT=${LIMIT:-480} s; its files may be incomplete" >> "$T" ;;
    esac
    kill "$smi" 2>/dev/null
    wait "$smi" 2>/dev/null
  done
done
if ls "$dir"/smi-*.csv >/dev/null 2>&1; then npx tsx scripts/smi-clocks.ts "$dir"/smi-*.csv > "$dir/clocks.txt" 2>&1; fi
npx tsx scripts/hold-table.ts "$dir" > "$dir/holds.txt" 2>&1
cat "$T" "$dir/clocks.txt" "$dir/holds.txt" 2>/dev/null
