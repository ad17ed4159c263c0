#!/bin/sh
# run-fails.sh - the failure variants of the CPL-3 mini guest
# (build/tests/cpl3-mini-*.elf, tests/cpl3/cpl3.mk) on pvhv --deprivileged
# in the nested L1: each must end with the monitor's report naming the
# reason and the vector, pvhv's exit 70. TAP on stdout; exit 1 if any
# variant did not end that way.
#
#   tests/cpl3/run-fails.sh [pvrun-env]      (default nested-pvhv)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
env=${1:-nested-pvhv}
log=$(mktemp -d /tmp/cpl3-fails.XXXXXX)
trap 'rm -rf "$log"' EXIT

# variant | what pvhv's report must say
cases="unmapped|monitor: the kernel's stack took no frame: vector 6 error 0
noncanon|monitor: the kernel's stack took no frame: vector 6 error 0
slot|monitor: the kernel's stack took no frame: vector 6 error 0
ro|monitor: the kernel's stack took no frame: vector 6 error 0
nohandler|monitor: an exception with no kernel handler: vector 0 error 0
nopage|monitor: an event before the vCPU page was registered: vector 6 error 0"

n=0 failed=0
echo "1..$(printf '%s\n' "$cases" | wc -l)"
printf '%s\n' "$cases" | {
	while IFS='|' read -r kind want; do
		n=$((n + 1))
		elf=$top/build/tests/cpl3-mini-$kind.elf
		"$top/build/pvrun" --env "$env" --kernel "$elf" --pvhv-arg --deprivileged \
			--timeout 60 >"$log/$kind" 2>&1
		if grep -qF "$want" "$log/$kind" && grep -q "pvhv exit 70" "$log/$kind"; then
			echo "ok $n cpl3_mini_fail_$kind"
		else
			echo "not ok $n cpl3_mini_fail_$kind (wanted \"$want\" and pvhv exit 70)"
			sed 's/^/# /' "$log/$kind" | tail -20
			failed=$((failed + 1))
		fi
	done
	[ "$failed" -eq 0 ]
}
