#!/usr/bin/env bash
# tools/nested/build.sh - build the L1 of the nested environments: a Linux
# with a real KVM (kvm_amd on QEMU TCG's emulated SVM) that pvrun boots to
# run pvhv or QEMU-KVM inside. Called by make (tools/nested/nested.mk).
#
#   build.sh l1 OUT        Debian's kernel and busybox, fetched with
#                          `apt-get download` (never installed), into OUT:
#                            vmlinux         the kernel as an ELF (PVH entry)
#                            base.cpio.gz    busybox, the KVM modules, /init
#                            l1.txt          package names and versions
#                            busybox         for pvrun to pack its jobs
#   build.sh qemu OUT      OUT/qemu.cpio.gz: qemu-system-x86_64, the
#                          libraries it loads and the firmware it reads
#   build.sh tools OUT BIN...
#                          OUT/tools.cpio.gz: each BIN (a path under the
#                          project, e.g. build/pvhv) at the same path in L1,
#                          with the libraries it loads
#
# Downloads are cached in OUT/cache and checked: the package must be the
# one apt names, its files must be there. Exits 1 with the reason (and the
# apt-get line to run) when something cannot be had.
set -euo pipefail

die() { echo "nested: $*" >&2; exit 1; }

# The KVM modules, in load order: the package has no modules.dep.
MODULES="irqbypass kvm ccp kvm-amd"

# The Debian package behind the metapackage linux-image-amd64, e.g.
# linux-image-6.1.0-57-amd64; runs apt-get update once if the lists are empty.
kernel_package() {
	local p
	p=$(apt-cache depends linux-image-amd64 2>/dev/null |
	    awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$p" ] && [ "$(id -u)" -eq 0 ]; then
		timeout 600 apt-get update -qq >/dev/null 2>&1 || true
		p=$(apt-cache depends linux-image-amd64 2>/dev/null |
		    awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$p" ] || die "apt knows no linux-image-amd64; run as root: apt-get update"
	echo "$p"
}

# fetch PACKAGE DIR: DIR/PACKAGE.deb, the candidate version, downloaded
# once. Prints the .deb's path.
fetch() {
	local pkg=$1 dir=$2 ver deb
	ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		die "apt has no candidate for $pkg; run as root: apt-get update && apt-get download $pkg"
	deb=$dir/${pkg}_${ver//:/%3a}.deb
	if [ ! -s "$deb" ] ||
	   [ "$(dpkg-deb -f "$deb" Package 2>/dev/null)" != "$pkg" ] ||
	   [ "$(dpkg-deb -f "$deb" Version 2>/dev/null)" != "$ver" ]; then
		rm -f "$deb"
		echo "nested: downloading $pkg $ver" >&2
		(cd "$dir" && timeout 600 apt-get download -q=2 "$pkg=$ver" 2>/dev/null) ||
			die "apt-get download $pkg=$ver failed (network? run: apt-get update)"
		mv "$dir/${pkg}_${ver//:/%3a}_amd64.deb" "$deb" 2>/dev/null ||
			die "apt-get download $pkg=$ver left no ${pkg}_*_amd64.deb in $dir"
	fi
	[ "$(dpkg-deb -f "$deb" Version)" = "$ver" ] || die "$deb: not version $ver"
	echo "$deb"
}

# pack DIR OUT.cpio.gz: a newc archive of DIR, as the kernel unpacks it.
pack() {
	(cd "$1" && find . | sort | "$BUSYBOX" cpio -o -H newc) | gzip -1 >"$2.tmp"
	mv "$2.tmp" "$2"
}

# with_libs ROOT FILE...: copy each FILE to ROOT/FILE, and every library
# ldd says it loads (and the loader) to the same path under ROOT.
with_libs() {
	local root=$1 f lib
	shift
	for f in "$@"; do
		[ -e "$f" ] || die "$f: not found"
		mkdir -p "$root/$(dirname "$f")"
		cp -L "$f" "$root/$f"
		for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
}

build_l1() {
	local out=$1 cache=$1/cache kpkg kdeb bdeb root tmp off mod
	mkdir -p "$cache"
	kpkg=$(kernel_package)
	kdeb=$(fetch "$kpkg" "$cache")
	bdeb=$(fetch busybox-static "$cache")
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	dpkg-deb -x "$kdeb" "$tmp/k" || die "$kdeb: cannot unpack"
	dpkg-deb -x "$bdeb" "$tmp/b" || die "$bdeb: cannot unpack"
	cp "$tmp/b/bin/busybox" "$out/busybox"
	BUSYBOX=$out/busybox

	# The bzImage's payload is xz (magic fd 37 7a 58 5a 00); unpacked it is
	# the ELF vmlinux, whose PVH note lets QEMU skip SeaBIOS' bzImage path.
	local vmlinuz
	vmlinuz=$(ls "$tmp"/k/boot/vmlinuz-* 2>/dev/null | awk 'NR == 1')
	[ -n "$vmlinuz" ] || die "$kdeb holds no /boot/vmlinuz-*"
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | awk -F: 'NR == 1 { print $1 }')
	[ -n "$off" ] || die "$vmlinuz: no xz payload found"
	tail -c +$((off + 1)) "$vmlinuz" >"$tmp/payload.xz"
	xz -dc --single-stream "$tmp/payload.xz" >"$tmp/vmlinux" ||
		die "$vmlinuz: the xz payload does not unpack"
	# XEN_ELFNOTE_PHYS32_ENTRY is note type 18
	readelf -n "$tmp/vmlinux" 2>/dev/null | grep -q 'Xen .*(0x00000012)' ||
		die "$vmlinuz: the unpacked kernel has no PVH entry note"
	mv "$tmp/vmlinux" "$out/vmlinux"

	root=$tmp/root
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
	cp "$BUSYBOX" "$root/bin/busybox"
	for mod in $MODULES; do
		local ko
		ko=$(find "$tmp/k/lib/modules" -name "$mod.ko" | awk 'NR == 1')
		[ -n "$ko" ] || die "$kdeb holds no $mod.ko"
		cp "$ko" "$root/lib/modules/"
	done
	cp "$(dirname "$0")/init" "$root/init"
	chmod 755 "$root/init"
	pack "$root" "$out/base.cpio.gz"
	printf '%s %s, busybox-static %s\n' "$kpkg" "$(dpkg-deb -f "$kdeb" Version)" \
		"$(dpkg-deb -f "$bdeb" Version)" >"$out/l1.txt"
}

build_qemu() {
	local out=$1 tmp q fw
	BUSYBOX=$out/busybox
	[ -x "$BUSYBOX" ] || die "$out/busybox missing: build.sh l1 $out first"
	q=$(command -v qemu-system-x86_64) ||
		die "qemu-system-x86_64 not installed; run as root: apt-get install qemu-system-x86"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	with_libs "$tmp/root" "$q"
	# -M microvm with a PVH kernel reads these; nothing else is needed
	# with -display none and -nic none.
	for fw in bios-microvm.bin pvh.bin linuxboot_dma.bin kvmvapic.bin qboot.rom; do
		[ -e "/usr/share/qemu/$fw" ] || continue
		mkdir -p "$tmp/root/usr/share/qemu"
		cp -L "/usr/share/qemu/$fw" "$tmp/root/usr/share/qemu/"
	done
	pack "$tmp/root" "$out/qemu.cpio.gz"
}

build_tools() {
	local out=$1 tmp
	shift
	BUSYBOX=$out/busybox
	[ -x "$BUSYBOX" ] || die "$out/busybox missing: build.sh l1 $out first"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	with_libs "$tmp/root" "$@"
	pack "$tmp/root" "$out/tools.cpio.gz"
}

[ $# -ge 2 ] || { echo "usage: build.sh l1|qemu|tools OUT [BIN...]" >&2; exit 2; }
cmd=$1
mkdir -p "$2"
out=$(cd "$2" && pwd)
shift 2
case "$cmd" in
l1)    build_l1 "$out" ;;
qemu)  build_qemu "$out" ;;
tools) [ $# -ge 1 ] || die "usage: build.sh tools OUT BIN..."; build_tools "$out" "$@" ;;
*)     echo "usage: build.sh l1|qemu|tools OUT [BIN...]" >&2; exit 2 ;;
esac
