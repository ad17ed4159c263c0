# Host tests: Criterion + Capstone, against the hosted libpvops.
# (t_pvhv_*.c are pvhv's tests: vmm/vmm.mk builds them with the sanitizers.)
UNIT_SRCS := tests/unit/helpers.c tests/unit/sites.S tests/unit/regs_harness.S \
	$(filter-out tests/unit/t_pvhv_%.c,$(wildcard tests/unit/t_*.c))
UNIT_OBJS := $(patsubst %.c,$(BUILD)/hosted/%.o,$(patsubst %.S,$(BUILD)/hosted/%.o,$(UNIT_SRCS)))

# Kernel code with no hardware in it, built hosted to be tested here. The
# kernel's headers come after the system's, so <string.h> is libc's.
UNIT_KERNEL_SRCS := kernel/boot_info.c kernel/lib/vsnprintf.c
UNIT_OBJS += $(UNIT_KERNEL_SRCS:%.c=$(BUILD)/hosted/%.o)
# The kernel's printf, renamed so it does not stand in for libc's.
$(BUILD)/hosted/kernel/lib/vsnprintf.o: HOSTED_CFLAGS += -Dvsnprintf=kvsnprintf \
	-Dsnprintf=ksnprintf
$(UNIT_KERNEL_SRCS:%.c=$(BUILD)/hosted/%.o) $(BUILD)/hosted/tests/unit/t_boot_info.o: \
	HOSTED_CFLAGS += -idirafter kernel/include -idirafter kernel/arch/x86/include
UNIT_BIN := $(BUILD)/tests/unit

$(BUILD)/hosted/tests/unit/sites.o: $(BUILD)/hosted/tests/unit/test-offsets.h
$(BUILD)/hosted/tests/unit/sites.o: HOSTED_CFLAGS += -I$(BUILD)/hosted/tests/unit

$(UNIT_BIN): $(UNIT_OBJS) $(LIBPVOPS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $(UNIT_OBJS) $(LIBPVOPS) -lcriterion -lcapstone

all: $(UNIT_BIN)

# The host suite alone, TAP into build/results/unit.tap.
.PHONY: test-unit
test-unit: $(UNIT_BIN)
	$(Q)tests/run-unit.sh $(UNIT_BIN) $(RESULTS)/unit.tap
