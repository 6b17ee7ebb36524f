#!/usr/bin/env bash
# `npm run launchbench -- ARGS` for the batch scripts, without npm in between: on a signal (Ctrl-C,
# a `timeout` around a batch, which signals its whole process group) npm returns at once while
# launchbench is still writing what it measured, so a batch that went on, or a caller that
# collected results/ then, found a run half written (2026-12-06, an identical pair's b/). tsx
# waits for its child, and this script is tsx.
#   bash scripts/launchbench.sh bench --profile quick
cd "$(dirname "${BASH_SOURCE[0]}")/.." && exec node_modules/.bin/tsx src/cli.ts "$@"
