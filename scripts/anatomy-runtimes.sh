#!/usr/bin/env bash
# `launchbench anatomy` on each runtime, alternated, twice: the same table of a launch's calls
# from Dawn in Node, wgpu in Deno, and the pages of headless Chromium and Firefox, on this
# machine's adapters (docs/findings.md). Each run: K = 1000 (the anatomy's default), 5 rounds.
#   bash scripts/anatomy-runtimes.sh OUT [runtimes, default "node deno chromium firefox"]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:?usage: bash scripts/anatomy-runtimes.sh OUT [runtimes]}
runtimes=${2:-node deno chromium firefox}
mkdir -p "$out"
# a signal (Ctrl-C, a `timeout` around the batch) ends it once the run going has written its files
trap 'exit 130' INT TERM HUP
for rep in 1 2; do
  for rt in $runtimes; do
    start=$(date +%s)
    bash scripts/launchbench.sh anatomy --runtime "$rt" --out "$out/$rt-$rep" >"$out/$rt-$rep.log" 2>&1
    echo "$rt $rep exit $? $(($(date +%s) - start)) s" >>"$out/times.txt"
  done
done
