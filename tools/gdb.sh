#!/usr/bin/env bash
# gdb.sh - start pvk in QEMU (TCG) halted at its first instruction with a
# gdb stub on localhost:1234, and gdb attached with the symbols loaded and
# a breakpoint on boot_main, the first C code. Quit gdb to stop QEMU.
set -u
cd "$(dirname "$0")/.."
port=${GDB_PORT:-1234}
# the native environment's QEMU command, as pvrun starts it (serial on
# stdout, which goes to the log here), halted with a gdb stub
mapfile -t cmd < <(build/pvrun --env native --print-cmd --cmdline "${PVK_CMDLINE:-}")
[ ${#cmd[@]} -gt 0 ] || { echo "gdb.sh: build/pvrun --print-cmd failed" >&2; exit 1; }
"${cmd[@]}" -S -gdb tcp:localhost:$port </dev/null >build/gdb-serial.log 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null' EXIT
echo "gdb.sh: QEMU pid $qemu halted; serial output goes to build/gdb-serial.log"
gdb -q build/pvk.elf -ex "target remote localhost:$port" -ex "hbreak boot_main" \
	-ex "echo Breakpoint on boot_main: 'continue' to run to it.\n"
