#!/usr/bin/env bash
# matrix.sh RESULTS_DIR - boot pvk in every environment, with patching on
# and off, through pvrun; then the boots that must fail cleanly.
#
# The plan comes first: RESULTS_DIR/matrix.list names every TAP file this
# suite must leave (one per boot, plus bad-boot.tap for the boots that
# must fail), so tests/summary.sh can tell a missing result from a smaller
# total. Each boot writes NAME.tap (one line per KTAP test, one for the
# boot itself, one for the platform it chose) and NAME.log (the serial
# output). An environment this machine cannot run is a TAP skip with its
# reason; the nested ones (a real KVM inside QEMU TCG) run everywhere, all
# of their boots in one L1 boot.
#
# PVK_ENVS="native pvhv ..." limits the environments (default: all).
# Exits 1 when anything failed.
set -u
out=$1
cd "$(dirname "$0")/../.."
pvrun=build/pvrun
mkdir -p "$out"
fail=0

# ---- the plan ---------------------------------------------------------------
names=() args=()        # a boot: its name and its pvrun arguments (shell words)
listed=()               # the TAP files that count
add() {                 # add [-x] NAME PVRUN-ARGS...  (-x: judged below, not listed)
	local judged_here=0
	[ "$1" = -x ] && { judged_here=1; shift; }
	names+=("$1")
	args+=("$(printf ' %q' "${@:2}")")
	[ $judged_here -eq 1 ] || listed+=("$1.tap")
}
# Each environment and the platform pvk must choose there: pvrun's table.
declare -A platform
while read -r name plat _; do platform[$name]=$plat; done < <($pvrun --list-envs)
[ ${#platform[@]} -gt 0 ] || { echo "matrix.sh: $pvrun --list-envs failed" >&2; exit 2; }
platform_of() { echo "${platform[$1]:-}"; }
envs=${PVK_ENVS:-$($pvrun --list-envs | cut -d' ' -f1 | tr '\n' ' ')}
has_env() { [[ " $envs " == *" $1 "* ]]; }
# KVM's features pvk switches itself (pvoff= names), and those that need a
# working hypercall (with one CPU "offered (used with SMP)"; the SMP boots
# below check them taken).
kvm_msr="kvmclock steal_time pv_eoi nop_io_delay poll_control"
kvm_hc="pv_unhalt pv_send_ipi pv_sched_yield"
# pvhv's own twins of those (pvhv.c), taken where KVM's are not in use:
# the pvoff= boots of KVM's under pvhv switch them off too, for the native
# paths their tests check.
pvhv_smp="kick send_ipi yield"
pvhv_off() { case $1 in *pvhv) echo ",${pvhv_smp// /,}" ;; esac; }

for env in $envs; do
	[ -n "$(platform_of "$env")" ] || { echo "matrix.sh: unknown environment '$env'" >&2; exit 2; }
	for mode in auto nopatch; do
		add "boot-$env-$mode" --env "$env" --cmdline "pv=$mode" \
			--expect-platform "$(platform_of "$env")" --timeout 60
	done
	# KVM's switchable features all off: pvk must take every native path
	# (its self-tests check which) and say so line by line (below).
	case $env in kvm|pvhv|nested-kvm|nested-pvhv)
		add "boot-$env-pvoff-kvm" --env "$env" --cmdline "pvoff=${kvm_msr// /,}" \
			--expect-platform "$(platform_of "$env")" --timeout 60 ;;
	esac
	case $env in pvhv|nested-pvhv) ;; *) continue ;; esac
	# pvhv with its own interface hidden: pvk falls back to KVM's
	# features and the native UART, and must pass the same tests.
	for mode in auto nopatch; do
		add "boot-$env-nopv-$mode" --env "$env" --pvhv-arg --no-pv \
			--cmdline "pv=$mode" --expect-platform kvm --timeout 60
	done
	# pvhv's console switched off alone: pvk writes to the UART again
	# (its self-test checks which way the bytes went).
	add "boot-$env-pvoff-console" --env "$env" --cmdline "pvoff=console" \
		--expect-platform pvhv --timeout 60
	# pvhv under AddressSanitizer and UBSan, its interface on and off.
	add "boot-$env-asan-pv" --env "$env" --pvhv-bin build/pvhv-asan \
		--expect-platform pvhv --timeout 60
	add "boot-$env-asan-nopv" --env "$env" --pvhv-bin build/pvhv-asan \
		--pvhv-arg --no-pv --expect-platform kvm --timeout 60
	# An initrd (pvk's own image stands in: L1 carries it) handed over
	# through the start info's module list: pvk must name it (below).
	add "boot-$env-initrd" --env "$env" --pvhv-arg --initrd=build/pvk.elf \
		--expect-platform pvhv --timeout 60
	# The same image deprivileged (pvhv --deprivileged): pvk at CPL 3,
	# every privileged operation through pvhv and its monitor; patched and
	# not, and under the sanitized pvhv (its validator facing the kernel's
	# hostile self-test).
	for mode in auto nopatch; do
		add "boot-$env-cpl3-$mode" --env "$env" --pvhv-arg --deprivileged \
			--cmdline "pv=$mode" --expect-platform pvhv-cpl3 --timeout 60
	done
	add "boot-$env-cpl3-asan" --env "$env" --pvhv-bin build/pvhv-asan \
		--pvhv-arg --deprivileged --expect-platform pvhv-cpl3 --timeout 60
	# The loader's information itself broken: pvhv hands pvk a start info
	# with no memory map, more modules than fit, a command line that never
	# ends. Each must be refused with its message and status 2 (below).
	for kind in no-memmap modules cmdline; do
		add -x "bad-$env-start-info-$kind" --env "$env" \
			--pvhv-arg "--bad-start-info=$kind" --timeout 30
	done
done
# Two and four CPUs, described by the machine's ACPI MADT (QEMU's, or the
# one pvhv builds): every application processor must start and report in.
# Four is overcommit everywhere here (2 host CPUs; L1 has one), where the
# SMP features pay: with every KVM feature on, and with all of them off.
smp_envs="native kvm pvhv nested-kvm nested-pvhv"
for env in $smp_envs; do
	has_env $env || continue
	for n in 2 4; do
		add "boot-$env-smp$n" --env "$env" --smp $n \
			--expect-platform "$(platform_of "$env")" --timeout 90
	done
	case $env in native) continue ;; esac
	add "boot-$env-smp4-pvoff" --env "$env" --smp 4 \
		--cmdline "pvoff=$(echo $kvm_msr $kvm_hc pv_tlb_flush | tr ' ' ,)$(pvhv_off $env)" \
		--expect-platform "$(platform_of "$env")" --timeout 90
done
# Four CPUs with only KVM's SMP features off (the pv spinlock, send-IPI,
# yield, TLB flush): their native twins, steal time still on (pvk's
# t_kvm.c and t_kvm_smp.c check which path each took; with all on,
# boot-ENV-smp4 above).
kvm_smp="pv_unhalt pv_send_ipi pv_sched_yield pv_tlb_flush"
for env in nested-kvm nested-pvhv; do
	has_env $env || continue
	add "boot-$env-smp4-pvoff-smp" --env "$env" --smp 4 \
		--cmdline "pvoff=${kvm_smp// /,}$(pvhv_off $env)" \
		--expect-platform "$(platform_of "$env")" --timeout 90
done
# Four CPUs under pvhv with KVM's hypercalls hidden (the PVM-like case,
# vmm/kvm-hc.c): pvhv's own kick, send_ipi and yield take over (t_pvhv.c
# checks each engaged; their report lines below).
for env in pvhv nested-pvhv; do
	has_env $env || continue
	add "boot-$env-smp4-pvhv-smp" --env "$env" --smp 4 --pvhv-arg --kvm-hypercalls=off \
		--expect-platform pvhv --timeout 90
done

# The queued spinlock's pv slow path forced natively (qspinlock=pv): its
# halt-and-kick queue logic under TCG, over the native wait and kick (its
# self-tests, t_lock.c, prove the counter exact either way).
if has_env native; then
	add "boot-native-smp4-qspinlock-pv" --env native --smp 4 --cmdline "qspinlock=pv" \
		--expect-platform native --timeout 90
fi

# The kernel without paravirt (make nopv: every op the bare instruction,
# no sites) boots natively and passes the native tests (those about sites
# and platforms skip, saying PARAVIRT=0).
if has_env native; then
	add boot-nopv-native --env native --kernel build/nopv/pvk.elf \
		--expect-platform native --timeout 60
fi
listed+=(bad-boot.tap)
printf '%s\n' "${listed[@]}" >"$out/matrix.list"

# ---- the boots: here one by one, nested ones in one L1 boot --------------------
batch=$out/nested.batch
: >"$batch"
for i in "${!names[@]}"; do
	name=${names[$i]}
	case ${args[$i]} in
	*" nested-"*) echo "$name${args[$i]}" >>"$batch" ;;
	*)
		eval "$pvrun ${args[$i]} --quiet --tap '$out/$name.tap' --log '$out/$name.log'"
		echo $? >"$out/$name.rc"
		;;
	esac
done
if [ -s "$batch" ]; then
	$pvrun --batch "$batch" --results "$out" --quiet
fi
for i in "${!names[@]}"; do
	case $(cat "$out/${names[$i]}.rc" 2>/dev/null) in
	0|77) ;;
	*) [[ ${names[$i]} == bad-* ]] || fail=1 ;;
	esac
done

# ---- KVM's features: each line as the environment offers it ------------------
# What each environment offers, independently of pvk: QEMU's kvm hides the
# hypercall features on this machine's /dev/kvm (they hang PVM); pvhv's
# start-up probe decides them here (absent on PVM, offered on a KVM that
# answers); in the nested L1 (real SVM) everything is offered. Every
# feature line of pvk's boot report must match, and with pvoff= of the
# switchable ones they read "off (pvoff)" and what needs steal time is
# refused.
want_state() {          # want_state ENV FEATURE PVOFF(0|1): an ERE for the state
	local env=$1 f=$2 off=$3 offered
	case " $kvm_msr " in *" $f "*)
		if [ "$off" = 1 ]; then echo 'off \(pvoff\)'; else echo 'on( \(.*\))?'; fi
		return ;;
	esac
	case $env:$f in
	nested-*:*|*:pv_tlb_flush) offered=yes ;;
	pvhv:*) offered=maybe ;;
	*) offered=no ;;
	esac
	local on='offered \(used with SMP\)'
	# Linux's rule, and pvk's: TLB flush and yield ride on the steal record
	if [ "$off" = 1 ] && { [ $f = pv_tlb_flush ] || [ $f = pv_sched_yield ]; }; then
		on='refused \(needs steal_time\)'
	fi
	case $offered in
	yes) echo "$on" ;;
	no) echo 'absent' ;;
	maybe) echo "($on|absent)" ;;
	esac
}
feature_lines() {       # feature_lines NAME ENV PVOFF: a TAP line in NAME.tap
	local name=$1 env=$2 off=$3 bad= f
	[ -f "$out/$name.log" ] && [ "$(cat "$out/$name.rc" 2>/dev/null)" != 77 ] || return 0
	for f in $kvm_msr $kvm_hc pv_tlb_flush; do
		grep -qE "^pv: kvm: $f $(want_state "$env" "$f" "$off")\$" "$out/$name.log" ||
			bad="$bad $f: '$(grep -m1 "^pv: kvm: $f " "$out/$name.log" | cut -d' ' -f4-)'"
	done
	if [ -z "$bad" ]; then
		echo "ok - $name: every KVM feature line as $env offers it" >>"$out/$name.tap"
	else
		echo "not ok - $name: KVM feature lines not as $env offers:$bad" >>"$out/$name.tap"
		fail=1
	fi
}
for env in $envs; do
	case $env in kvm|pvhv|nested-kvm|nested-pvhv) ;; *) continue ;; esac
	feature_lines "boot-$env-auto" "$env" 0
	feature_lines "boot-$env-nopatch" "$env" 0
	feature_lines "boot-$env-pvoff-kvm" "$env" 1
	case $env in *pvhv) feature_lines "boot-$env-nopv-auto" "$env" 0 ;; esac
done

# With four CPUs the SMP features' report lines: KVM's taken ("on") or off
# by pvoff=; pvhv's on where KVM's hypercalls are hidden, left to KVM's
# where those are on, off by pvoff=.
smp_lines() {           # smp_lines NAME PLATFORM WHOSE "FEATURES" STATE-ERE: a TAP line in NAME.tap
	local name=$1 plat=$2 whose=$3 feats=$4 want=$5 bad= f
	[ -f "$out/$name.log" ] && [ "$(cat "$out/$name.rc" 2>/dev/null)" != 77 ] || return 0
	for f in $feats; do
		grep -qE "^pv: $plat: $f $want\$" "$out/$name.log" ||
			bad="$bad $f: '$(grep -m1 "^pv: $plat: $f " "$out/$name.log" | cut -d' ' -f4-)'"
	done
	if [ -z "$bad" ]; then
		echo "ok - $name: $whose SMP features ${want//\\/}" >>"$out/$name.tap"
	else
		echo "not ok - $name: $whose SMP features not ${want//\\/}:$bad" >>"$out/$name.tap"
		fail=1
	fi
}
smp_feature_lines() { smp_lines "$1" kvm "KVM's" "$kvm_smp" "$3"; }   # NAME ENV STATE-ERE
pvhv_smp_lines() { smp_lines "$1" pvhv "pvhv's" "$pvhv_smp" "$2"; }  # NAME STATE-ERE
for env in nested-kvm nested-pvhv; do
	has_env $env || continue
	smp_feature_lines "boot-$env-smp4" "$env" 'on'
	smp_feature_lines "boot-$env-smp4-pvoff" "$env" 'off \(pvoff\)'
	smp_feature_lines "boot-$env-smp4-pvoff-smp" "$env" 'off \(pvoff\)'
done
for env in pvhv nested-pvhv; do
	has_env $env || continue
	pvhv_smp_lines "boot-$env-smp4-pvhv-smp" 'on'
	pvhv_smp_lines "boot-$env-smp4" "not used \(KVM's .*\)"
	pvhv_smp_lines "boot-$env-smp4-pvoff-smp" 'off \(pvoff\)'
done

for env in $smp_envs; do
	for name in boot-$env-smp2 boot-$env-smp4 boot-$env-smp4-pvoff boot-$env-smp4-pvoff-smp \
		    boot-$env-smp4-qspinlock-pv boot-$env-smp4-pvhv-smp; do
		has_env $env && [ -f "$out/$name.log" ] && [ "$(cat "$out/$name.rc" 2>/dev/null)" != 77 ] || continue
		n=${name#boot-$env-smp}
		n=${n%%-*}
		if grep -q "^smp: $n CPUs online" "$out/$name.log"; then
			echo "ok - $name: smp: $n CPUs online" >>"$out/$name.tap"
		else
			echo "not ok - $name: not all $n CPUs online: '$(grep -m1 '^smp:' "$out/$name.log")'" >>"$out/$name.tap"
			fail=1
		fi
	done
done

# --initrd: pvk reports module 0 with the file's size, at the top of RAM.
for env in pvhv nested-pvhv; do
	name=boot-$env-initrd
	has_env $env && [ -f "$out/$name.log" ] && [ "$(cat "$out/$name.rc" 2>/dev/null)" != 77 ] || continue
	size=$(stat -c %s build/pvk.elf)
	if grep -qE "^pvk: module 0: 0x[0-9a-f]+\.\.0x[0-9a-f]+, $size bytes\$" "$out/$name.log"; then
		echo "ok - $name: pvk reports the initrd as module 0 ($size bytes)" >>"$out/$name.tap"
	else
		echo "not ok - $name: no 'pvk: module 0: ..., $size bytes' line: '$(grep -m1 '^pvk: module' "$out/$name.log")'" >>"$out/$name.tap"
		fail=1
	fi
done

# ---- the boots that must fail cleanly ------------------------------------------
verdict() {             # verdict OK TEXT: one line of bad-boot.tap
	if [ "$1" -eq 1 ]; then echo "ok - $2"; else echo "not ok - $2"; fail=1; fi >>"$out/bad-boot.tap"
}
ran() {                 # ran RC TEXT: false, with a skip line, when pvrun skipped (77)
	[ "$1" -ne 77 ] && return 0
	echo "ok - $2 # SKIP the environment cannot run on this machine (pvrun 77)" >>"$out/bad-boot.tap"
	return 1
}
: >"$out/bad-boot.tap"

for env in pvhv nested-pvhv; do
	has_env $env || continue
	for bad in "no-memmap:no memory map" "modules:more modules than" \
		   "cmdline:command line longer than"; do
		kind=${bad%%:*} want=${bad#*:} name=bad-$env-start-info-$kind
		rc=$(cat "$out/$name.rc" 2>/dev/null || echo none)
		if [ "$rc" = 77 ]; then
			echo "ok - $env: --bad-start-info=$kind # SKIP $(sed -n 's/.*# SKIP //p' "$out/$name.tap")" >>"$out/bad-boot.tap"
			continue
		fi
		grep -q "bad boot information from the loader: $want" "$out/$name.log" 2>/dev/null &&
			grep -q "power off, status 2" "$out/$name.log" && [ "$rc" = 2 ]
		verdict $((! $?)) "$env: a start info with $kind broken is refused with a message and status 2 (pvrun $rc, $name.log)"
	done
done

# Bad boot input must end in a clean failure exit with a message, never a
# hang: a command line longer than the kernel takes.
if has_env tcg; then
	long=$(head -c 1100 /dev/zero | tr '\0' 'x')
	$pvrun --env tcg --cmdline "$long" --quiet --timeout 30 --log "$out/bad-cmdline.log" >/dev/null 2>&1
	rc=$? what="tcg: a 1100-byte command line is refused with a message and status 2"
	if ran $rc "$what"; then
		[ $rc -eq 2 ] && grep -q "command line longer than" "$out/bad-cmdline.log" &&
			grep -q "power off, status 2" "$out/bad-cmdline.log"
		verdict $((! $?)) "$what (pvrun $rc)"
	fi
fi

# Malformed words are reported and the defaults used: the boot still passes.
if has_env tcg; then
	$pvrun --env tcg --cmdline "pv=bogus frobnicate tests=" --quiet --timeout 30 \
		--log "$out/malformed-cmdline.log" >/dev/null 2>&1
	rc=$? what="tcg: malformed command-line words are reported and the defaults used"
	if ran $rc "$what"; then
		[ $rc -eq 0 ] && grep -q "pv=bogus: no such platform" "$out/malformed-cmdline.log" &&
			grep -q "unknown or malformed 'frobnicate'" "$out/malformed-cmdline.log" &&
			grep -q "tests= value empty" "$out/malformed-cmdline.log"
		verdict $((! $?)) "$what (pvrun $rc)"
	fi
fi

# A fault prints the vector, error code, rip, cr2, every register and a
# backtrace, then powers off with the panic status; so does calling an op
# whose slot was NULL at patch time (its site is ud2).
crash() {   # kind, what the log must show...
	local kind=$1; shift
	$pvrun --env native --cmdline "tests=off crash=$kind" --quiet --timeout 30 \
		--log "$out/crash-$kind.log" >/dev/null 2>&1
	local rc=$? missing=
	ran $rc "native: crash=$kind gives the fault report and status 3" || return 0
	for want in "$@" "backtrace:" "pvk: power off, status 3"; do
		grep -qF "$want" "$out/crash-$kind.log" || missing="$missing '$want'"
	done
	# frames named from the image's symbol table: function+off/size
	grep -A1 '^backtrace:' "$out/crash-$kind.log" | grep -qE \
		'^  0x[0-9a-f]{16} [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+/0x[0-9a-f]+$' ||
		missing="$missing 'a named first frame'"
	[ $rc -eq 2 ] && [ -z "$missing" ]
	verdict $((! $?)) "native: crash=$kind gives the fault report and status 3 (pvrun $rc${missing:+, missing$missing})"
}
has_env native || { echo "ok - native: crashes and TSC fallbacks # SKIP native not among PVK_ENVS" >>"$out/bad-boot.tap"; exit $fail; }
crash page_fault "trap: vector 14 (page fault), error code 0x2" \
	"trap: write not present at 0x000000000dead000" "cr2 000000000dead000" "r15 "
crash null_op "trap: vector 6 (invalid opcode)" "ud2: a pv op with a NULL slot was called"
crash panic "panic: crash: crash=panic" "panic+0x"

# No calibration source must not kill the kernel: without the PIT the TSC
# is timed against the ACPI PM timer; without both, a nominal rate with a
# warning. Every self-test still passes.
tsc_fallback() {  # skips, the source the boot report must name, more lines...
	local skips=$1 log=$out/tsc-$1.log
	shift
	$pvrun --env native --cmdline "tsc=$skips" --quiet --timeout 30 --log "$log" >/dev/null 2>&1
	local rc=$? missing=
	ran $rc "native: tsc=$skips calibrates from what is left" || return 0
	for want in "$@"; do
		grep -qF "$want" "$log" || missing="$missing '$want'"
	done
	[ $rc -eq 0 ] && [ -z "$missing" ]
	verdict $((! $?)) "native: tsc=$skips calibrates from what is left (pvrun $rc${missing:+, missing$missing})"
}
tsc_fallback nopit "(ACPI PM timer calibration)"
tsc_fallback nopit,nopmtimer "(NOMINAL, not calibrated)" "tsc: WARNING:"
exit $fail
