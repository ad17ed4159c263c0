#!/usr/bin/env bash
# bench/deprivileged/run.sh - the same pvk on pvhv's normal mode and in its
# deprivileged mode (issue 14: the kernel at CPL 3), with QEMU TCG as the
# reference: bench/results/deprivileged.md (and deprivileged.png when
# gnuplot is there). `make bench-deprivileged` runs it.
#
# The figures, each the median over RUNS boots:
#   ready    "pvk: ready in N us" of a boot without a workload (tests=off),
#            and pvhv's exits and hypercalls for that whole boot
#   compute  bench=compute (kernel/bench_compute.c): one round of Adler-32
#            and copies of 4 MiB, ns and cycles (best of the boot's rounds)
#   pt       bench=pt (kernel/bench_pt.c): a page mapped, touched and
#            unmapped, ns and cycles, page by page and in lazy MMU mode,
#            the two ways alternated in one boot (the same load on both);
#            the exits per page from bench=pt-each and bench=pt-lazy, one
#            way a boot: pvhv's counts of such a boot less a bench=pt-setup
#            boot's (the same frames taken and tables built, no timed pass),
#            over the pages the timed passes mapped
# Where:
#   native         QEMU TCG, no hypervisor (pvrun --env native): the
#                  reference; no exits to count
#   pvhv           pvhv's normal mode in the nested L1 (pvrun --env
#                  nested-pvhv, --stats): KVM on QEMU TCG's emulated SVM
#   deprivileged   the same with pvhv --deprivileged, when that boots: it is
#                  probed once first; when it does not reach "pvk: ready",
#                  its column says why (pvhv's own line) and is not run
# No /dev/kvm on this machine: everything runs under QEMU TCG, where both
# rings run at the same speed; a nanosecond or a cycle is TCG's.
#
# Environment: RUNS (default 7), OUT (bench/results/deprivileged.md),
# KEEP=1 keeps the logs (the path is printed), DEPRIVILEGED_ARG (default
# --deprivileged: the pvhv option of the mode; another one tries the
# script's deprivileged column on a mode that boots today).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh    # median, ratio

RUNS=${RUNS:-7}
OUT=${OUT:-bench/results/deprivileged.md}
PNG=${OUT%.md}.png
PVRUN=build/pvrun
DEP_ARG=${DEPRIVILEGED_ARG:---deprivileged}
TIMEOUT=120
PROBE_TIMEOUT=60
BATCH_MAX=64
PT_PAGES=4096 PT_PASSES=3    # kernel/bench_pt.c
PT_MAPPED=$(( PT_PAGES * PT_PASSES ))   # by the timed passes of pt-each, pt-lazy
tmp=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "bench-deprivileged: logs kept in $tmp" >&2 || trap 'rm -rf "$tmp"' EXIT

for f in build/pvk.elf build/pvhv $PVRUN build/nested/tools.cpio.gz; do
	[ -r "$f" ] || { echo "run.sh: $f missing (make all nested first)" >&2; exit 1; }
done

jobs=(base compute pt pt-setup pt-each pt-lazy)
cmd_of() { case $1 in base) echo "tests=off" ;; *) echo "bench=$1 tests=off" ;; esac; }

# ---- the probe: does pvhv --deprivileged boot pvk? ---------------------------
modes=(pvhv)
dep_why="" dep_cpl3=""
echo "bench-deprivileged: probing pvhv $DEP_ARG (one boot in L1)" >&2
$PVRUN --env nested-pvhv --pvhv-arg "$DEP_ARG" --cmdline "tests=off" \
	--timeout $PROBE_TIMEOUT --quiet --log "$tmp/probe.log" >"$tmp/probe.out" 2>&1 || :
if grep -q '^pvk: ready in' "$tmp/probe.log" 2>/dev/null; then
	modes+=(deprivileged)
	# the mode's own boot report (issue 14), or its absence
	dep_cpl3=$(grep -m1 '^pvk: running at CPL' "$tmp/probe.log" || echo "no \"pvk: running at CPL 3\" line")
else
	# pvhv's own complaint when there is one, else what pvrun said
	dep_why=$(grep -m1 -E '^(build/)?pvhv(-asan)?: ' "$tmp/probe.log" 2>/dev/null ||
		grep -m1 '^pvrun: ' "$tmp/probe.out" || echo "no output")
	echo "bench-deprivileged: deprivileged mode skipped: $dep_why" >&2
fi
pvhv_args() { [ "$1" = deprivileged ] && echo "--pvhv-arg $DEP_ARG" || :; }

# ---- the runs: native one by one, the nested ones in one L1 boot -------------
for r in $(seq "$RUNS"); do
	for j in "${jobs[@]}"; do
		"$PVRUN" --env native --cmdline "$(cmd_of $j)" --timeout $TIMEOUT --quiet \
			--log "$tmp/native-$j.$r.log" >/dev/null 2>&1 ||
			echo "bench-deprivileged: native $j run $r failed" >&2
		for m in "${modes[@]}"; do
			echo "$m-$j.$r --env nested-pvhv --pvhv-arg --stats $(pvhv_args $m)$(printf ' %q' \
				--cmdline "$(cmd_of $j)" --timeout $TIMEOUT)"
		done >>"$tmp/batch"
	done
done
echo "bench-deprivileged: $(wc -l <"$tmp/batch") boots in L1 (QEMU TCG, emulated SVM)" >&2
# pvrun takes at most BATCH_MAX jobs a batch (tools/pvrun_nested.c MAX_JOBS)
split -l $BATCH_MAX "$tmp/batch" "$tmp/batch-part."
for b in "$tmp"/batch-part.*; do
	$PVRUN --batch "$b" --results "$tmp" --quiet >/dev/null 2>&1 || :
done

# ---- the numbers -------------------------------------------------------------
logs() { ls "$tmp/$1-$2".*.log 2>/dev/null || :; }   # place job
ready_all() { local f; for f in $(logs "$1" base); do sed -n 's/^pvk: ready in \([0-9]*\) us$/\1/p' "$f"; done; }   # us
ready() { ready_all "$1" | median; }
# the fewest and the most, in ms: how much the shared machine disturbed
ready_range() { ready_all "$1" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%.1f..%.1f", lo / 1000, hi / 1000; else print "nan" }'; }
# bench: compute: round N ns, C cycles (...)
compute() {   # place unit(ns|cycles)
	local f
	for f in $(logs "$1" compute); do
		sed -n "s/^bench: compute: round \([0-9]*\) ns, \([0-9]*\) cycles .* 0 rounds wrong$/\1 \2/p" "$f"
	done | awk -v u="$2" '{ print u == "ns" ? $1 : $2 }' | median
}
# bench: pt: 4096 pages ...: WAY N ns, C cycles per page; 0 wrong
pt() {   # place way(each|lazy) unit(ns|cycles)
	local f
	for f in $(logs "$1" pt); do
		grep -m1 '^bench: pt: .* 0 wrong$' "$f" | tr ',;' '  ' |
			awk -v w="$2" -v u="$3" '{ for (i = 1; i < NF; i++) if ($i == w) s = 1; else if (s && $(i + 1) == u) { print $i; exit } }'
	done | median
}
stat() { sed -n '/^pvhv: exits by reason/,$p' "$1" 2>/dev/null | awk -v k="$2" '$1 == k { print $2; exit }'; }
per_boot() { local f; for f in $(logs "$1" base); do stat "$f" "$2"; done | median; }   # place counter
exits_per_page() {   # place way counter: median over runs of (pt-WAY boot - pt-setup boot) / pages
	local f r a b
	for f in $(logs "$1" "pt-$2"); do
		r=${f%.log}; r=${r##*.}
		a=$(stat "$f" "$3"); b=$(stat "$tmp/$1-pt-setup.$r.log" "$3")
		[ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" -v n=$PT_MAPPED 'BEGIN { printf "%.4f\n", (a - b) / n }'
	done | median
}
runs_ok() {   # place job: boots that printed the job's line
	local n=0 f pat
	case $2 in
	base) pat='^pvk: ready in' ;;
	compute) pat='^bench: compute: round .* 0 rounds wrong' ;;
	*) pat='^bench: pt: .* 0 wrong' ;;
	esac
	for f in $(logs "$1" "$2"); do grep -q "$pat" "$f" && n=$((n + 1)); done
	echo "$n/$RUNS"
}

places=(native "${modes[@]}")
declare -A V
for p in "${places[@]}"; do
	V[$p.ready]=$(ready $p)
	V[$p.ready.range]=$(ready_range $p)
	V[$p.compute.ns]=$(compute $p ns)
	V[$p.compute.cycles]=$(compute $p cycles)
	for w in each lazy; do
		V[$p.pt.$w.ns]=$(pt $p $w ns)
		V[$p.pt.$w.cycles]=$(pt $p $w cycles)
	done
	[ $p = native ] && continue
	for k in kvm_exits run_exits io_uart uart_bytes hypercalls; do V[$p.boot.$k]=$(per_boot $p $k); done
	for w in each lazy; do
		for k in kvm_exits run_exits hypercalls; do V[$p.pt.$w.$k]=$(exits_per_page $p $w $k); done
	done
done
us() { awk -v n="$1" 'BEGIN { if (n == "nan") print "nan"; else printf "%.1f", n / 1000 }'; }
mega() { awk -v n="$1" 'BEGIN { if (n == "nan") print "nan"; else printf "%.2f", n / 1000000 }'; }
kilo() { awk -v n="$1" 'BEGIN { if (n == "nan") print "nan"; else printf "%.2f", n / 1000 }'; }
raw() { echo "$1"; }
# row LABEL KEY FORMAT [host]: one line of the table, each place's V[place.KEY]
# through FORMAT (raw, kilo, mega); "host": a count only pvhv has
row() {
	local line="| $1 |" p
	for p in native pvhv deprivileged; do
		if [ $p = native ] && [ "${4:-}" = host ]; then line+=" - |"
		elif [ $p = deprivileged ] && [ -n "$dep_why" ]; then line+=" not yet run |"
		else line+=" $($3 "${V[$p.$2]:-nan}") |"; fi
	done
	echo "$line"
}

# ---- the record --------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
echo "# Deprivileged pvk (CPL 3 on pvhv) against pvhv's normal mode"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $cpu, pvk $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
echo "Recorded by \`make bench-deprivileged\` (bench/deprivileged/run.sh); each figure is the"
echo "median of $RUNS boots."
echo
echo "Where: this machine has no /dev/kvm. *native* is QEMU TCG with no hypervisor (the"
echo "reference); *pvhv* and *deprivileged* are pvhv inside the nested L1 (Debian's KVM on"
echo "QEMU TCG's emulated SVM, \`pvrun --env nested-pvhv\`), in its normal mode and with"
echo "\`--deprivileged\`. Under TCG both rings run at the same speed, so what a"
echo "deprivileged kernel pays shows only as its hypercalls and exits; the speed-up of"
echo "issue 14's targets (ring 0 emulated by PVM, ring 3 native) needs a PVM /dev/kvm."
echo
if [ -n "$dep_why" ]; then
	echo "**Deprivileged mode not yet run**: the probe boot (\`pvrun --env nested-pvhv"
	echo "--pvhv-arg --deprivileged\`) did not reach \"pvk: ready\"; it said:"
	echo
	echo "    $dep_why"
	echo
else
	echo "The deprivileged column: \`pvhv $DEP_ARG\`; its probe boot said: $dep_cpl3."
	echo
fi
echo "| figure | native (TCG) | pvhv normal (nested) | pvhv deprivileged (nested) |"
echo "| --- | ---: | ---: | ---: |"
row "boot to \"pvk: ready\", ms" ready kilo
row "the same, fewest..most of the boots" ready.range raw
row "KVM exits per boot (tests=off)" boot.kvm_exits raw host
row "exits to pvhv (run_exits) per boot" boot.run_exits raw host
row "of them the UART's port exits (io_uart)" boot.io_uart raw host
row "bytes through the UART" boot.uart_bytes raw host
row "hypercalls per boot" boot.hypercalls raw host
row "compute: a round, ms" compute.ns mega
row "compute: a round, Mcycles" compute.cycles mega
for w in each lazy; do
	[ $w = each ] && n="page by page" || n="lazy MMU mode"
	row "pt, $n: a page, ns" pt.$w.ns raw
	row "pt, $n: a page, cycles" pt.$w.cycles raw
	row "pt, $n: KVM exits per page" pt.$w.kvm_exits raw host
	row "pt, $n: hypercalls per page" pt.$w.hypercalls raw host
done
echo
echo "Boots that printed their figure:"
echo
echo "| place |$(printf ' %s |' "${jobs[@]}")"
echo "| --- |$(printf ' ---: |%.0s' "${jobs[@]}")"
for p in "${places[@]}"; do
	row="| $p |"
	for j in "${jobs[@]}"; do row+=" $(runs_ok $p $j) |"; done
	echo "$row"
done
echo
echo "The workloads:"
echo
echo "- *compute* (\`bench=compute\`): Adler-32 of 4 MiB (1024 pages from the page"
echo "  allocator), copied to a second 4 MiB, Adler-32 of the copy, copied back: no"
echo "  privileged operation in the loop; the best of 5 rounds of a boot, by sched_clock"
echo "  and the TSC. Every round's sums are checked against zlib's for the same bytes."
echo "- *pt* (\`bench=pt\`): $PT_PAGES pages mapped at an unused kernel range (map_page:"
echo "  set_pte and a one-page flush), each touched, each unmapped (unmap_page: the same);"
echo "  page by page, or the maps and the unmaps each inside lazy_mmu_enter/leave (no-ops"
echo "  on the normal mode's platforms; a deprivileged platform batches there). The two"
echo "  ways alternate in one boot, best of $PT_PASSES passes each. Exits and hypercalls per"
echo "  page: pvhv's counts of a \`bench=pt-each\` or \`bench=pt-lazy\` boot (one way only)"
echo "  less a \`bench=pt-setup\` boot's (the same $PT_PAGES frames taken and the range's tables"
echo "  built, no timed pass), over the $PT_MAPPED pages of the timed passes: the longer boot's"
echo "  timer ticks and the workload's own console lines are in them."
echo
echo "Why they come out as they do:"
echo
echo "- The machine is shared and everything is emulated: the spread of boot to ready"
echo "  across boots (the row above) is the noise, and a difference smaller than it"
echo "  means nothing."
echo "- Boot to ready costs pvhv's normal mode more than TCG alone: the L1 KVM's exits,"
echo "  most of them to pvhv in user space, which are port I/O: the UART's (two exits a"
echo "  byte, for what pvk prints before it has chosen its platform) and the console"
echo "  hypercalls after that."
echo "- compute never leaves the guest: the same order as native TCG in both places."
echo "- pt in the normal mode: with nested paging the guest writes its own page tables"
echo "  and runs invlpg without an exit, so the exits per page are close to zero (what"
echo "  is left is the longer boot's ticks and console lines) and lazy MMU mode, a no-op"
echo "  there, changes nothing beyond the noise. A deprivileged kernel pays a hypercall"
echo "  per PTE change and flush page by page, and one per batch in lazy mode: these are"
echo "  the rows where the two modes should differ."
if [ -z "$dep_why" ]; then
	x() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "?"; else printf "%.1f", a / b }'; }
	echo "- Deprivileged, boot: ${V[deprivileged.boot.run_exits]:-?} exits to pvhv against"
	echo "  ${V[pvhv.boot.run_exits]:-?}: its console is a hypercall from its first line (no UART"
	echo "  byte at all), and its ${V[deprivileged.boot.hypercalls]:-?} hypercalls (pins and entries of the"
	echo "  kernel's page tables, most of them) travel in multicalls, 64 to an exit."
	echo "  Boot to ready is within the noise of the normal mode's: under TCG ring 3 is"
	echo "  no faster than ring 0."
	echo "- Deprivileged, compute: nothing privileged and no hypercall in the loop, only"
	echo "  the timer's ticks (each a round trip through the monitor at CPL 3): under TCG"
	echo "  the mode should not matter; this run's ratio to the normal mode is"
	echo "  $(x "${V[deprivileged.compute.ns]:-nan}" "${V[pvhv.compute.ns]:-nan}") (a machine shared with other work moves it). On a PVM /dev/kvm the normal mode's ring 0 is"
	echo "  emulated and this loop would not be: that is issue 14's 100x, not measurable"
	echo "  here."
	echo "- Deprivileged, pt page by page: every PTE change is an MMU_UPDATE, one exit"
	echo "  (the flush after it is the monitor's FLUSH gate, no exit): ${V[deprivileged.pt.each.kvm_exits]:-?} KVM exits a"
	echo "  page (a map and an unmap), $(x "${V[deprivileged.pt.each.ns]:-nan}" "${V[pvhv.pt.each.ns]:-nan}")x the normal mode's time. In lazy MMU"
	echo "  mode the changes queue, the flush waits for the batch, and 64 go in one"
	echo "  MULTICALL: ${V[deprivileged.pt.lazy.kvm_exits]:-?} exits a page, $(x "${V[deprivileged.pt.each.ns]:-nan}" "${V[deprivileged.pt.lazy.ns]:-nan}")x faster than page by page"
	echo "  (the hypercalls per page stay: each queued change is one, run inside pvhv)."
fi
} >"$OUT"

# ---- the plot ----------------------------------------------------------------
tools/deps.sh plot >/dev/null 2>&1 || :
if command -v gnuplot >/dev/null; then
	cell() { local v=${V[$1.$2]:-nan}; [ "$v" = nan ] && echo 0 || echo "$v"; }
	for p in "${places[@]}"; do
		echo "$p $(cell $p ready) $(cell $p compute.ns) $(cell $p pt.each.ns) $(cell $p pt.lazy.ns)"   # us ns ns ns
	done >"$tmp/plot.dat"
	gnuplot <<-GP 2>/dev/null && { echo; echo "![deprivileged against normal](${PNG##*/})"; } >>"$OUT"
		set terminal pngcairo size 1200,420 noenhanced
		set output "$PNG"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set key off
		set yrange [0:*]
		set offsets 0, 0, graph 0.3, 0
		set multiplot layout 1,3 title "pvk under QEMU TCG: native, pvhv normal, pvhv deprivileged (median of $RUNS boots)"
		set title "boot to ready, ms"
		plot "$tmp/plot.dat" using (\$2 / 1e3):xtic(1)
		set title "compute: a round, ms"
		plot "$tmp/plot.dat" using (\$3 / 1e6):xtic(1)
		set title "pt: a page, ns (each, lazy; log scale)"
		set key top left
		set logscale y
		set yrange [100:*]
		plot "$tmp/plot.dat" using 4:xtic(1) title "page by page", "" using 5 title "lazy MMU mode"
		unset multiplot
	GP
fi
echo "bench-deprivileged: results in $OUT" >&2
cat "$OUT"
