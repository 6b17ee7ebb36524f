#!/usr/bin/env bash
# Packs the Deno binary npm installed (the devDependency deno: 96 MB) into .gpu-deno/deno.xz
# (about 31 MB) for a lent GPU machine. Its transfers take 64 MiB each and the Node pack (.gpu/)
# takes about 37, so the two travel in two calls while the machine is warm: first carry
# [".gpu-deno"] with a command that does nothing (`true`), then carry [".gpu"] with the runs;
# paths already there are kept between calls. There, `--runtime deno` finds it with
#   LAUNCHBENCH_DENO=$(bash scripts/pack-deno.sh --unpack)
# which unpacks it (outside the carried folder, which must stay small: under $TMPDIR, in a folder
# named by the pack's checksum, so a newer pack is never shadowed by an older binary) and prints
# its path; it exits non-zero, printing nothing, when it cannot.
#   bash scripts/pack-deno.sh            pack here (quick when the binary has not changed)
#   bash scripts/pack-deno.sh --unpack   unpack there, print the binary's path
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=.gpu-deno
command -v xz >/dev/null || { echo "pack-deno.sh: xz is not installed" >&2; exit 1; }
if [ "${1:-}" = --unpack ]; then
  [ -s "$dir/deno.xz" ] || { echo "pack-deno.sh: no $dir/deno.xz (carry it first)" >&2; exit 1; }
  sum=$(sha256sum "$dir/deno.xz" | cut -c1-16)
  out="${TMPDIR:-/tmp}/launchbench-deno-$sum"
  if [ ! -x "$out/deno" ]; then
    mkdir -p "$out"
    if ! xz -dc "$dir/deno.xz" > "$out/deno.tmp"; then
      rm -f "$out/deno.tmp"
      echo "pack-deno.sh: could not unpack $dir/deno.xz" >&2
      exit 1
    fi
    chmod +x "$out/deno.tmp"
    mv "$out/deno.tmp" "$out/deno"
  fi
  echo "$out/deno"
  exit 0
fi
bin=node_modules/@deno/linux-x64-glibc/deno
[ -x "$bin" ] || { echo "pack-deno.sh: no $bin: run npm install first" >&2; exit 1; }
mkdir -p "$dir"
if [ ! -s "$dir/deno.xz" ] || [ "$bin" -nt "$dir/deno.xz" ]; then
  echo "pack-deno.sh: packing $("$bin" --version | head -n 1) (about 1 min)" >&2
  if ! xz -T0 -6 -c "$bin" > "$dir/deno.xz.tmp"; then
    rm -f "$dir/deno.xz.tmp"
    echo "pack-deno.sh: xz failed" >&2
    exit 1
  fi
  mv "$dir/deno.xz.tmp" "$dir/deno.xz"
fi
du -h "$dir/deno.xz" | sed 's/^/pack-deno.sh: /'
