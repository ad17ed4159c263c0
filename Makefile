# pvops - top-level build. Everything lands in build/.
#
#   make            build libpvops (hosted and freestanding), the demo, the tests
#   make test       install what the tests need, run them: host tests, static
#                   checks, the boot matrix, pvhv --deprivileged's guests (make
#                   test-cpl3); ends "N passed, N failed, N skipped"
#   make test-linux Debian's Linux on pvhv in the nested L1 (CI runs it too)
#   make run        install what it needs, boot pvk on the best hypervisor here
#   make demo       the libpvops demo (a process patching its own call sites)
#   make gdb        pvk in QEMU, halted, with gdb attached
#   make iso        a GRUB rescue ISO booting pvk through Multiboot2
#   make bench      every benchmark (make bench-host: the libpvops part alone;
#                   bench-pvhv, bench-kvm, bench-ops, bench-smp, bench-user,
#                   bench-deprivileged: bench/results/pvhv.md, kvm.md, ops.md,
#                   smp.md, user.md, deprivileged.md)
#   make nopv       the PARAVIRT=0 kernel alone: build/nopv/pvk.elf
#   make clean      remove build/
#   V=1             show full commands

V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

BUILD := build
# PARAVIRT=0: the kernel without paravirt (kernel/kernel.mk), built by
# default in build/nopv so it sits beside the paravirt build/pvk.elf;
# `make nopv` builds only that image ($(BUILD)/nopv/pvk.elf).
PARAVIRT := 1
ifeq ($(PARAVIRT),0)
ifeq ($(origin BUILD),file)
BUILD := build/nopv
endif
endif
CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif

WARN := -Wall -Wextra -Werror
BASE_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -MMD -MP

# Hosted code that contains sites: no red zone (a site's call pushes below
# rsp) and ops reached through a site cannot assume 16-byte alignment.
HOSTED_CFLAGS := $(BASE_CFLAGS) -mno-red-zone -mstackrealign

# Freestanding code for the kernel.
FREE_CFLAGS := $(BASE_CFLAGS) -ffreestanding -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-omit-frame-pointer

.PHONY: all test test-run run demo gdb bench bench-host clean deps nopv
all:

include lib/lib.mk
include user/user.mk
include kernel/kernel.mk
include tools/tools.mk
include vmm/vmm.mk
include tools/nested/nested.mk
include examples/demo/demo.mk
include tests/unit/unit.mk
include tests/cpl3/cpl3.mk
include bench/host/bench.mk
include bench/kvm/bench.mk
include bench/ops/bench.mk
include bench/smp/bench.mk
include bench/user/bench.mk
include bench/deprivileged/bench.mk

# The PARAVIRT=0 kernel beside this one: $(BUILD)/nopv/pvk.elf.
NOPV_PVK := $(BUILD)/nopv/pvk.elf
nopv:
	$(Q)$(MAKE) --no-print-directory PARAVIRT=0 BUILD=$(BUILD)/nopv $(NOPV_PVK)

# Rules shared by every part.
$(BUILD)/hosted/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(HOSTED_CFLAGS) $(EXTRA_CFLAGS_$(notdir $*)) -c $< -o $@

$(BUILD)/hosted/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(HOSTED_CFLAGS) -c $< -o $@

$(BUILD)/free/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(FREE_CFLAGS) -c $< -o $@

$(BUILD)/free/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(FREE_CFLAGS) -c $< -o $@

# asm-offsets (pvops/asm-offsets.h): $(call pv_asm_offsets,CFLAGS) turns
# the C file $< into the header $@ of #defines for .S files (through a
# file, not a pipe, so a compile error stops here and leaves no header),
# with a .d file: a header it reads changes, the numbers are made again.
define pv_asm_offsets
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(CC) $(1) -MMD -MP -MT $@ -MF $@.d -S $< -o $@.s
	$(Q)sed -n 's/^.*->\([A-Za-z_0-9]*\) \$$\{0,1\}\(-\{0,1\}[0-9][0-9]*\).*$$/#define \1 \2/p' \
		$@.s > $@.tmp
	$(Q)rm -f $@.s && mv $@.tmp $@
endef

$(BUILD)/hosted/%-offsets.h: %-offsets.c
	$(call pv_asm_offsets,$(HOSTED_CFLAGS))

deps:
	$(Q)tools/deps.sh build test

test:
	$(Q)tools/deps.sh build test qemu iso nested
	$(Q)$(MAKE) --no-print-directory test-run

# Every suite runs even when an earlier one failed or did not build; each
# leaves its exit status beside its TAP, and the summary checks that every
# suite named in SUITES reported (tests/summary.sh).
RESULTS := $(BUILD)/results
SUITES := build nopv harness unit pvhv-unit pvsites static matrix cpl3
SUITE = -$(Q)tests/run-suite.sh $(RESULTS)
test-run:
	$(Q)rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	$(SUITE) build --tap "make all builds every part" $(MAKE) --no-print-directory all
	$(SUITE) nopv --tap "make nopv builds the PARAVIRT=0 kernel, no site record or pv_ops in it" \
		$(MAKE) --no-print-directory nopv
	$(SUITE) harness tests/harness/run.sh $(RESULTS)/harness.tap
	$(SUITE) unit $(MAKE) --no-print-directory test-unit
	$(SUITE) pvhv-unit $(MAKE) --no-print-directory test-pvhv-unit
	$(SUITE) pvsites $(MAKE) --no-print-directory test-pvsites
	$(SUITE) static tests/static/run.sh $(RESULTS)/static.tap
	$(SUITE) matrix $(MAKE) --no-print-directory test-matrix
	$(SUITE) cpl3 $(MAKE) --no-print-directory test-cpl3
	$(Q)tests/summary.sh $(RESULTS) $(SUITES)

# The boot matrix: every environment, nested ones included (tests/boot/).
# The ISO and L1 are built softly: where one cannot be, the other boots
# still run and those of that environment fail, each with its reason (a
# stale L1 is removed so that it cannot stand in).
.PHONY: test-matrix
test-matrix: $(PVK) $(PVRUN) $(PVHV) $(PVHV_ASAN)
	-$(Q)$(MAKE) --no-print-directory $(ISO) nopv
	-$(Q)$(MAKE) --no-print-directory nested || rm -f $(NESTED)/tools.cpio.gz
	$(Q)tests/boot/matrix.sh $(RESULTS)

# Debian's Linux on pvhv inside L1 (tests/linux/run.sh): 1 and 2 vCPUs,
# pvhv's paravirt interface on and off, each to a busybox /init that checks
# the guest and powers off. Two to three minutes under TCG: not in `make
# test`; .ci/run calls it. Results: $(RESULTS)/linux.tap, summed like a suite.
.PHONY: test-linux
test-linux:
	$(Q)tools/deps.sh build qemu nested
	$(Q)$(MAKE) --no-print-directory $(PVHV) nested
	$(Q)mkdir -p $(RESULTS)
	$(SUITE) linux tests/linux/run.sh $(RESULTS)
	$(Q)tests/summary.sh $(RESULTS) linux

# Only what it runs: pvk, pvrun, pvhv (and L1 for nested-pvhv), never the
# tests' Criterion or Capstone parts.
run:
	$(Q)tools/deps.sh build qemu nested
	$(Q)$(MAKE) --no-print-directory $(PVK) $(PVRUN) $(PVHV)
	$(Q)tools/run.sh

# The libpvops demo: a process that patches its own call sites.
demo: $(DEMO)
	$(Q)$(MAKE) --no-print-directory run-demo

# QEMU halted with a gdb stub, gdb attached with pvk's symbols.
gdb:
	$(Q)tools/deps.sh build qemu
	$(Q)$(MAKE) --no-print-directory $(PVK) $(PVRUN)
	$(Q)tools/gdb.sh

bench:
	$(Q)tools/deps.sh build test qemu
	$(Q)$(MAKE) --no-print-directory bench-host bench-pvhv bench-kvm bench-ops bench-smp bench-user bench-deprivileged

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
