#!/usr/bin/env bash
# Issue 22's measurements on a GPU machine, in one command (about 3 min on the H100):
#   1. scripts/decode-ops.ts on each preset at the probed workgroup count (each op in its own pass,
#      the megakernel whole, its grid barriers alone and each op name's ops alone inside it); the
#      first preset in two rounds. KERNELS="name=FILE …" (other versions of shaders/decode/step.wgsl,
#      e.g. an earlier commit's, FILE relative to the repository root): each round times them too,
#      swapped in by turns after the tree's own ("new"), and every version is kept beside the
#      results as step-<name>.wgsl (the tree's file is restored after; Ctrl-C stops the batch once
#      the step running ends);
#   2. the decode profile twice back to back (scripts/repro-pair.sh), with compare and the
#      reproducibility figures (PAIR=none: not run).
# CHECK=1 first checks every version against the CPU reference (below). Where the call carried
# .vk-stats (bash scripts/vk-stats/build.sh), each version's registers a lane come next
# (scripts/kernel-registers.ts: registers-<kernel>.txt). WGS="0 640": the megakernel
# at these workgroup counts (0: the co-residency probe's, the default), each in every round.
# Everything goes to results/<UTC time>-<gpu>-decode-pair/ (the pair in a/ and b/,
# decode-ops-<preset>-<kernel>-<round>.txt and their ops-*/ folders beside them); each step's wall
# time and exit code to its times-batch.txt.
#   bash .gpu/remote.sh bash scripts/decode-batch.sh      (on the lent machine, after gpu-stage.sh)
#   PRESETS=tiny PAIR="--profile decode --preset tiny" bash scripts/decode-batch.sh   (lavapipe)
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
wgs=${WGS:-0}
[[ $wgs =~ ^[0-9]+( [0-9]+)*$ ]] || { echo "decode-batch.sh: WGS='$wgs': want workgroup counts separated by spaces (0: probed)" >&2; exit 2; }
# KERNELS is checked whole before anything is swapped: a bad entry would time the wrong file
kernels=new
for k in ${KERNELS:-}; do
  name=${k%%=*} file=${k#*=}
  if [ "$k" = "$name" ] || ! [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || [ "$name" = new ] ||
    [[ " $kernels " == *" $name "* ]] || [ ! -f "$file" ]; then
    echo "decode-batch.sh: KERNELS entry '$k': want name=FILE, a new name of letters, digits, _ or -" \
      "(not 'new'), and a file that exists (relative to the repository root)" >&2
    exit 2
  fi
  kernels="$kernels $name"
done
gpu=$(bash scripts/gpu-name.sh)
dir=results/$(date -u +%Y%m%dT%H%M%SZ)-$gpu-decode-pair
mkdir -p "$dir"
T=$dir/times-batch.txt
step() {
  local name=$1 limit=$2 log=$3; shift 3
  local s; s=$(date +%s%N)
  OUT=$dir timeout --foreground "$limit" "$@" > "$log" 2>&1
  local c=$?
  echo "$name: $(( ($(date +%s%N) - s) / 1000000 )) ms, exit $c: $*" >> "$T"
}
step_wgsl=shaders/decode/step.wgsl
cp "$step_wgsl" "$dir/step-new.wgsl" || exit 1
trap 'cp "$dir/step-new.wgsl" "$step_wgsl"' EXIT
trap 'exit 130' INT TERM HUP
for k in ${KERNELS:-}; do
  cp "${k#*=}" "$dir/step-${k%%=*}.wgsl" || exit 1
done
# Each version's checksum beside its times; two alike would time one kernel under two names
(cd "$dir" && sha256sum step-*.wgsl) | tee -a "$T" | awk '{print $1}' | sort | uniq -d |
  grep -q . && echo "decode-batch.sh: warning: two of the versions are the same file" \
  "(checksums in $T)" | tee -a "$T" >&2
# CHECK=1: every version checked against the CPU reference first (scripts/decode-check.ts on the
# first preset, 2 layers), its output in check-<kernel>.txt and how many strategies match in
# times-batch.txt; off by default, for diagnostic versions that compute wrong results on purpose
if [ "${CHECK:-0}" = 1 ]; then
  presets=(${PRESETS:-llama-1b})
  for kernel in $kernels; do
    cp "$dir/step-$kernel.wgsl" "$step_wgsl" || exit 1
    step "check-$kernel" 180 "$dir/check-$kernel.txt" \
      npx tsx scripts/decode-check.ts "${presets[0]}" 2
    f=$dir/check-$kernel.txt
    echo "check-$kernel: $(grep -c 'maxErr.* ok$' "$f") of $(grep -c 'maxErr' "$f") strategies" \
      "match the reference$(grep 'maxErr' "$f" | grep -v ' ok$' | cut -c1-80 | sed 's/^/; /' |
      tr -d '\n')" >> "$T"
  done
fi
# Each version's registers a lane and the probe's count beside them (scripts/kernel-registers.ts),
# where the call carried the statistics layer (.vk-stats: bash scripts/vk-stats/build.sh), in
# registers-<kernel>.txt and a line of times-batch.txt each
if [ -f .vk-stats/libvk_stats.so ]; then
  for kernel in $kernels; do
    cp "$dir/step-$kernel.wgsl" "$step_wgsl" || exit 1
    # shellcheck disable=SC2086
    step "registers-$kernel" 240 "$dir/registers-$kernel.txt" \
      env -u OUT npx tsx scripts/kernel-registers.ts ${PRESETS:-llama-1b llama-1b-f16 gpt2-small}
    echo "registers-$kernel: $(grep -h 'megakernel' "$dir/registers-$kernel.txt" | cut -d';' -f1-2 |
      tr '\n' ' ')" >> "$T"
  done
fi
# the first preset in two rounds; PRESETS and PAIR (the pair's bench options) for other GPUs
first=1
for preset in ${PRESETS:-llama-1b llama-1b-f16 gpt2-small}; do
  rounds=1; [ "$first" = 1 ] && rounds=2; first=0
  for round in $(seq "$rounds"); do
    for kernel in $kernels; do
      cp "$dir/step-$kernel.wgsl" "$step_wgsl" || exit 1
      mkdir -p "$dir/ops-$preset-$kernel-$round"
      step "ops-$preset-$kernel-$round" 240 "$dir/decode-ops-$preset-$kernel-$round.txt" \
        env OUT="$dir/ops-$preset-$kernel-$round" npx tsx scripts/decode-ops.ts "$preset" 20 $wgs
    done
  done
done
cp "$dir/step-new.wgsl" "$step_wgsl"
if [ "${PAIR:-}" != none ]; then
  # shellcheck disable=SC2086
  step pair 300 "$dir/pair.txt" bash scripts/repro-pair.sh "$dir" -- ${PAIR:---profile decode}
fi
cat "$T"
grep -h "megakernel," "$dir"/decode-ops-*.txt
if [ -f "$dir/pair.txt" ]; then tail -n 12 "$dir/pair.txt"; fi
