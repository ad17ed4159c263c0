#!/usr/bin/env bash
# summary.sh RESULTS_DIR SUITE... - add up make test's results and print
# the closing line
#   N passed, N failed, N skipped
#
# SUITE names every suite that must report; a result cannot go missing:
#  - each suite ran through tests/run-suite.sh, which left SUITE.rc (its
#    exit status); no .rc means the suite never ran: a failure;
#  - its results are SUITE.tap, or, where the suite lists them in
#    SUITE.list (written before it runs anything, like a plan), every file
#    named there; a missing file is a failure;
#  - a TAP plan (1..N) that disagrees with the number of test lines is a
#    failure, and so is a suite that exited non-zero without a failing line
#    (it crashed, or did not build).
# Each such failure is printed as a "not ok - suite ..." line and counted.
# Exits 1 when anything failed or no test ran at all.
set -u
dir=$1
shift
pass=0 fail=0 skip=0
failures=()             # every failing line, repeated just above the total

suite_fail() {          # suite_fail SUITE WHY
	echo "not ok - suite $1: $2"
	failures+=("suite $1: $2")
	fail=$((fail + 1))
}

# count FILE: add up its test lines; echo "LINES FAILED" for the caller.
count() {
	local line n=0 bad=0
	while IFS= read -r line; do
		case "$line" in
		"ok"*"# SKIP"*|"ok"*"# skip"*) skip=$((skip + 1)) ;;
		"not ok"*) fail=$((fail + 1)); bad=$((bad + 1)) ;;
		*) pass=$((pass + 1)) ;;
		esac
		n=$((n + 1))
	done < <(grep -E '^(not )?ok( |$)' "$1")
	echo "$n $bad"
}

for suite in "$@"; do
	if [ ! -f "$dir/$suite.rc" ]; then
		suite_fail "$suite" "never ran (no $suite.rc)"
		continue
	fi
	rc=$(cat "$dir/$suite.rc")
	if ! [[ $rc =~ ^[0-9]+$ ]]; then
		suite_fail "$suite" "its exit status '$rc' is not a number"
		rc=1
	fi
	if [ -f "$dir/$suite.list" ]; then
		mapfile -t files <"$dir/$suite.list"
	else
		files=("$suite.tap")
	fi
	[ ${#files[@]} -gt 0 ] || suite_fail "$suite" "its list of results is empty"
	failed_lines=0
	for f in "${files[@]}"; do
		if [ ! -f "$dir/$f" ]; then
			suite_fail "$suite" "no TAP file $f"
			continue
		fi
		# count runs in this shell (not a subshell) so the totals add up
		count "$dir/$f" >"$dir/.count"
		read -r lines bad <"$dir/.count"
		while IFS= read -r line; do
			failures+=("$f: $line")
		done < <(grep -E '^not ok( |$)' "$dir/$f")
		failed_lines=$((failed_lines + bad))
		plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$dir/$f" | head -n 1)
		if [ -n "$plan" ] && [ "$plan" -ne "$lines" ]; then
			suite_fail "$suite" "$f plans $plan tests but has $lines"
		elif [ "$lines" -eq 0 ]; then
			suite_fail "$suite" "$f holds no test line"
		fi
	done
	rm -f "$dir/.count"
	if [ "$rc" -ne 0 ] && [ "$failed_lines" -eq 0 ]; then
		suite_fail "$suite" "exited $rc without a failing test line (did it build? see its output above)"
	fi
done
# The failures again, last before the total: a log's tail names them.
if [ ${#failures[@]} -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failures[@]:0:40}"
	[ ${#failures[@]} -le 40 ] || echo "  ... and $((${#failures[@]} - 40)) more"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ $((pass + skip)) -gt 0 ]
