#!/usr/bin/env bash
# run.sh TAP - pvhv's deprivileged mode end to end, nested (a real KVM in
# L1): the mini guest (the monitor), the mm guest (page-table and MSR
# hypercalls), the mm guest's "fatal" boot and mini's failure variants
# (run-fails.sh), which must end in the monitor's report and exit 70. One TAP line per boot; pvrun writes each
# guest's own KTAP beside it (TAP.mini, TAP.mm).
set -u
tap=$1
cd "$(dirname "$0")/../.."
pvrun=build/pvrun
fail=0
: >"$tap"

for g in mini mm; do
	$pvrun --env nested-pvhv --kernel build/tests/cpl3-$g.elf --pvhv-arg --deprivileged \
		--quiet --tap "$tap.$g" --log "$tap.$g.log" --timeout 60 >/dev/null 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok - cpl3-$g: every check passed ($(grep -c '^ok' "$tap.$g") in $tap.$g)" >>"$tap"
	else
		echo "not ok - cpl3-$g: pvrun $rc ($tap.$g.log)" >>"$tap"
		fail=1
	fi
done

$pvrun --env nested-pvhv --kernel build/tests/cpl3-mm.elf --pvhv-arg --deprivileged \
	--cmdline fatal --quiet --log "$tap.fatal.log" --timeout 60 >"$tap.fatal.out" 2>&1
want='pvhv: vCPU 0: monitor: an exception with no kernel handler: vector 6 '
if grep -q "$want" "$tap.fatal.log" && grep -q "(pvhv exit 70)" "$tap.fatal.out"; then
	echo "ok - cpl3-mm fatal: the monitor's report, pvhv exit 70" >>"$tap"
else
	echo "not ok - cpl3-mm fatal: no '$want' with exit 70 ($tap.fatal.log, $tap.fatal.out)" >>"$tap"
	fail=1
fi
# mini's failure variants (run-fails.sh): each the monitor's report, 70
if tests/cpl3/run-fails.sh >"$tap.fails" 2>&1; then
	echo "ok - cpl3-mini failure variants: each the monitor's report ($tap.fails)" >>"$tap"
else
	echo "not ok - cpl3-mini failure variants ($tap.fails)" >>"$tap"
	fail=1
fi
exit $fail
