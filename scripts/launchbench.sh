#!/usr/bin/env bash
# `npm run launchbench -- ARGS` for the batch scripts, without npm in between: on a signal (Ctrl-C,
# a `timeout` around a batch, which signals its whole process group) npm returns at once while
# launchbench is still writing what it measured, so a batch that went on, or a caller that
# collected results/ then, found a run half written (2026-12-06, an identical pair's b/). Nor tsx's
# own process: it passes on INT and TERM only, and kills a child that does not answer at once. So
# this script becomes launchbench's node itself, tsx loaded in it: a batch that traps the signal
# (trap 'exit 130' INT TERM HUP) returns once launchbench has written its files. An inner
# `timeout` must be `timeout --foreground`, or its command, in a process group of its own, never
# sees the batch's signal.
#   bash scripts/launchbench.sh bench --profile quick
cd "$(dirname "${BASH_SOURCE[0]}")/.." && exec node --import tsx src/cli.ts "$@"
