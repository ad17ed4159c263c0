#!/usr/bin/env bash
# check-sensitive.sh - generic kernel code reaches privileged instructions
# and hypervisors only through pv_ops.
#
#   check-sensitive.sh [--tap FILE] [--platforms DIR]... [FILE...]
#
# With no FILE, scans every kernel source outside the places allowed to
# hold them:
#   kernel/arch/x86/include/asm/x86.h   the wrapper header (xv6 style)
#   kernel/arch/x86/boot/               the boot path, before pv_ops exist
#   kernel/pv/, kernel/include/pv/      the platforms (native, kvm, ...)
#   kernel/arch/x86/nopv/include/       the PARAVIRT=0 build's paravirt.h and
#                                       pvops/asm.h: the bare instructions
#                                       where the sites would be (a header's
#                                       assembly macros are not C strings)
#   kernel/tests/t_user_progs.S         ring-3 programs of the self-tests:
#                                       their cli, hlt are there to fault
# and, for the third check, kernel/arch/x86/ (native drivers may call the
# native_* wrappers: they are what the native ops are made of).
# Three checks: (1) a privileged instruction in assembly text (.S, or a
# string in C), (2) a hypervisor check: a signature, the hypervisor CPUID
# range, or naming a platform, (3) generic code using the wrapper header
# (asm/x86.h, native_*) instead of pv_ops. Prints each hit as file:line: text.
# Exits 1 when anything is found.
#
# No platform is named here. The hypervisor check knows the signatures and
# platforms from where they are declared, so a new platform is covered by
# its own file: every string passed to hypervisor_cpuid_base() and every
# *SIGNATURE* macro in kernel/pv/, kernel/include/pv/ and include/abi/;
# every PV_PLATFORM registration there (its symbol and its "name", except
# the root's, which builds on nothing: native is no hypervisor); and any
# word of one unit repeated, a capital in it (KVMKVMKVM, TCGTCGTCGTCG, VMwareVMware), the
# shape most signatures have. --platforms DIR reads registrations from DIR
# too (the self-test's fixtures).
set -u
tap=
extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--tap) tap=$2; shift 2 ;;
	--platforms) extra+=("$2"); shift 2 ;;
	*) break ;;
	esac
done
cd "$(dirname "$0")/../.."

if [ $# -gt 0 ]; then
	files=("$@")
else
	mapfile -t files < <(find kernel -name '*.[chS]' \
		! -path 'kernel/pv/*' ! -path 'kernel/include/pv/*' \
		! -path 'kernel/arch/x86/boot/*' ! -path 'kernel/arch/x86/nopv/include/*' \
		! -path kernel/tests/t_user_progs.S \
		! -path kernel/arch/x86/include/asm/x86.h | sort)
fi

# Instructions, as they appear in assembly (AT&T, optional size suffix):
# privileged ones, hypercalls (vmcall, vmmcall) and string port I/O.
insn='cli|sti|hlt|clts|wbinvd|wrmsr|rdmsr|xsetbv|popf[wlq]?|lgdt[lq]?|lidt[lq]?|ltr[w]?|invlpg|swapgs|iretq?|sysret[lq]?|stac|clac|invd|vmcall|vmmcall|(ins|outs)[bwl]'
# in/out: the port in %dx, (%dx) or an immediate, the data in al/ax/eax,
# or a C asm operand (%1, %w1, %[port]).
io='(in|out)[bwl]?\s+(%%?(al|ax|eax|dx)\b|\(%%?dx\)|\$|%[a-z]?[0-9]|%\[)'
# mov to or from a control or a debug register (gas takes %db and %dr).
ctl='%%?(cr[0-8]|d[br][0-7])\b'
cr="mov[lq]?\\s+($ctl|[^,\"]*,\\s*$ctl)"
# In .S: the mnemonic starting a statement, after an optional rep prefix.
# In C: inside a string literal.
asm_re="(^|[;:]|\\\\[nt]|\")\s*((rep[a-z]*\s+)?($insn)(\s|;|\\\\[nt]|\"|$)|$io|$cr)"
# The hypervisor CPUID range, with any C integer suffix (0x40000000u, UL);
# a signature's shape; comparing the chosen platform with one.
hv_re='\b(?=[A-Za-z]*[A-Z])([A-Za-z]{3,6})\1+\b|\bCPUID_HV_[A-Z]+\b|0[xX]4000[0-9a-fA-F]{4}([uU][lL]{0,2}|[lL]{1,2}[uU]?)?\b|pv_platform\s*[!=]=|strcmp\s*\(\s*pv_platform->name'

# What the platforms declare, one fixed string a line (grep -F).
declared=$(mktemp)
trap 'rm -f "$declared"' EXIT
mapfile -t pvsrc < <(find kernel/pv kernel/include/pv include/abi "${extra[@]}" \
	-name '*.[ch]' 2>/dev/null | sort)
if [ ${#pvsrc[@]} -gt 0 ]; then
	{
		grep -ohP 'hypervisor_cpuid_base\s*\(\s*"\K(\\.|[^"\\])*(?=")' "${pvsrc[@]}"
		grep -ohP '#\s*define\s+\K\w*SIGNATURE\w*(?=\s+")' "${pvsrc[@]}"
		grep -ohP '#\s*define\s+\w*SIGNATURE\w*\s+"\K(\\.|[^"\\])*(?=")' "${pvsrc[@]}"
		# PV_PLATFORM(sym) = { .name = "x", .base = ... };
		awk '/^PV_PLATFORM\(/ { inreg = 1; base = 0; name = ""
				      sym = $0; sub(/.*PV_PLATFORM\(/, "", sym); sub(/\).*/, "", sym) }
		     inreg && /\.name *=/ { name = $0; sub(/[^"]*"/, "", name); sub(/".*/, "", name) }
		     inreg && /\.base *=/ { base = 1 }
		     inreg && /};/ { inreg = 0
				      if (base) { print sym; print "\"" name "\"" } }' "${pvsrc[@]}"
	} | sed '/^$/d' | sort -u >"$declared"
fi

# The scan itself, in one perl process (a shell loop forking grep for
# every line took minutes under load): the same regexes, line by line.
# Prints each hit as "file:line: kind: text". A file it cannot read is
# an error (exit 2), never a clean pass.
export ASM_RE=$asm_re HV_RE=$hv_re DECLARED=$declared
out=$(perl -e '
	use strict; use warnings;
	my ($asm, $hv) = (qr/$ENV{ASM_RE}/, qr/$ENV{HV_RE}/);
	my $generic = qr/#\s*include\s*<asm\/x86\.h>|\bnative_[a-z0-9_]+\s*\(/;
	my @decl;
	if (-s $ENV{DECLARED}) {
		open(my $d, "<", $ENV{DECLARED}) or die "$ENV{DECLARED}: $!";
		chomp(@decl = <$d>);
		@decl = grep { length } @decl;
	}
	for my $f (@ARGV) {
		open(my $in, "<", $f) or die "check-sensitive.sh: $f: $!\n";
		my $n = 0;
		while (my $line = <$in>) {
			chomp $line;
			$n++;
			my $code;
			if ($f =~ /\.S$/) {
				# as sed "s|/\*.*\*/||g; s|#.*$||": comments out
				$line =~ s{/\*.*\*/}{}g;
				$line =~ s{#.*$}{};
				$code = $line;
			} else {
				# only the string literals of the line
				my @lit = $line =~ /("(?:\\.|[^"\\])*")/g;
				$code = @lit ? join(" ", @lit) . " " : "";
			}
			my @kinds;
			push @kinds, "privileged instruction outside the wrappers"
				if length($code) && $code =~ $asm;
			push @kinds, "hypervisor check in generic code"
				if $line =~ $hv || grep { index($line, $_) >= 0 } @decl;
			push @kinds, "generic code bypasses pv_ops"
				if $f !~ m{^kernel/arch/x86/} && $line =~ $generic;
			print "$f:$n: $_: $line\n" for @kinds;
		}
	}
' "${files[@]}") || { echo "check-sensitive.sh: the scan failed" >&2; exit 2; }
hits=0
[ -z "$out" ] || { echo "$out"; hits=$(wc -l <<<"$out"); }
if [ -n "$tap" ]; then
	if [ $hits -eq 0 ]; then
		echo "ok - static: no privileged instruction or hypervisor check outside the wrappers (${#files[@]} files)" >"$tap"
	else
		echo "not ok - static: $hits privileged instructions or hypervisor checks outside the wrappers" >"$tap"
	fi
fi
[ $hits -eq 0 ]
