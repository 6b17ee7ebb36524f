#!/usr/bin/env bash
# Packs the Deno binary npm installed (the devDependency deno: 96 MB) into .gpu-deno/deno.xz
# (about 31 MB) for a lent GPU machine. Its transfers take 64 MiB each and the Node pack (.gpu/)
# takes about 37, so the two travel in two calls while the machine is warm: first carry
# [".gpu-deno"] with a command that does nothing (`true`), then carry [".gpu"] with the runs;
# paths already there are kept between calls. There, `--runtime deno` finds it with
#   LAUNCHBENCH_DENO=$(bash scripts/pack-deno.sh --unpack)
# which unpacks it once (outside the carried folder, which must stay small: under $TMPDIR) and
# prints its path.
#   bash scripts/pack-deno.sh            pack here (quick when the binary has not changed)
#   bash scripts/pack-deno.sh --unpack   unpack there, print the binary's path
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=.gpu-deno
if [ "${1:-}" = --unpack ]; then
  [ -s "$dir/deno.xz" ] || { echo "pack-deno.sh: no $dir/deno.xz (carry it first)" >&2; exit 1; }
  out="${TMPDIR:-/tmp}/launchbench-deno"
  mkdir -p "$out"
  [ -x "$out/deno" ] || { xz -dc "$dir/deno.xz" > "$out/deno.tmp" && chmod +x "$out/deno.tmp" && mv "$out/deno.tmp" "$out/deno"; }
  echo "$out/deno"
  exit 0
fi
bin=node_modules/@deno/linux-x64-glibc/deno
[ -x "$bin" ] || { echo "pack-deno.sh: no $bin: run npm install first" >&2; exit 1; }
mkdir -p "$dir"
if [ ! -s "$dir/deno.xz" ] || [ "$bin" -nt "$dir/deno.xz" ]; then
  echo "pack-deno.sh: packing $("$bin" --version | head -n 1) (about 1 min)" >&2
  xz -T0 -6 -c "$bin" > "$dir/deno.xz.tmp" && mv "$dir/deno.xz.tmp" "$dir/deno.xz"
fi
du -h "$dir/deno.xz" | sed 's/^/pack-deno.sh: /'
