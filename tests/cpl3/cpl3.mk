# tests/cpl3: the mini guest of pvhv's deprivileged mode (mini.S), a
# first end-to-end check of the monitor without pvk:
#   build/pvrun --env nested-pvhv --kernel build/tests/cpl3-mini.elf \
#       --pvhv-arg --deprivileged
CPL3_MINI := $(BUILD)/tests/cpl3-mini.elf

$(CPL3_MINI): $(BUILD)/free/tests/cpl3/mini.o tests/cpl3/mini.ld
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -n -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
		-T tests/cpl3/mini.ld -o $@ $<

all: $(CPL3_MINI)

# The failure variants: mini.S with -DMINI_FAIL_<kind>, each doing one
# thing the monitor cannot deliver (tests/cpl3/run-fails.sh expects pvhv
# to stop with the monitor's report, exit 70).
CPL3_MINI_FAILS := unmapped noncanon slot ro nohandler nopage
CPL3_MINI_FAIL_ELFS := $(CPL3_MINI_FAILS:%=$(BUILD)/tests/cpl3-mini-%.elf)

# Static patterns: as implicit rules they would also offer to make the .d files.
CPL3_MINI_FAIL_OBJS := $(CPL3_MINI_FAILS:%=$(BUILD)/free/tests/cpl3/mini-%.o)
$(CPL3_MINI_FAIL_OBJS): $(BUILD)/free/tests/cpl3/mini-%.o: tests/cpl3/mini.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(FREE_CFLAGS) -DMINI_FAIL -DMINI_FAIL_$* -c $< -o $@

$(CPL3_MINI_FAIL_ELFS): $(BUILD)/tests/cpl3-mini-%.elf: $(BUILD)/free/tests/cpl3/mini-%.o \
		tests/cpl3/mini.ld
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -n -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
		-T tests/cpl3/mini.ld -o $@ $<

all: $(CPL3_MINI_FAIL_ELFS)

# mm.S: the page-table and MSR hypercalls end to end (pvhv's side), the
# same link as mini's; "--cmdline fatal" checks the monitor's report.
CPL3_MM := $(BUILD)/tests/cpl3-mm.elf

$(CPL3_MM): $(BUILD)/free/tests/cpl3/mm.o tests/cpl3/mini.ld
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -n -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
		-T tests/cpl3/mini.ld -e mm_entry -o $@ $<

all: $(CPL3_MM)

# Both guests nested, the monitor's fatal reports: TAP in
# $(RESULTS)/cpl3.tap (L1 must be built: make nested).
.PHONY: test-cpl3
test-cpl3: $(CPL3_MINI) $(CPL3_MM) $(CPL3_MINI_FAIL_ELFS) $(PVRUN)
	$(Q)$(MAKE) --no-print-directory nested
	$(Q)mkdir -p $(RESULTS)
	$(Q)tests/cpl3/run.sh $(RESULTS)/cpl3.tap
