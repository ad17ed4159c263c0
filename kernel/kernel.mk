# pvk: the kernel. One ELF, build/pvk.elf, with a PVH note and a
# Multiboot2 header; build/pvk.asm and build/pvk.map beside it.
KERNEL_DIRS := kernel kernel/lib kernel/mm kernel/pv kernel/arch/x86 \
	kernel/arch/x86/boot kernel/tests
KERNEL_SRCS := $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.c $(d)/*.S))
KERNEL_SRCS := $(filter-out kernel/arch/x86/asm-offsets.c,$(KERNEL_SRCS))
KERNEL_OBJS := $(patsubst %,$(BUILD)/free/%.o,$(basename $(KERNEL_SRCS)))
KERNEL_LDS := kernel/arch/x86/boot/kernel.ld
ASM_OFFSETS := $(BUILD)/free/kernel/arch/x86/asm-offsets.h

PVK := $(BUILD)/pvk.elf
KERNEL_INC := -Ikernel/include -Ikernel/arch/x86/include -I$(BUILD)/free/kernel/arch/x86

$(KERNEL_OBJS) $(ASM_OFFSETS): FREE_CFLAGS += $(KERNEL_INC)
$(BUILD)/free/kernel/arch/x86/entry.o: $(ASM_OFFSETS)

$(ASM_OFFSETS): kernel/arch/x86/asm-offsets.c
	$(call pv_asm_offsets,$(FREE_CFLAGS))

$(PVK): $(KERNEL_OBJS) $(LIBPVOPS_FREE) $(KERNEL_LDS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -n -z max-page-size=0x1000 -T $(KERNEL_LDS) -Map=$(BUILD)/pvk.map \
		-o $@ $(KERNEL_OBJS) $(LIBPVOPS_FREE)
	$(Q)readelf -h $@ | grep -q 'Class: *ELF64' || { echo "$@: not ELF64"; exit 1; }
	$(Q)readelf -lW $@ | grep -q '^ *NOTE ' || { echo "$@: no PT_NOTE (PVH entry)"; exit 1; }
	$(Q)off=$$(readelf -SW $@ | sed -n 's/.*\] \.multiboot2 *PROGBITS *[0-9a-f]* \([0-9a-f]*\).*/\1/p'); \
	 test -n "$$off" && test $$((0x$$off % 8)) -eq 0 && test $$((0x$$off)) -lt 32744 \
	 || { echo "$@: Multiboot2 header not 8-aligned in the first 32 KiB"; exit 1; }
	@$(if $(Q),echo "  OBJDUMP $(BUILD)/pvk.asm")
	$(Q)objdump -d --no-show-raw-insn -j .text $@ > $(BUILD)/pvk.asm
	$(Q)nm -n $@ > $(BUILD)/pvk.sym

all: $(PVK)

# A GRUB rescue ISO that boots pvk through Multiboot2 like a bare PC.
ISO := $(BUILD)/pvk.iso
$(ISO): $(PVK) tests/boot/grub.cfg
	@$(if $(Q),echo "  ISO     $@")
	$(Q)rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	$(Q)cp $(PVK) $(BUILD)/iso/boot/pvk.elf
	$(Q)cp tests/boot/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $@ $(BUILD)/iso >$(BUILD)/iso.log 2>&1 || { cat $(BUILD)/iso.log; exit 1; }

.PHONY: iso
iso:
	$(Q)tools/deps.sh build iso
	$(Q)$(MAKE) --no-print-directory $(ISO)
