#!/usr/bin/env bash
# count-insns.sh [CMDLINE] - how many instructions pvk executes from its
# first instruction to power-off, counted by QEMU TCG single-stepping
# (deterministic for a given binary and command line). Under this
# machine's /dev/kvm, ring-0 code is emulated at ~0.5 us an instruction,
# so this number predicts the kvm and pvhv boot time.
#
# Counts only the kernel's own addresses (the 32-bit entry at 1 MiB and
# the higher half), not the firmware QEMU runs before the PVH entry.
set -eu
cd "$(dirname "$0")/.."
elf=${PVK_ELF:-build/pvk.elf}
log=$(mktemp /tmp/pvk-exec.XXXXXX)
ser=$(mktemp /tmp/pvk-serial.XXXXXX)
trap 'rm -f "$log" "$ser"' EXIT
# the native environment's QEMU command, as pvrun starts it, single-stepping
mapfile -t cmd < <(build/pvrun --env native --print-cmd --kernel "$elf" --cmdline "${1:-}")
[ ${#cmd[@]} -gt 0 ] || { echo "count-insns.sh: build/pvrun --print-cmd failed" >&2; exit 1; }
timeout 300 "${cmd[@]}" -singlestep -d exec,nochain -D "$log" >"$ser" 2>&1 || true
grep -q "pvk: power off" "$ser" || { echo "count-insns.sh: the kernel did not reach power-off" >&2; tail -5 "$ser" >&2; exit 1; }
# "Trace 0: HOSTADDR [cs_base/pc/flags/...]": one line per executed instruction
awk '/^Trace/ {
	split($4, f, "/"); pc = f[2]
	if (pc ~ /^ffffffff8/ || (pc >= "0000000000100000" && pc < "0000000000200000")) n++
} END { printf "%d\n", n }' "$log"
