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

# The symbol table (kallsyms) takes two links. The first, with an empty
# table, gives the text symbols (nm); gen-kallsyms.sh turns them into the
# table the second link gets. The table lives in .rodata, after .text, so
# its size cannot move a function: the second link's symbols, run through
# the generator again, must give the very table it holds, or the build
# fails (and pvk.elf is removed).
KALLSYMS_GEN := kernel/gen-kallsyms.sh
KALLSYMS := $(BUILD)/free/kernel/kallsyms
PVK_STAGE1 := $(BUILD)/pvk.stage1.elf

# $(call pvk_link,OUTPUT,TABLE_OBJECT)
define pvk_link
	@$(if $(Q),echo "  LD      $(1)")
	$(Q)ld -n -z max-page-size=0x1000 -T $(KERNEL_LDS) -Map=$(1:.elf=.map) \
		-o $(1) $(KERNEL_OBJS) $(2) $(LIBPVOPS_FREE)
endef

$(KALLSYMS)-empty.S: $(KALLSYMS_GEN)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(KALLSYMS_GEN) </dev/null >$@

$(PVK_STAGE1): $(KERNEL_OBJS) $(KALLSYMS)-empty.o $(LIBPVOPS_FREE) $(KERNEL_LDS)
	$(call pvk_link,$@,$(KALLSYMS)-empty.o)

$(KALLSYMS)-table.S: $(PVK_STAGE1) $(KALLSYMS_GEN)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)nm -n -S $< >$@.nm
	$(Q)$(KALLSYMS_GEN) <$@.nm >$@.tmp && mv $@.tmp $@

$(KALLSYMS)-empty.o $(KALLSYMS)-table.o: %.o: %.S
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(FREE_CFLAGS) -c $< -o $@

$(PVK): $(KERNEL_OBJS) $(KALLSYMS)-table.o $(LIBPVOPS_FREE) $(KERNEL_LDS)
	$(call pvk_link,$@,$(KALLSYMS)-table.o)
	$(Q)nm -n -S $@ >$(KALLSYMS)-check.nm
	$(Q)$(KALLSYMS_GEN) <$(KALLSYMS)-check.nm >$(KALLSYMS)-check.S
	$(Q)cmp -s $(KALLSYMS)-table.S $(KALLSYMS)-check.S || { \
		echo "$@: the second link moved text symbols; kallsyms would lie:"; \
		diff $(KALLSYMS)-table.S $(KALLSYMS)-check.S | head; rm -f $@; exit 1; }
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
$(ISO): $(PVK) tools/mkiso.sh
	@$(if $(Q),echo "  ISO     $@")
	$(Q)tools/mkiso.sh $(PVK) $@

.PHONY: iso
iso:
	$(Q)tools/deps.sh build iso
	$(Q)$(MAKE) --no-print-directory $(ISO)
