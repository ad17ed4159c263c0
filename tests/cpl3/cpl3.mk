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

# mm.S: the page-table and MSR hypercalls end to end (pvhv's side), the
# same link as mini's; "--cmdline fatal" checks the monitor's report.
CPL3_MM := $(BUILD)/tests/cpl3-mm.elf

$(CPL3_MM): $(BUILD)/free/tests/cpl3/mm.o tests/cpl3/mini.ld
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -n -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
		-T tests/cpl3/mini.ld -e mm_entry -o $@ $<

all: $(CPL3_MM)

# Both guests nested, and the monitor's fatal report: TAP in
# $(RESULTS)/cpl3.tap (L1 must be built: make nested).
.PHONY: test-cpl3
test-cpl3: $(CPL3_MINI) $(CPL3_MM) $(PVRUN)
	$(Q)$(MAKE) --no-print-directory nested
	$(Q)mkdir -p $(RESULTS)
	$(Q)tests/cpl3/run.sh $(RESULTS)/cpl3.tap
