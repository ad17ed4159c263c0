#!/usr/bin/env bash
# run.sh TAP - make test's own bookkeeping, tested: tests/summary.sh and
# tests/run-suite.sh must fail (and name the suite) for every way a result
# can go missing, and count a healthy set of results exactly.
set -u
tap=$1
cd "$(dirname "$0")/../.."
: >"$tap"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# case NAME EXPECT-RC GREP-FOR SETUP...: build a results dir with SETUP,
# run the summary over suites a and b, check its status and output.
check() {
	local name=$1 want_rc=$2 want=$3 dir=$tmp/$1
	shift 3
	mkdir -p "$dir"
	(cd "$dir" && eval "$*")
	out=$(tests/summary.sh "$dir" a b 2>&1)
	rc=$?
	if [ $rc -eq "$want_rc" ] && grep -qF -- "$want" <<<"$out"; then
		echo "ok - harness: $name" >>"$tap"
	else
		echo "not ok - harness: $name (summary exit $rc, wanted $want_rc and '$want'):" >>"$tap"
		sed 's/^/# /' <<<"$out" >>"$tap"
	fi
}
good='printf "1..2\nok 1 x\nok 2 y # SKIP z\n" >a.tap; echo 0 >a.rc; printf "ok - p\n" >b.tap; echo 0 >b.rc'
check "healthy results add up" 0 "2 passed, 0 failed, 1 skipped" "$good"
check "a failing test line fails the run" 1 "2 passed, 1 failed, 1 skipped" \
	"$good; printf 'not ok - q\n' >>b.tap; echo 1 >b.rc"
check "the failing lines are named again just above the total" 1 \
	"  b.tap: not ok - q" \
	"$good; printf 'not ok - q\n' >>b.tap; echo 1 >b.rc"
check "a suite that never ran is a failure" 1 "not ok - suite b: never ran" \
	"$good; rm b.rc"
check "a missing TAP file is a failure" 1 "not ok - suite b: no TAP file b.tap" \
	"$good; rm b.tap"
check "a plan that disagrees with its lines is a failure" 1 \
	"not ok - suite a: a.tap plans 3 tests but has 2" \
	"$good; sed -i 's/^1\\.\\.2/1..3/' a.tap"
check "a non-zero exit without a failing line is a failure" 1 \
	"not ok - suite b: exited 2 without a failing test line" "$good; echo 2 >b.rc"
check "a file the suite listed and did not leave is a failure" 1 \
	"not ok - suite a: no TAP file c.tap" "$good; printf 'a.tap\nc.tap\n' >a.list"
check "an empty TAP file is a failure" 1 "not ok - suite b: b.tap holds no test line" \
	"$good; : >b.tap"

# run-suite.sh keeps the status, and --tap writes the verdict line
tests/run-suite.sh "$tmp/rs" s --tap "it works" false >/dev/null 2>&1
if [ "$(cat "$tmp/rs/s.rc" 2>/dev/null)" = 1 ] &&
   grep -qx "not ok - s: it works (exit 1)" "$tmp/rs/s.tap"; then
	echo "ok - harness: run-suite.sh keeps a failing command's status and verdict" >>"$tap"
else
	echo "not ok - harness: run-suite.sh lost a failing command's status or verdict" >>"$tap"
fi
cat "$tap"
