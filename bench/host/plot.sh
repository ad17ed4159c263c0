#!/usr/bin/env bash
# plot.sh MD - draw the cycles-per-call table of bench/results/host.md as
# MD's .png (gnuplot; installed as root when missing, skipped otherwise).
set -euo pipefail
md=${1:-bench/results/host.md}
png=${md%.md}.png
if ! command -v gnuplot >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "plot.sh: installing gnuplot-nox for the plot" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || true
fi
command -v gnuplot >/dev/null || { echo "plot.sh: no gnuplot; no plot" >&2; exit 0; }
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT
# The first table: | op | indirect | patched direct | ... |; medians only.
awk -F'|' '
	/^\| op \| indirect/ { on = 1; next }
	on && /^\|:--/ { next }
	on && /^\|/ {
		printf "%s", $2
		for (i = 3; i <= 9; i++) { split($i, v, " "); printf " %s", v[1] }
		printf "\n"; next
	}
	on { exit }' "$md" | sed 's/^ *//' >"$dat"
[ -s "$dat" ] || { echo "plot.sh: no table in $md" >&2; exit 1; }
gnuplot <<GP
set terminal pngcairo size 1050,460 noenhanced
set output "$png"
set title "Cycles per call (TSC reference cycles, median): paravirt sites against plain code"
set ylabel "TSC cycles per call"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set yrange [0:*]
set grid ytics
set xtics font ",9"
plot "$dat" using 2:xtic(1) title "indirect (unpatched)", \
     "" using 3 title "patched direct", \
     "" using 4 title "patched inline", \
     "" using 5 title "plain inline", \
     "" using 6 title "plain direct", \
     "" using 7 title "C indirect", \
     "" using 8 title "C indirect, retpoline"
GP
grep -q "(host.png)" "$md" || printf '\n![cycles per call](host.png)\n' >>"$md"
echo "plot.sh: wrote $png" >&2
