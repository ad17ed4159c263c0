#!/usr/bin/env bash
# run.sh TAP - the static checks, as TAP: the tree is clean, and the
# checker really catches what it must (planted fixtures) and nothing else.
set -u
tap=$1
cd "$(dirname "$0")/../.."
chk=tests/static/check-sensitive.sh
: >"$tap"
ok() { echo "ok - static: $1" >>"$tap"; }
nok() { echo "not ok - static: $1" >>"$tap"; }

if out=$($chk); then ok "kernel tree: no raw privileged instruction or hypervisor check outside pv"
else nok "kernel tree: outside pv:"; echo "$out"; fi

# Every non-comment line of the leaky fixtures is a planted mistake: the
# checker must hit exactly those lines (file:line), each at least once,
# and no other (the comment lines hold instruction names too).
fx=tests/static/fixtures
planted() {   # file comment-regex: its planted lines as file:line
	grep -nvE "$2" "$1" | cut -d: -f1 | sed "s|^|$1:|"
}
want=$( { planted $fx/leaky.c '^\s*(/\*|\*|//|$)'
	  planted $fx/leaky.S '^\s*(/\*|\*|#|$)'; } | sort -u)
got=$($chk --platforms $fx/pv $fx/leaky.c $fx/leaky.S | grep -oE '^[^:]+:[0-9]+' | sort -u)
missed=$(comm -23 <(echo "$want") <(echo "$got") | sed '/^$/d')
extra=$(comm -13 <(echo "$want") <(echo "$got") | sed '/^$/d')
nwant=$(echo "$want" | sed '/^$/d' | wc -l)
if [ -z "$missed$extra" ] && [ "$nwant" -gt 0 ]; then
	ok "checker hits exactly the $nwant planted lines"
else
	why=
	[ -n "$missed" ] && why="missed $(echo $missed)"
	[ -n "$extra" ] && why="${why:+$why; }flagged unplanted $(echo $extra)"
	[ "$nwant" -gt 0 ] || why="no planted lines found"
	nok "checker: $why"
fi

# The lines marked "newhv" name only what fixtures/pv/newhv.c declares: the
# checker knows them from that registration, and without it it must not.
newhv=$(grep -n '/\* newhv \*/' $fx/leaky.c | cut -d: -f1 | sed "s|^|$fx/leaky.c:|" | sort)
blind=$($chk $fx/leaky.c | grep -oE '^[^:]+:[0-9]+' | sort -u)
if [ -n "$newhv" ] && [ -z "$(comm -12 <(echo "$newhv") <(echo "$blind"))" ] &&
   [ -z "$(comm -23 <(echo "$newhv") <(echo "$got"))" ]; then
	ok "checker learns a new platform from its registration alone ($(echo $newhv | wc -w) lines)"
else
	nok "checker: the newhv lines are not caught from its registration alone"
fi

if $chk --platforms $fx/pv tests/static/fixtures/clean.c >/dev/null; then ok "checker passes clean code (English in strings and comments)"
else nok "checker flags clean code"; fi
cat "$tap"
