#!/usr/bin/env bash
# bench/pvhv/run.sh - pvhv's figures, recorded in bench/results/pvhv.md
# (and pvhv.png when gnuplot is there): `make bench-pvhv` runs it.
#
#  1. Boot: wall time from process start to the guest's "pvk: ready" line
#     and to the process's exit (power-off), for pvhv and for QEMU
#     -accel kvm with -M microvm and -M pc, booting the same build/pvk.elf
#     with the same command line and memory; runs interleaved, medians.
#  2. Console: exits and time to print 64 KiB (bench=console) through the
#     UART (pvhv --no-pv: pvk's native console) and through pvhv's console
#     hypercall. Exits are pvhv's own counts (--stats-json): a run with
#     bench=console minus the same run without it.
#  3. Doorbells: build/pvhv-doorbell, the hypercall mechanisms compared.
#
# Environment: RUNS (default 11) boots per machine, CONSOLE_RUNS (5),
# OUT (bench/results/pvhv.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh    # median

RUNS=${RUNS:-11}
CONSOLE_RUNS=${CONSOLE_RUNS:-5}
OUT=${OUT:-bench/results/pvhv.md}
PNG=${OUT%.md}.png
KERNEL=build/pvk.elf
PVHV=build/pvhv
BOOTTIME=build/pvhv-boottime
TIMEOUT=60
MEM=128
QEMU=qemu-system-x86_64
# The kvm environment's QEMU command as pvrun starts it (-M microvm), and
# the same on QEMU's pc machine.
mapfile -t QEMU_MICROVM < <(build/pvrun --env kvm --print-cmd --kernel $KERNEL)
QEMU_PC=("${QEMU_MICROVM[@]/#microvm/pc}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

speedup() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }   # A B: how many times A beats B
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }

for f in $KERNEL $PVHV $BOOTTIME build/pvhv-doorbell; do
	[ -x "$f" ] || [ -r "$f" ] || { echo "run.sh: $f missing (make first)" >&2; exit 1; }
done
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	# a skip, not a failure: make bench goes on to the other measurements,
	# and the last record stays, with the date and host it names
	echo "bench-pvhv: skipped: /dev/kvm is not usable on this machine (it boots pvhv and QEMU -accel kvm on it);" \
		"bench/results/pvhv.md keeps its record: $(grep -m1 -o '20[0-9][0-9]-[0-9][0-9]-[0-9][0-9][^.]*' bench/results/pvhv.md || echo none)" >&2
	exit 0
fi
have_qemu=1
command -v $QEMU >/dev/null || have_qemu=0

# ---- 1. boot -------------------------------------------------------------
echo "bench-pvhv: $RUNS boots each of pvhv, QEMU microvm, QEMU pc (interleaved)" >&2
machines=(pvhv microvm pc)
[ $have_qemu = 1 ] || machines=(pvhv)
for i in $(seq "$RUNS"); do
	for m in "${machines[@]}"; do
		case $m in
		pvhv)    $BOOTTIME $TIMEOUT $PVHV --mem $MEM $KERNEL ;;
		microvm) $BOOTTIME $TIMEOUT "${QEMU_MICROVM[@]}" ;;
		pc)      $BOOTTIME $TIMEOUT "${QEMU_PC[@]}" ;;
		esac >>"$tmp/$m"
		printf '.' >&2
	done
done
echo >&2
declare -A booting ready exit_ ok
for m in "${machines[@]}"; do
	booting[$m]=$(awk '$1 >= 0 { print $1 }' "$tmp/$m" | median)
	ready[$m]=$(awk '$2 >= 0 { print $2 }' "$tmp/$m" | median)
	exit_[$m]=$(awk '{ print $3 }' "$tmp/$m" | median)
	ok[$m]=$(awk '$2 >= 0 { n++ } END { print n + 0 }' "$tmp/$m")
done

# ---- 2. console ------------------------------------------------------------
echo "bench-pvhv: console, $CONSOLE_RUNS runs each way" >&2
json_total() {   # FILE KEY: the VM total of counter KEY
	grep '"total"' "$1" | grep -o "\"$2\": [0-9]*" | head -1 | awk '{ print $2 }'
}
for mode in uart pvhv; do
	opt=(); [ $mode = uart ] && opt=(--no-pv)
	for i in $(seq "$CONSOLE_RUNS"); do
		$PVHV "${opt[@]}" --stats-json "$tmp/c.json" --cmdline "bench=console tests=off" \
			$KERNEL >"$tmp/c.out" 2>&1
		$PVHV "${opt[@]}" --stats-json "$tmp/b.json" --cmdline "tests=off" \
			$KERNEL >/dev/null 2>&1
		for k in run_exits uart_bytes console_bytes hypercalls; do
			echo $(( $(json_total "$tmp/c.json" $k) - $(json_total "$tmp/b.json" $k) )) \
				>>"$tmp/$mode.$k"
		done
		sed -n 's/^bench: console: .* in \([0-9]*\) us.*/\1/p' "$tmp/c.out" >>"$tmp/$mode.us"
		printf '.' >&2
	done
done
echo >&2
declare -A cx
for mode in uart pvhv; do
	for k in run_exits uart_bytes console_bytes hypercalls us; do
		cx[$mode.$k]=$(median <"$tmp/$mode.$k")
	done
done

# ---- 3. doorbells --------------------------------------------------------
echo "bench-pvhv: doorbells" >&2
build/pvhv-doorbell >"$tmp/doorbell.md"

# ---- the record ----------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# pvhv figures"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $cpu, Linux $(uname -r)." \
	     "/dev/kvm here is PVM (guest ring-0 code emulated, ~0.5 us per instruction)." \
	     "Recorded by \`make bench-pvhv\` (bench/pvhv/run.sh)."
	echo
	echo "## Boot: process start to \"pvk: ready\" and to power-off"
	echo
	echo "Same build/pvk.elf, empty command line (self-tests run after ready), $MEM MiB, 1 vCPU;"
	echo "QEMU $($QEMU --version 2>/dev/null | head -1 | sed 's/QEMU emulator version //') with" \
	     "\`${QEMU_MICROVM[*]:3:4}\`. Median of $RUNS runs per machine, interleaved."
	echo
	echo "| machine | to the kernel's first line (ms) | to ready (ms) | to power-off (ms) | ready: x slower than pvhv | runs reaching ready |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for m in "${machines[@]}"; do
		case $m in pvhv) name="pvhv" ;; microvm) name="QEMU -M microvm -accel kvm" ;;
			   pc) name="QEMU -M pc -accel kvm" ;; esac
		echo "| $name | $(ms "${booting[$m]}") | $(ms "${ready[$m]}") | $(ms "${exit_[$m]}") | $(speedup "${ready[pvhv]}" "${ready[$m]}") | ${ok[$m]}/$RUNS |"
	done
	echo
	if [ $have_qemu = 1 ]; then
		echo "Targets: ready at least 2x faster than microvm (measured" \
		     "$(speedup "${ready[pvhv]}" "${ready[microvm]}")x) and 20x faster than pc" \
		     "(measured $(speedup "${ready[pvhv]}" "${ready[pc]}")x)."
		echo
		echo "From the kernel's first line to ready, the guest's own boot (ring-0 code that this"
		echo "host emulates, the same binary everywhere) takes" \
		     "$(awk -v a="${booting[pvhv]}" -v b="${ready[pvhv]}" 'BEGIN { printf "%.1f", (b - a) * 1000 }') ms under pvhv and" \
		     "$(awk -v a="${booting[microvm]}" -v b="${ready[microvm]}" 'BEGIN { printf "%.1f", (b - a) * 1000 }') ms under microvm" \
		     "(where its console is the UART); the VMMs themselves take the first column."
	else
		echo "QEMU is not installed: no comparison."
	fi
	echo
	echo "## Console: 64 KiB (bench=console: 1024 console writes of one 64-byte line)"
	echo
	echo "Exits counted by pvhv (a bench=console run minus a run without it, same mode);"
	echo "time as the guest measures it around the workload. Median of $CONSOLE_RUNS runs."
	echo
	echo "| console | VM exits to pvhv | UART bytes | hypercalls | time (ms) | us per 64-byte line |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for mode in uart pvhv; do
		case $mode in uart) name="16550 UART (pvhv --no-pv, pvk's native console)" ;;
			      pvhv) name="pvhv console hypercall" ;; esac
		echo "| $name | ${cx[$mode.run_exits]} | ${cx[$mode.uart_bytes]} | ${cx[$mode.hypercalls]} |" \
		     "$(awk -v u="${cx[$mode.us]}" 'BEGIN { printf "%.1f", u / 1000 }') |" \
		     "$(awk -v u="${cx[$mode.us]}" 'BEGIN { printf "%.1f", u / 1024 }') |"
	done
	echo
	echo "The pvhv console needs $(speedup "${cx[pvhv.run_exits]}" "${cx[uart.run_exits]}")x fewer" \
	     "exits (target: 100x) and is $(speedup "${cx[pvhv.us]}" "${cx[uart.us]}")x faster for the same bytes."
	echo
	echo "## Hypercall doorbells (build/pvhv-doorbell)"
	echo
	cat "$tmp/doorbell.md"
} >"$OUT"

# ---- the plot ------------------------------------------------------------
if ! command -v gnuplot >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "bench-pvhv: installing gnuplot-nox for the plot" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || true
fi
if command -v gnuplot >/dev/null; then
	for m in "${machines[@]}"; do
		echo "$m $(ms "${ready[$m]}") $(ms "${exit_[$m]}")"
	done >"$tmp/boot.dat"
	gnuplot <<-GP 2>/dev/null && echo "![boot times](pvhv.png)" >>"$OUT"
		set terminal pngcairo size 800,450 noenhanced
		set output "$PNG"
		set title "pvk boot on this host: process start to ready / power-off (median of $RUNS)"
		set ylabel "ms (log scale)"
		set logscale y
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set key top left
		plot "$tmp/boot.dat" using 2:xtic(1) title "to pvk: ready", "" using 3 title "to power-off"
	GP
fi
echo "bench-pvhv: results in $OUT" >&2
cat "$OUT"
