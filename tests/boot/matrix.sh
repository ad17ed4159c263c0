#!/usr/bin/env bash
# matrix.sh RESULTS_DIR - boot pvk in every environment, with patching on
# and off, through pvrun; then the boots that must fail cleanly.
#
# Each boot writes RESULTS_DIR/boot-<env>-<mode>.tap (one line per KTAP
# test and one for the boot itself) and .log (the serial output). An
# environment this machine cannot run is a TAP skip with its reason.
set -u
out=$1
cd "$(dirname "$0")/../.."
pvrun=build/pvrun
mkdir -p "$out"
envs=${PVK_ENVS:-"native tcg iso kvm pvhv"}
fail=0

for env in $envs; do
	for mode in auto nopatch; do
		name=boot-$env-$mode
		$pvrun --env "$env" --cmdline "pv=$mode" --quiet --timeout 60 \
			--tap "$out/$name.tap" --log "$out/$name.log"
		rc=$?
		case $rc in
		0|77) ;;
		*) fail=1 ;;
		esac
	done
done

# pvhv with its own interface hidden: pvk falls back to KVM's features and
# the native UART, and must pass the same tests.
if [[ " $envs " == *" pvhv "* ]]; then
	for mode in auto nopatch; do
		name=boot-pvhv-nopv-$mode
		$pvrun --env pvhv --pvhv-arg --no-pv --cmdline "pv=$mode" --quiet \
			--timeout 60 --tap "$out/$name.tap" --log "$out/$name.log"
		case $? in 0|77) ;; *) fail=1 ;; esac
	done
fi

# Bad boot input must end in a clean failure exit with a message, never a
# hang: a command line longer than the kernel takes.
long=$(head -c 1100 /dev/zero | tr '\0' 'x')
$pvrun --env tcg --cmdline "$long" --quiet --timeout 30 --log "$out/bad-cmdline.log" >/dev/null 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "command line longer than" "$out/bad-cmdline.log" &&
   grep -q "power off, status 2" "$out/bad-cmdline.log"; then
	echo "ok - tcg: a 1100-byte command line is refused with a message and status 2" >"$out/bad-boot.tap"
else
	echo "not ok - tcg: a 1100-byte command line: pvrun $rc, see bad-cmdline.log" >"$out/bad-boot.tap"
	fail=1
fi

# The loader's information itself broken, for real: pvhv hands pvk a start
# info with no memory map, with more modules than fit, with a command line
# that never ends. Each must be refused with its message and status 2.
if [[ " $envs " == *" pvhv "* ]]; then
	for bad in "no-memmap:no memory map" "modules:more modules than" \
		   "cmdline:command line longer than"; do
		kind=${bad%%:*} want=${bad#*:}
		$pvrun --env pvhv --pvhv-arg "--bad-start-info=$kind" --quiet --timeout 30 \
			--log "$out/bad-start-info-$kind.log" >/dev/null 2>&1
		rc=$?
		if [ $rc -eq 77 ]; then
			echo "ok - pvhv: --bad-start-info=$kind # SKIP /dev/kvm not usable" >>"$out/bad-boot.tap"
		elif [ $rc -eq 2 ] && grep -q "bad boot information from the loader: $want" \
			"$out/bad-start-info-$kind.log" &&
		     grep -q "power off, status 2" "$out/bad-start-info-$kind.log"; then
			echo "ok - pvhv: a start info with $kind broken is refused with a message and status 2" >>"$out/bad-boot.tap"
		else
			echo "not ok - pvhv: --bad-start-info=$kind: pvrun $rc, see bad-start-info-$kind.log" >>"$out/bad-boot.tap"
			fail=1
		fi
	done
fi

# Malformed words are reported and the defaults used: the boot still passes.
$pvrun --env tcg --cmdline "pv=bogus frobnicate tests=" --quiet --timeout 30 \
	--log "$out/malformed-cmdline.log" >/dev/null 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "pv=bogus: no such platform" "$out/malformed-cmdline.log" &&
   grep -q "unknown or malformed 'frobnicate'" "$out/malformed-cmdline.log" &&
   grep -q "tests= value empty" "$out/malformed-cmdline.log"; then
	echo "ok - tcg: malformed command-line words are reported and the defaults used" >>"$out/bad-boot.tap"
else
	echo "not ok - tcg: malformed command line: pvrun $rc, see malformed-cmdline.log" >>"$out/bad-boot.tap"
	fail=1
fi
# A fault prints the vector, error code, rip, cr2, every register and a
# backtrace, then powers off with the panic status; so does calling an op
# whose slot was NULL at patch time (its site is ud2).
crash() {   # kind, what the log must show...
	local kind=$1; shift
	$pvrun --env native --cmdline "tests=off crash=$kind" --quiet --timeout 30 \
		--log "$out/crash-$kind.log" >/dev/null 2>&1
	local rc=$? missing=
	for want in "$@" "backtrace:" "pvk: power off, status 3"; do
		grep -qF "$want" "$out/crash-$kind.log" || missing="$missing '$want'"
	done
	if [ $rc -eq 2 ] && [ -z "$missing" ]; then
		echo "ok - native: crash=$kind gives the fault report and status 3" >>"$out/bad-boot.tap"
	else
		echo "not ok - native: crash=$kind: pvrun $rc, missing$missing" >>"$out/bad-boot.tap"
		fail=1
	fi
}
crash page_fault "trap: vector 14 (page fault), error code 0x2" \
	"trap: write not present at 0x000000000dead000" "cr2 000000000dead000" "r15 "
crash null_op "trap: vector 6 (invalid opcode)" "ud2: a pv op with a NULL slot was called"
crash panic "panic: crash: crash=panic"
exit $fail
