#!/usr/bin/env bash
# run.sh [pvrun options] - the main job: boot pvk with a hypervisor really
# underneath where this machine has one, show the boot report and the
# self-tests, power off. Picks pvhv when it is built and /dev/kvm works,
# else QEMU with KVM, else QEMU TCG (no hypervisor, a bare machine).
set -u
cd "$(dirname "$0")/.."
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	if [ -x build/pvhv ]; then env=pvhv why="pvhv on /dev/kvm"
	else env=kvm why="QEMU on /dev/kvm"; fi
else
	env=native why="no usable /dev/kvm: QEMU TCG as a bare machine"
fi
echo "make run: booting build/pvk.elf in '$env' ($why)"
# pvhv prints its exit summary (exits by reason) when the guest is done
[ "$env" = pvhv ] && set -- --pvhv-arg --stats "$@"
exec build/pvrun --env "$env" "$@"
