#!/usr/bin/env bash
# run.sh RESULTS_DIR - Debian's Linux 6.1 (build/nested/vmlinux, the L1
# kernel itself) boots on pvhv inside the nested L1, to a busybox /init
# (tests/linux/guest-init) that prints KTAP and powers off through ACPI.
# With 1 and 2 vCPUs, pvhv's paravirt interface on (pvhv's and KVM's
# leaves: kvm-clock) and off (--no-pv --no-kvm-pv: no hypervisor leaves,
# the TSC calibrated on the PM timer). Each boot must pass every guest
# check and end pvhv with status 0 after "guest power off". Writes
# RESULTS_DIR/linux.tap and linux-NAME.log; exits 1 when anything failed.
set -u
out=$1
cd "$(dirname "$0")/../.."
N=build/nested
QEMU=qemu-system-x86_64
mkdir -p "$out"
tap=$out/linux.tap
: >"$tap"
jobs=(
	"smp1-pv 1 kvm-clock"
	"smp2-pv 2 kvm-clock"
	"smp1-nopv 1 tsc|acpi_pm --no-pv --no-kvm-pv"
	"smp2-nopv 2 tsc|acpi_pm --no-pv --no-kvm-pv"
)
for f in vmlinux base.cpio.gz tools.cpio.gz busybox; do
	if [ ! -r "$N/$f" ]; then
		echo "ok - linux: Debian's Linux on pvhv # SKIP $N/$f missing (make nested)" >>"$tap"
		cat "$tap"; exit 0
	fi
done
if [ build/pvhv -nt "$N/tools.cpio.gz" ]; then
	echo "not ok - linux: build/pvhv is newer than L1's copy (make nested)" >>"$tap"
	cat "$tap"; exit 1
fi
tmp=$(mktemp -d /tmp/pvhv-linux-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bb=$(realpath "$N/busybox")
mkdir -p "$tmp/g/bin" "$tmp/g/proc" "$tmp/g/sys" "$tmp/g/dev" "$tmp/r/linux"
cp "$N/busybox" "$tmp/g/bin/busybox"
cp tests/linux/guest-init "$tmp/g/init"
chmod +x "$tmp/g/init" "$tmp/g/bin/busybox"
(cd "$tmp/g" && find . | sort | "$bb" cpio -o -H newc 2>/dev/null) | gzip -1 >"$tmp/r/linux/guest.cpio.gz"
cp "$N/vmlinux" "$tmp/r/linux/vmlinux"
cp tests/linux/l1-init "$tmp/r/init"
chmod +x "$tmp/r/init"
printf '%s\n' "${jobs[@]}" >"$tmp/r/linux/jobs"
(cd "$tmp/r" && find . | sort | "$bb" cpio -o -H newc 2>/dev/null) | gzip -1 >"$tmp/run.cpio.gz"
cat "$N/base.cpio.gz" "$N/tools.cpio.gz" "$tmp/run.cpio.gz" >"$tmp/initrd"

start=$(date +%s)
timeout 900 $QEMU -accel tcg -cpu max -M pc -m 1024 -smp 1 -display none -monitor none \
	-serial stdio -no-reboot -nic none -kernel "$N/vmlinux" -initrd "$tmp/initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=1 nohz=off highres=off" \
	</dev/null >"$out/linux-l1.log" 2>&1
echo "# linux: L1 ran $(( $(date +%s) - start )) s" >>"$tap"
tr -d '\r' <"$out/linux-l1.log" >"$tmp/l1.log"

fail=0
for j in "${jobs[@]}"; do
	name=${j%% *}
	log=$out/linux-$name.log
	sed -n "/^@@linux $name begin/,/^@@linux $name end/p" "$tmp/l1.log" >"$log"
	rc=$(sed -n "s/^@@linux $name end \([0-9]*\)$/\1/p" "$log")
	if [ -z "$rc" ]; then
		echo "not ok - linux-$name: boot did not end (L1 log: linux-l1.log)" >>"$tap"
		fail=1; continue
	fi
	# the guest's KTAP lines, each a test of this boot
	plan=$(grep -m1 -E '^1\.\.[0-9]+$' "$log" | cut -d. -f3)
	got=0
	while IFS= read -r line; do
		got=$((got + 1))
		case $line in
		"ok "*) echo "ok - linux-$name: ${line#ok * }" ;;
		*) echo "not ok - linux-$name: ${line#not ok * }"; fail=1 ;;
		esac
	done < <(grep -E '^(not )?ok [0-9]+ ' "$log") >>"$tap"
	if [ -z "$plan" ] || [ "$got" != "$plan" ]; then
		echo "not ok - linux-$name: the guest's /init reported $got of ${plan:-no} tests" >>"$tap"
		fail=1
	fi
	grep -E '^# (cpus|clocksource|rtc0):' "$log" | sed "s/^# /# linux-$name: /" >>"$tap"
	if [ "$rc" = 0 ] && grep -q "^pvhv: guest power off, status 0 after" "$log"; then
		echo "ok - linux-$name: pvhv ends with status 0: the guest powered off (ACPI S5)" >>"$tap"
	else
		echo "not ok - linux-$name: pvhv's exit status $rc, not a power-off: '$(grep -m1 '^pvhv: .* after' "$log")'" >>"$tap"
		fail=1
	fi
done
cat "$tap"
exit $fail
