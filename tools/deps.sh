#!/usr/bin/env bash
# deps.sh GROUP... - make sure the Debian packages a part of pvops needs are
# installed. As root, installs what is missing with apt-get; otherwise
# prints the exact apt-get line to run and fails.
#
# Groups: build (compilers, make), test (Criterion, Capstone), qemu, iso
# (GRUB rescue ISO tools), nested (what builds the nested environments'
# L1: Debian's kernel itself is fetched by tools/nested/build.sh), clang
# (the second compiler CI builds with), plot (gnuplot for the benchmarks'
# plots).
set -euo pipefail

declare -A GROUP=(
	[build]="build-essential pkg-config"
	[test]="libcriterion-dev libcapstone-dev"
	[qemu]="qemu-system-x86"
	[iso]="grub-pc-bin grub-common xorriso mtools"
	[nested]="qemu-system-x86 xz-utils"
	[clang]="clang"
	[plot]="gnuplot-nox"
)

if [ $# -eq 0 ] || [ "$1" = "--help" ] || [ "$1" = "-h" ]; then
	echo "usage: tools/deps.sh GROUP...   (groups: ${!GROUP[*]})"
	[ $# -eq 0 ] && exit 2 || exit 0
fi

want=()
for g in "$@"; do
	if [ -z "${GROUP[$g]+x}" ]; then
		echo "deps.sh: unknown group '$g' (known: ${!GROUP[*]})" >&2
		exit 2
	fi
	want+=(${GROUP[$g]})
done

missing=()
for p in "${want[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "pvops needs these Debian packages: ${missing[*]}" >&2
	echo "run as root:  apt-get update && $line" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
