#!/usr/bin/env bash
# gdb.sh - start pvk in QEMU (TCG) halted at its first instruction with a
# gdb stub on localhost:1234, and gdb attached with the symbols loaded and
# a breakpoint on boot_main, the first C code. Quit gdb to stop QEMU.
set -u
cd "$(dirname "$0")/.."
port=${GDB_PORT:-1234}
qemu-system-x86_64 -M pc -accel tcg -cpu max,-hypervisor -m 128 \
	-kernel build/pvk.elf -append "${PVK_CMDLINE:-}" -display none \
	-monitor none -serial file:build/gdb-serial.log -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-S -gdb tcp:localhost:$port &
qemu=$!
trap 'kill $qemu 2>/dev/null' EXIT
echo "gdb.sh: QEMU pid $qemu halted; serial output goes to build/gdb-serial.log"
gdb -q build/pvk.elf -ex "target remote localhost:$port" -ex "hbreak boot_main" \
	-ex "echo Breakpoint on boot_main: 'continue' to run to it.\n"
