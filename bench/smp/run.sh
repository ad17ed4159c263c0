#!/usr/bin/env bash
# bench/smp/run.sh - the SMP features against their native twins, with
# more vCPUs than CPUs: bench/results/smp.md (and smp.png when gnuplot is
# there). `make bench-smp` runs it.
#
# Three workloads (kernel/bench.c, kernel/bench_smp.c), each run with its
# feature on and with pvoff=NAME (its native twin), same hypervisor, same
# binary, so every comparison is one switch apart:
#   bench=lock  every CPU takes one spinlock for 500 ms: acquisitions per
#               second; pv_unhalt (a waiter halts, the unlocker kicks it)
#               against the native queued spinlock (a waiter spins);
#   bench=tlb   one CPU shoots down a page on every other CPU (each kept
#               busy) for 2 s: shootdowns per second; pv_tlb_flush (a
#               preempted vCPU's flush left to the host) against an IPI
#               to each;
#   bench=ipi   one CPU calls a function on every other CPU for 2 s:
#               rounds per second and exits per round; pv_send_ipi (one
#               hypercall for the set) against one ICR write per target.
# Each kernel line also gives what the feature did (waits and kicks,
# flushes left to the host, IPIs by hypercall), so a row whose feature was
# not used says so.
#
# Where: 4 vCPUs (SMP_CPUS) inside the nested L1, which has one CPU:
# 4 vCPUs on 1, the overcommit these features are for. Two hypervisors
# there: QEMU -accel kvm (nested-kvm) and pvhv (nested-pvhv), whose
# --stats counts the exits (a run with the workload minus one without).
# Everything runs under QEMU TCG: rates are of an emulated machine, only
# their ratios, same run, mean something.
#
# Environment: RUNS (default 3) boots per job, SMP_CPUS (4), OUT
# (bench/results/smp.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh    # median, ratio

RUNS=${RUNS:-3}
SMP_CPUS=${SMP_CPUS:-4}
OUT=${OUT:-bench/results/smp.md}
PNG=${OUT%.md}.png
PVRUN=build/pvrun
TIMEOUT=300
tmp=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "bench-smp: logs kept in $tmp" >&2 || trap 'rm -rf "$tmp"' EXIT

for f in build/pvk.elf build/pvhv $PVRUN build/nested/tools.cpio.gz; do
	[ -r "$f" ] || { echo "run.sh: $f missing (make all nested first)" >&2; exit 1; }
done

# workload, its feature (the pvoff= name), the line's rate unit
workloads=("lock pv_unhalt acquisitions" "tlb pv_tlb_flush shootdowns" "ipi pv_send_ipi rounds")
places=(nested-kvm nested-pvhv)

# ---- the runs: every job of both places in one L1 boot ----------------------
for r in $(seq "$RUNS"); do
	for p in "${places[@]}"; do
		stats=(); [ $p = nested-pvhv ] && stats=(--pvhv-arg --stats)
		echo "$p-base.$r$(printf ' %q' --env $p --smp "$SMP_CPUS" "${stats[@]}" \
			--cmdline "tests=off" --timeout $TIMEOUT)"
		for w in "${workloads[@]}"; do
			read -r name feat _ <<<"$w"
			echo "$p-$name-on.$r$(printf ' %q' --env $p --smp "$SMP_CPUS" "${stats[@]}" \
				--cmdline "bench=$name tests=off" --timeout $TIMEOUT)"
			echo "$p-$name-off.$r$(printf ' %q' --env $p --smp "$SMP_CPUS" "${stats[@]}" \
				--cmdline "bench=$name tests=off pvoff=$feat" --timeout $TIMEOUT)"
		done
	done
done >"$tmp/batch"
echo "bench-smp: $(wc -l <"$tmp/batch") boots in one L1 (QEMU TCG, emulated SVM), $SMP_CPUS vCPUs each" >&2
$PVRUN --batch "$tmp/batch" --results "$tmp" --quiet >/dev/null 2>&1 || :
ls "$tmp"/*.log >/dev/null 2>&1 || { echo "bench-smp: no run left a log (make nested?)" >&2; exit 1; }

# ---- the numbers -------------------------------------------------------------
# the workload's line, "bench: NAME: ... N UNIT ... in T us, ...":
#   bench: lock: 4 CPUs, N acquisitions in T us, R acquisitions/s; slow paths ...
#   bench: ipi: N rounds to 3 CPUs in T us, R rounds/s, H hypercalls, I icr, Y yields
#   bench: tlb: N shootdowns of 3 CPUs in T us, R shootdowns/s, I ipis, D deferred, Y yields
line() { grep -m1 "^bench: $2: " "$1" 2>/dev/null; }
# n_t LINE UNIT: "N T" (the count before UNIT, the time after "in")
n_t() {
	tr ',;' '  ' <<<"$1" | awk -v u="$2" '{
		for (i = 2; i <= NF; i++) {
			if ($i == u && n == "") n = $(i - 1)
			if ($i == "in" && $(i + 2) == "us" && t == "") t = $(i + 1)
		}
		if (n != "" && t != "") print n, t }'
}
# rate(place, job, name, unit): median over runs of N / T, per second
rate() {
	local f
	for f in "$tmp/$1-$2".*.log; do
		n_t "$(line "$f" "$3")" "$4" | awk '$2 > 0 { printf "%.1f\n", $1 * 1e6 / $2 }'
	done | median
}
# exits_per(place, job, name, unit): median over runs of (pvhv's
# kvm_exits in the job - in the base run) / N; nan where pvhv's table is
# missing (nested-kvm)
exits_per() {
	local p=$1 job=$2 name=$3 unit=$4 f r a b n
	for f in "$tmp/$p-$job".*.log; do
		r=${f#"$tmp/$p-$job."}; r=${r%.log}
		n=$(n_t "$(line "$f" "$name")" "$unit" | cut -d' ' -f1)
		a=$(sed -n '/^pvhv: exits by reason/,$p' "$f" | awk '$1 == "kvm_exits" { print $2; exit }')
		b=$(sed -n '/^pvhv: exits by reason/,$p' "$tmp/$p-base.$r.log" 2>/dev/null |
			awk '$1 == "kvm_exits" { print $2; exit }')
		if [ -n "$a" ] && [ -n "$b" ] && [ -n "$n" ] && [ "$n" -gt 0 ]; then
			awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%.4f\n", (a - b) / n }'
		fi
	done | median
}
state() {      # what the boot said of feature $3 in job $2
	local f=$(ls "$tmp/$1-$2".*.log 2>/dev/null | head -1) s
	[ -n "$f" ] || { echo "no run"; return; }
	s=$(sed -n "s/^pv: kvm: $3 \(.*\)/\1/p" "$f" | head -1)
	echo "${s:-not reported}"
}
verdict() {    # ratio target state
	awk -v x="$1" -v t="$2" 'BEGIN { if (x == "nan") print "not measured"; else if (x >= t) print "met"; else print "MISSED" }'
}

declare -A R
for p in "${places[@]}"; do
	for w in "${workloads[@]}"; do
		read -r name feat unit <<<"$w"
		for v in on off; do
			R[$p.$name.$v.rate]=$(rate $p $name-$v $name $unit)
			R[$p.$name.$v.exits]=$(exits_per $p $name-$v $name $unit)
			R[$p.$name.$v.line]=$(line "$(ls "$tmp/$p-$name-$v".*.log 2>/dev/null | head -1)" $name |
				sed 's/^bench: [a-z]*: //' || :)
		done
		R[$p.$name.state]=$(state $p $name-on $feat)
		R[$p.$name.ratio]=$(ratio "${R[$p.$name.on.rate]}" "${R[$p.$name.off.rate]}")
	done
done

# ---- the record --------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
l1=$(head -1 build/nested/l1.txt 2>/dev/null || echo "Debian's Linux")
{
	echo "# SMP features against their native twins, $SMP_CPUS vCPUs on one CPU"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $cpu ($(nproc) CPUs), pvk $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
	echo "Recorded by \`make bench-smp\` (bench/smp/run.sh): medians of $RUNS boots per row."
	echo
	echo "Where: the nested L1 ($l1 under QEMU TCG -cpu max, emulated SVM, **one"
	echo "vCPU**), running pvk with $SMP_CPUS vCPUs under QEMU -accel kvm (nested-kvm) and"
	echo "under pvhv (nested-pvhv): $SMP_CPUS vCPUs on one CPU, so a vCPU holding a lock, or"
	echo "owing an answer to an IPI, is often not running. Everything is emulated by TCG:"
	echo "a rate is of that emulated machine; only the ratio of two rows of the same"
	echo "place, one switch apart, means something. Exits are pvhv's count (its"
	echo "\`--stats\`, KVM's exit counter) of a run minus a run without the workload;"
	echo "QEMU counts none (nan)."
	echo
	for w in "${workloads[@]}"; do
		read -r name feat unit <<<"$w"
		case $name in
		lock) echo "## Lock contention: bench=lock, pv spinlock (pv_unhalt) against the native queued spinlock"; t=2 ;;
		tlb) echo "## TLB shootdown storm: bench=tlb, PV TLB flush against an IPI per CPU"; t=1.5 ;;
		ipi) echo "## Many-target IPIs: bench=ipi, PV send-IPI against one ICR write per target"; t=0 ;;
		esac
		echo
		echo "| place | $feat | $unit per second | exits per ${unit%s} | what the workload said (first run) |"
		echo "| --- | --- | ---: | ---: | --- |"
		for p in "${places[@]}"; do
			echo "| $p | on (boot said: ${R[$p.$name.state]}) | ${R[$p.$name.on.rate]} | ${R[$p.$name.on.exits]} | ${R[$p.$name.on.line]} |"
			echo "| $p | off (pvoff=$feat) | ${R[$p.$name.off.rate]} | ${R[$p.$name.off.exits]} | ${R[$p.$name.off.line]} |"
		done
		echo
		for p in "${places[@]}"; do
			if [ "$t" = 0 ]; then
				echo "- $p: on / off = ${R[$p.$name.ratio]} in rounds per second; exits per round ${R[$p.$name.on.exits]} on, ${R[$p.$name.off.exits]} off."
			else
				echo "- $p: on / off = ${R[$p.$name.ratio]} (target at least $t): $(verdict "${R[$p.$name.ratio]}" $t)."
			fi
		done
		echo
		case $name in
		lock) echo "A native waiter spins through its whole host time slice while the holder, or"
		      echo "the next in the queue, waits to run; a pv waiter halts (waits), the unlocker"
		      echo "kicks it, and a running vCPU may take a lock whose queue head is halted"
		      echo "(steals): the lock keeps moving among the vCPUs that run." ;;
		tlb) echo "With four vCPUs on one CPU every busy target is preempted while the sender"
		     echo "runs: with PV TLB flush nearly every flush is left to the host (deferred), with"
		     echo "IPIs each shootdown waits until every target has been scheduled to answer"
		     echo "(and yields to them: pv_sched_yield stays on in both rows). The ratio is that"
		     echo "worst case, not a typical machine's; the exits say the same per shootdown." ;;
		ipi) echo "Under x2APIC each ICR write is a WRMSR exit: three targets, three exits a round;"
		     echo "PV send-IPI is one hypercall exit for the set. The rest of a round's exits are"
		     echo "the targets' EOIs, halts and wake-ups, the same in both rows." ;;
		esac
		echo
	done
} >"$OUT"

# ---- the plot ------------------------------------------------------------------
if ! command -v gnuplot >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "bench-smp: installing gnuplot-nox for the plot" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || true
fi
if command -v gnuplot >/dev/null; then
	nanz() { [ "$1" = nan ] && echo 0 || echo "$1"; }
	for w in "${workloads[@]}"; do
		read -r name _ <<<"$w"
		for p in "${places[@]}"; do
			echo "$p $(nanz "${R[$p.$name.on.rate]}") $(nanz "${R[$p.$name.off.rate]}")"
		done >"$tmp/$name.dat"
	done
	gnuplot <<-GP 2>/dev/null && { echo; echo "![SMP features against native](${PNG##*/})"; } >>"$OUT"
		set terminal pngcairo size 1200,420 noenhanced
		set output "$PNG"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set key top right
		set offsets 0, 0, graph 0.3, 0
		set yrange [0:*]
		set multiplot layout 1,3 title "SMP features (on) against their native twins (pvoff=), $SMP_CPUS vCPUs on one CPU, under TCG"
		set title "lock acquisitions per second"
		plot "$tmp/lock.dat" using 2:xtic(1) title "pv spinlock", "" using 3 title "native qspinlock"
		set title "TLB shootdowns per second (log scale)"
		set logscale y
		set yrange [1:*]
		plot "$tmp/tlb.dat" using 2:xtic(1) title "PV TLB flush", "" using 3 title "IPIs"
		set title "IPI rounds per second"
		unset logscale y
		set yrange [0:*]
		plot "$tmp/ipi.dat" using 2:xtic(1) title "PV send-IPI", "" using 3 title "ICR writes"
		unset multiplot
	GP
fi
echo "bench-smp: results in $OUT" >&2
cat "$OUT"
