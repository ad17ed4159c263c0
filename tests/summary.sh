#!/usr/bin/env bash
# summary.sh FILE... - add up the top-level results of TAP files and print
# the closing line
#   N passed, N failed, N skipped
# Every suite (host tests, each boot) writes one flat TAP file under
# build/results/. Exits 1 when anything failed or no test ran at all.
set -u
pass=0 fail=0 skip=0
for f in "$@"; do
	[ -f "$f" ] || continue
	while IFS= read -r line; do
		case "$line" in
		*"# SKIP"*|*"# skip"*) skip=$((skip + 1)) ;;
		"not ok"*) fail=$((fail + 1)) ;;
		*) pass=$((pass + 1)) ;;
		esac
	done < <(grep -E '^(not )?ok( |$)' "$f")
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ $((pass + skip)) -gt 0 ]
