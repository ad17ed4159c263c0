#!/usr/bin/env bash
# bench/user/run.sh - what a system call and a user page fault cost, with
# the entry code's pv sites patched and with pv=nopatch (each site its
# indirect call): bench/results/user.md. `make bench-user` runs it.
#
# The workload is bench=user (kernel/bench_user.c): a program making
# 10,000 getpid calls and one taking 256 demand-zero faults, each less a
# program doing neither, best of 3 runs in one boot; it prints ns (by
# sched_clock) and TSC cycles per round trip.
#
# Where (build/pvrun):
#   native       QEMU TCG, 1 CPU: TCG's time, roughly its instruction count
#   nested-kvm   QEMU -accel kvm inside the nested L1 (emulated SVM)
#   nested-pvhv  pvhv inside L1; its --stats give the exits: the bench
#                boot's kvm_exits less a boot without the workload, over
#                every system call and fault the workload made (an upper
#                bound: the programs' spawns, exits and the ticks of the
#                longer boot are in it too)
# Everything runs under TCG: a nanosecond or cycle is TCG's, not a CPU's;
# only the ratio nopatch / patched of one place means something. Each
# figure is the median over RUNS boots.
#
# Environment: RUNS (default 5), OUT (bench/results/user.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh    # median, ratio

RUNS=${RUNS:-5}
OUT=${OUT:-bench/results/user.md}
PVRUN=build/pvrun
TIMEOUT=300
SYSCALLS=10000 FAULTS=256 BEST_OF=3    # kernel/bench_user.[ch]
tmp=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "bench-user: logs kept in $tmp" >&2 || trap 'rm -rf "$tmp"' EXIT

for f in build/pvk.elf build/pvhv $PVRUN build/nested/tools.cpio.gz; do
	[ -r "$f" ] || { echo "run.sh: $f missing (make all nested first)" >&2; exit 1; }
done

places=(native nested-kvm nested-pvhv)
builds=(patched nopatch)
cmd_of() { case $1 in patched) echo "bench=user tests=off" ;; nopatch) echo "bench=user tests=off pv=nopatch" ;; base) echo "tests=off" ;; esac; }

# ---- the runs: native one by one, the nested ones in one L1 boot -------------
for r in $(seq "$RUNS"); do
	for b in "${builds[@]}"; do
		"$PVRUN" --env native --cmdline "$(cmd_of $b)" --timeout $TIMEOUT --quiet \
			--log "$tmp/native-$b.$r.log" >/dev/null 2>&1 ||
			echo "bench-user: native $b run $r failed" >&2
	done
	for p in nested-kvm nested-pvhv; do
		stats=(); [ $p = nested-pvhv ] && stats=(--pvhv-arg --stats)
		for b in base "${builds[@]}"; do
			[ $p = nested-kvm ] && [ $b = base ] && continue
			echo "$p-$b.$r$(printf ' %q' --env $p "${stats[@]}" --cmdline "$(cmd_of $b)" --timeout $TIMEOUT)"
		done
	done
done >"$tmp/batch"
echo "bench-user: $(wc -l <"$tmp/batch") boots in one L1 (QEMU TCG, emulated SVM)" >&2
$PVRUN --batch "$tmp/batch" --results "$tmp" --quiet >/dev/null 2>&1 || :

# ---- the numbers -------------------------------------------------------------
# bench: user: syscall round trip N ns, C cycles (10000 calls); page fault round trip N ns, C cycles (256 faults)
field() {   # place build which(syscall|fault) unit(ns|cycles): the median
	local f
	for f in "$tmp/$1-$2".*.log; do
		grep -m1 '^bench: user: syscall' "$f" 2>/dev/null | tr ',;()' '    ' |
			awk -v w="$3" -v u="$4" '{
				for (i = 1; i < NF; i++) {
					if ($i == "syscall") s = 1
					if ($i == "fault") s = 2
					if ($(i + 1) == u && ((w == "syscall" && s == 1) || (w == "fault" && s == 2))) { print $i; exit }
				}
			}'
	done | median
}
kvm_exits() { sed -n '/^pvhv: exits by reason/,$p' "$1" 2>/dev/null | awk '$1 == "kvm_exits" { print $2; exit }'; }
exits_per_op() {   # build: median over runs of (bench boot - base boot) / operations
	local f r a b
	for f in "$tmp/nested-pvhv-$1".*.log; do
		r=${f%.log}; r=${r##*.}
		a=$(kvm_exits "$f"); b=$(kvm_exits "$tmp/nested-pvhv-base.$r.log")
		[ -n "$a" ] && [ -n "$b" ] &&
			awk -v a="$a" -v b="$b" -v n=$(( BEST_OF * (SYSCALLS + FAULTS) )) 'BEGIN { printf "%.4f\n", (a - b) / n }'
	done | median
}
runs_ok() { local n=0 f; for f in "$tmp/$1-$2".*.log; do grep -q '^bench: user: syscall' "$f" 2>/dev/null && n=$((n + 1)); done; echo "$n/$RUNS"; }

{
echo "# User mode: a system call's and a page fault's round trip, patched and unpatched"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), pvk $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
echo "Recorded by \`make bench-user\` (bench/user/run.sh); medians of $RUNS boots per row."
echo "The workload (\`bench=user\`, kernel/bench_user.c): $SYSCALLS getpid calls (syscall, entry.S's"
echo "swapgs/sti/cli/sysretq sites, the dispatcher) and $FAULTS demand-zero page faults (the #PF entry with"
echo "its cr2 and swapgs sites, a zeroed page mapped, iretq), each less a program doing neither,"
echo "best of $BEST_OF runs per boot. *patched*: every site patched for the platform; *nopatch*:"
echo "\`pv=nopatch\`, each site its indirect call."
echo
echo "Everything here runs under QEMU TCG (natively, or as L1 with emulated SVM for the"
echo "nested places): a nanosecond or a cycle is TCG's, not a CPU's, and only the ratio"
echo "nopatch / patched within one place means something. No /dev/kvm on this machine: the"
echo "place with real cycles would be the kvm or pvhv environment on a CPU that runs guest"
echo "ring 0 itself."
echo
echo "| place | build | runs ok | syscall ns | syscall cycles | fault ns | fault cycles |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for p in "${places[@]}"; do
	for b in "${builds[@]}"; do
		echo "| $p | $b | $(runs_ok $p $b) | $(field $p $b syscall ns) | $(field $p $b syscall cycles) | $(field $p $b fault ns) | $(field $p $b fault cycles) |"
	done
done
echo
echo "nopatch / patched (cycles):"
echo
for p in "${places[@]}"; do
	echo "- $p: system call $(ratio "$(field $p nopatch syscall cycles)" "$(field $p patched syscall cycles)"), page fault $(ratio "$(field $p nopatch fault cycles)" "$(field $p patched fault cycles)")"
done
echo
echo "## Exits (nested-pvhv, pvhv's --stats)"
echo
echo "KVM's exits of a bench boot less a boot without the workload, over the"
echo "$(( BEST_OF * (SYSCALLS + FAULTS) )) system calls and faults it made: an upper bound per operation"
echo "(the programs' spawns and exits and the ticks of the longer boot are in it)."
echo "On hardware virtualization neither \`syscall\`/\`sysretq\`, \`swapgs\` nor a guest"
echo "page fault with nested paging leaves the guest."
echo
echo "| build | exits per operation |"
echo "| --- | ---: |"
for b in "${builds[@]}"; do echo "| $b | $(exits_per_op $b) |"; done
} >"$OUT"
echo "bench-user: wrote $OUT" >&2
