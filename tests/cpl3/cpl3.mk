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
