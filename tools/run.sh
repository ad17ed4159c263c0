#!/usr/bin/env bash
# run.sh [pvrun options] - the main job: boot pvk on pvhv, with a real KVM
# underneath, show the boot report and the self-tests, power off.
#   /dev/kvm usable here     pvhv on it (this machine's KVM)
#   no usable /dev/kvm       pvhv in the nested L1 (Debian's Linux with
#                            kvm_amd under QEMU TCG; built on first use)
#   L1 cannot be built       QEMU TCG as a bare machine, saying why
set -u
cd "$(dirname "$0")/.."
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	env=pvhv why="pvhv on this machine's /dev/kvm"
elif make -s nested >&2; then
	env=nested-pvhv why="no usable /dev/kvm here: pvhv on the KVM inside the nested L1"
else
	env=native why="no usable /dev/kvm and the nested L1 could not be built (above): QEMU TCG as a bare machine"
fi
echo "make run: booting build/pvk.elf in '$env' ($why)"
# pvhv prints its exit summary (exits by reason) when the guest is done
case $env in pvhv|nested-pvhv) set -- --pvhv-arg --stats "$@" ;; esac
exec build/pvrun --env "$env" "$@"
