# user/: the built-in user programs pvk carries (user/README). Each
# user/prog/NAME.c, linked with the runtime user/lib/ by user/user.ld,
# gives $(BUILD)/user/NAME.elf, its disassembly NAME.asm and its flat
# image NAME.bin; $(USER_TABLE) .incbins every image and defines
# user_programs[] and user_programs_count (kernel/include/user_programs.h);
# kernel/kernel.mk links $(USER_TABLE_OBJ) into pvk.elf (both builds,
# PARAVIRT=0 too). `make user` builds the programs and the table alone.
USER_PROGS := $(sort $(basename $(notdir $(wildcard user/prog/*.c))))
USER_LIB_SRCS := $(sort $(wildcard user/lib/*.c user/lib/*.S))
USER_LIB_OBJS := $(patsubst user/%,$(BUILD)/user/%.o,$(basename $(USER_LIB_SRCS)))
USER_PROG_OBJS := $(USER_PROGS:%=$(BUILD)/user/prog/%.o)
USER_LDS := $(BUILD)/user/user.lds
USER_ELFS := $(USER_PROGS:%=$(BUILD)/user/%.elf)
USER_BINS := $(USER_PROGS:%=$(BUILD)/user/%.bin)
USER_GEN := user/gen-table.sh
USER_OFFSETS := $(BUILD)/user/user-programs-offsets.h
USER_LIST := $(BUILD)/user/programs.list
USER_TABLE := $(BUILD)/user/user-programs.S
USER_TABLE_OBJ := $(BUILD)/user/user-programs.o

# The largest image a program may have (text, data and bss): the kernel
# copies it whole into every process that runs it.
USER_IMAGE_MAX := 65536

# Ring 3 code on its own: no kernel code model (linked low, at
# USER_TEXT_BASE), no SSE or x87 (the kernel does not save that state),
# no red zone (the asm checks push below %rsp), no C library.
USER_CFLAGS := -std=gnu11 -O2 -g $(WARN) -MMD -MP -Iinclude -Iuser/include \
	-ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -nostdlib -fno-asynchronous-unwind-tables \
	-fcf-protection=none

.PHONY: user
# Made through pattern rules only, but kept: they are the link's inputs.
.SECONDARY: $(USER_PROG_OBJS) $(USER_LIB_OBJS)
user: $(USER_TABLE_OBJ)
all: $(USER_TABLE_OBJ)

$(BUILD)/user/%.o: user/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(BUILD)/user/%.o: user/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

# A program's CHECK()s name it: PROG_NAME is its file name.
$(BUILD)/user/prog/%.o: user/prog/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(USER_CFLAGS) -DPROG_NAME='"$*"' -c $< -o $@

$(USER_LDS): user/user.ld include/abi/syscall.h include/abi/x86.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CPP     $@")
	$(Q)$(CC) -E -P -x c -D__ASSEMBLER__ -Iinclude $< -o $@

# Linked, then checked (the ELF is removed when a check fails):
#   - only .text, .rodata and .data are loaded (no GOT, no relocation
#     sections, no orphan the image would carry unnoticed);
#   - no SSE, AVX or x87 instruction in the disassembly (NAME.asm).
# user.ld itself asserts that _start is the first byte.
$(BUILD)/user/%.elf: $(BUILD)/user/prog/%.o $(USER_LIB_OBJS) $(USER_LDS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -static -nostdlib -z max-page-size=4096 -z noexecstack \
		-T $(USER_LDS) -o $@ $< $(USER_LIB_OBJS)
	$(Q)bad=$$(readelf -lW $@ | sed -n '/Segment Sections/,$$p' | tail -n +2 | \
		awk '{ for (i = 2; i <= NF; i++) print $$i }' | grep -vxE '\.(text|rodata|data)'); \
	 [ -z "$$bad" ] || { echo "$@: loads sections user.ld does not place: $$bad"; rm -f $@; exit 1; }
	$(Q)objdump -d --no-show-raw-insn $@ >$(@:.elf=.asm)
	$(Q)! grep -nE '%([xyz]mm[0-9]|mm[0-7]\b|st\b|st\()|	(f[a-z0-9]+|[a-z]*mxcsr|emms)( |$$)' $(@:.elf=.asm) \
	 || { echo "$@: SSE/AVX/x87 instructions (above) in user code"; rm -f $@; exit 1; }

$(BUILD)/user/%.bin: $(BUILD)/user/%.elf
	@$(if $(Q),echo "  OBJCOPY $@")
	$(Q)objcopy -O binary $< $@
	$(Q)n=$$(stat -c %s $@); [ $$n -le $(USER_IMAGE_MAX) ] || { \
		echo "user/prog/$*.c: the image is $$n bytes, more than the $(USER_IMAGE_MAX) a built-in program may have (user/user.mk, USER_IMAGE_MAX)"; \
		rm -f $@; exit 1; }

$(USER_OFFSETS): user/table-offsets.c kernel/include/user_programs.h
	$(call pv_asm_offsets,$(FREE_CFLAGS) -Ikernel/include)

# The names of the programs, rewritten only when they change: a program
# added or removed regenerates the table even when no image is newer.
.PHONY: user-list-check
$(USER_LIST): user-list-check
	@mkdir -p $(dir $@)
	$(Q)echo '$(USER_PROGS)' | cmp -s - $@ || echo '$(USER_PROGS)' >$@

# The table changes with any image (text_size, size), the list of
# programs and the generator.
$(USER_TABLE): $(USER_BINS) $(USER_ELFS) $(USER_LIST) $(USER_GEN) user/user.mk
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(USER_GEN) $(USER_ELFS) >$@.tmp && mv $@.tmp $@

# .incbin is no #include: the images are named here, not in the .d file.
$(USER_TABLE_OBJ): $(USER_TABLE) $(USER_OFFSETS) $(USER_BINS)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(FREE_CFLAGS) -I$(BUILD)/user -c $< -o $@
