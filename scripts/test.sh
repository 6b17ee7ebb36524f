#!/usr/bin/env bash
# npm test's vitest run: without colour escapes where the output is not a terminal (vitest colours
# whatever it writes to unless NO_COLOR is set), and with Dawn's lavapipe limit notes taken out of
# stderr as the CLI takes them out of its own (scripts/filter-stderr.ts). Arguments go to vitest.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -t 1 ] || export NO_COLOR=1
vitest run "$@" 2> >(node --import tsx scripts/filter-stderr.ts >&2)
code=$?
wait
exit $code
