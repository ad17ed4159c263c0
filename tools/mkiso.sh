#!/usr/bin/env bash
# mkiso.sh KERNEL OUT.iso [CMDLINE] - a GRUB rescue ISO that boots KERNEL
# through Multiboot2 like a bare PC, with its console on the serial port
# and CMDLINE passed to the kernel. The one place the GRUB configuration
# is written (make iso and pvrun --env iso --cmdline both use it).
set -eu
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: mkiso.sh KERNEL OUT.iso [CMDLINE]" >&2; exit 2; }
kernel=$1 out=$2 cmdline=${3:-}
# the ISO's tree in root/, grub-mkrescue's log beside it: a log inside the
# tree grows while xorriso packs it, which xorriso fails ("MISHAP")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
root=$dir/root
mkdir -p "$root/boot/grub"
cp "$kernel" "$root/boot/pvk.elf"
cat >"$root/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
menuentry "pvk" {
  multiboot2 /boot/pvk.elf $cmdline
  boot
}
CFG
grub-mkrescue -o "$out" "$root" >"$dir/log" 2>&1 || { cat "$dir/log" >&2; exit 1; }
