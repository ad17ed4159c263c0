#!/usr/bin/env bash
# run-suite.sh RESULTS_DIR SUITE [--tap TEXT] COMMAND... - run one suite of
# make test and leave its exit status in RESULTS_DIR/SUITE.rc, so that
# tests/summary.sh can tell a suite that failed to build or crashed from
# one that passed. With --tap TEXT the suite is the command itself: its
# result is written as one TAP line "ok - SUITE: TEXT" (or not ok) to
# RESULTS_DIR/SUITE.tap. Exits with the command's status.
set -u
dir=$1 suite=$2
shift 2
text=
if [ "${1:-}" = "--tap" ]; then text=$2; shift 2; fi
mkdir -p "$dir"
rm -f "$dir/$suite.rc"
"$@"
rc=$?
echo $rc >"$dir/$suite.rc"
if [ -n "$text" ]; then
	if [ $rc -eq 0 ]; then echo "ok - $suite: $text"
	else echo "not ok - $suite: $text (exit $rc)"; fi >"$dir/$suite.tap"
fi
exit $rc
