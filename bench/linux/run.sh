#!/usr/bin/env bash
# run.sh [RUNS [SAMPLE]] - bench/results/linux.md: Debian's Linux (build/nested/
# vmlinux) booted to the busybox /init of tests/linux/guest-init on pvhv,
# QEMU -M microvm and QEMU -M pc (SeaBIOS), each with -accel kvm inside
# the same nested L1, RUNS times (default 5) interleaved; the median
# guest uptime at /init, wall time of the whole VMM run, and KVM's exits
# (debugfs, all of them, in-kernel ones too) per run. SAMPLE 1 (default)
# samples KVM's counters while each VM runs, which costs L1's one TCG CPU
# time and slows every boot; SAMPLE 0 gives the times undisturbed and no
# exit counts.
set -eu
runs=${1:-5} sample=${2:-1}
cd "$(dirname "$0")/../.."
N=build/nested
bb=$(realpath "$N/busybox")
tmp=$(mktemp -d /tmp/pvhv-linux-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/g/bin" "$tmp/g/proc" "$tmp/g/sys" "$tmp/g/dev" "$tmp/r/linux"
cp "$N/busybox" "$tmp/g/bin/busybox"
cp tests/linux/guest-init "$tmp/g/init"
(cd "$tmp/g" && find . | sort | "$bb" cpio -o -H newc 2>/dev/null) | gzip -1 >"$tmp/r/linux/guest.cpio.gz"
cp "$N/vmlinux" "$tmp/r/linux/vmlinux"
cp /usr/share/seabios/bios-256k.bin "$tmp/r/linux/"
cp bench/linux/l1-init "$tmp/r/init"
echo "$runs" >"$tmp/r/linux/runs"
echo "$sample" >"$tmp/r/linux/sample"
(cd "$tmp/r" && find . | sort | "$bb" cpio -o -H newc 2>/dev/null) | gzip -1 >"$tmp/run.cpio.gz"
cat "$N/base.cpio.gz" "$N/tools.cpio.gz" "$N/qemu.cpio.gz" "$tmp/run.cpio.gz" >"$tmp/initrd"
timeout 1800 qemu-system-x86_64 -accel tcg -cpu max -M pc -m 1024 -smp 1 -display none \
	-monitor none -serial stdio -no-reboot -nic none -kernel "$N/vmlinux" -initrd "$tmp/initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=1 nohz=off highres=off" \
	</dev/null 2>&1 | tr -d '\r' >"$tmp/l1.log"
mkdir -p bench/results
grep '^@@' "$tmp/l1.log" >bench/results/linux.raw || true
python3 bench/linux/report.py bench/results/linux.raw >bench/results/linux.md
cat bench/results/linux.md
