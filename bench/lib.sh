# bench/lib.sh - what the benchmark scripts share; sourced, not run.

# median: the middle one of the numbers on stdin (the lower middle of an
# even count), or nan when there are none.
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'; }

# ratio A B: A / B to two places, or nan when either is nan or B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.2f", a / b }'; }
