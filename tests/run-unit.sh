#!/usr/bin/env bash
# run-unit.sh BIN TAP - run a Criterion binary, keep its TAP in TAP, and
# fail when it failed or crashed before writing its results.
set -u
bin=$1 tap=$2
mkdir -p "$(dirname "$tap")"
rm -f "$tap"
"$bin" --tap="$tap" --jobs=2
rc=$?
if [ ! -s "$tap" ] || ! grep -q '^1\.\.' "$tap"; then
	echo "run-unit.sh: $bin wrote no TAP results (exit $rc)" >&2
	echo "not ok - $(basename "$bin") did not run (exit $rc)" >"$tap"
	exit 1
fi
exit $rc
