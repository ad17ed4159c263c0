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

# every non-comment line of the leaky fixtures is a planted mistake
want=$(grep -hvcE '^\s*(/\*|$)' tests/static/fixtures/leaky.c tests/static/fixtures/leaky.S | paste -sd+ | bc)
got=$($chk tests/static/fixtures/leaky.c tests/static/fixtures/leaky.S | wc -l)
if [ "$got" -eq "$want" ]; then ok "checker catches all $want planted mistakes"
else nok "checker caught $got of $want planted mistakes"; fi

if $chk tests/static/fixtures/clean.c >/dev/null; then ok "checker passes clean code (English in strings and comments)"
else nok "checker flags clean code"; fi
cat "$tap"
