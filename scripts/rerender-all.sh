#!/usr/bin/env bash
# Re-renders every published run of results/ into a copy under OUT (report.md, charts, and the
# --export-json / --export-markdown files), for a byte-for-byte comparison of two versions of the
# reports: run it in each tree (a git worktree of the older commit, and this one) and
# `diff -r OUT1 OUT2`. Prints FAILED for a run that does not render.
#   bash scripts/rerender-all.sh OUT
set -u
out=${1:?usage: bash scripts/rerender-all.sh OUT}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -rf "$out" && mkdir -p "$out" && cp -r results/. "$out/"
find "$out" -name summary.csv | sort | while read -r f; do
  d=$(dirname "$f")
  npx tsx src/cli.ts report "$d" --export-json "$d/export-check.json" \
    --export-markdown "$d/export-check.md" > /dev/null 2>&1 || echo "FAILED $d"
done
