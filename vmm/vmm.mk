# pvhv: the hypervisor on /dev/kvm (vmm/), its ASan/UBSan build and host tests.
#
#   make                 builds build/pvhv
#   make test-pvhv-unit  builds the Criterion tests of the loader, devices and
#                        hypercalls with -fsanitize=address,undefined, runs
#                        them: TAP in $(RESULTS)/pvhv-unit.tap; also builds
#                        build/pvhv-asan (pvhv itself under the sanitizers)
#   make bench-pvhv      boot-time and console figures: bench/results/pvhv.md
PVHV := $(BUILD)/pvhv
PVHV_ASAN := $(BUILD)/pvhv-asan
PVHV_CORE_SRCS := vmm/error.c vmm/guest_mem.c vmm/loader.c vmm/acpi.c vmm/hypercall.c \
	vmm/cpl3_mm.c vmm/cpl3_boot.c vmm/cpl3_hc.c \
	vmm/ioport.c vmm/uart.c vmm/pc.c vmm/doorbell.c \
	vmm/stats.c vmm/x86.c vmm/kvm-hc.c vmm/cpl3_region.c vmm/cpl3_monitor.S
PVHV_SRCS := $(PVHV_CORE_SRCS) vmm/kvm-cpu.c vmm/kvm-cpl3.c vmm/kvm.c vmm/main.c \
	vmm/cpl3_vcpu.c
PVHV_OBJS := $(patsubst %.S,$(BUILD)/hosted/%.o,$(PVHV_SRCS:%.c=$(BUILD)/hosted/%.o))

# The monitor of the deprivileged mode (cpl3_monitor.S) takes its numbers
# from C headers through an asm-offsets file.
CPL3_MON_OFFSETS := $(BUILD)/hosted/vmm/cpl3_monitor-offsets.h
$(BUILD)/hosted/vmm/cpl3_monitor.o $(BUILD)/asan/vmm/cpl3_monitor.o: $(CPL3_MON_OFFSETS)
$(BUILD)/hosted/vmm/cpl3_monitor.o: HOSTED_CFLAGS += -I$(BUILD)/hosted/vmm
$(CPL3_MON_OFFSETS): HOSTED_CFLAGS += -Ivmm

# pvhv copies the monitor's bytes: a relocation in them would be a
# reference that is wrong once they run at PVHV_CPL3_MONITOR_BASE.
$(BUILD)/hosted/vmm/cpl3_monitor.o: vmm/cpl3_monitor.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(HOSTED_CFLAGS) -c $< -o $@
	$(Q)if readelf -rW $@ | grep -q "rodata.cpl3_monitor"; then \
		echo "$<: the monitor has relocations (it must be position independent):"; \
		readelf -rW $@; rm -f $@; exit 1; fi

# What pvhv shares with the kernel is in include/abi/ (-Iinclude); it sees
# no header of kernel/.
PVHV_CFLAGS := -D_GNU_SOURCE
$(PVHV_OBJS): HOSTED_CFLAGS += $(PVHV_CFLAGS)

$(PVHV): $(PVHV_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ -lpthread

all: $(PVHV)

# ---- the sanitized build: pvhv and its tests -------------------------------
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
SAN_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Iinclude -MMD -MP $(PVHV_CFLAGS) \
	-Ivmm $(SAN_FLAGS)
PVHV_TEST_SRCS := $(wildcard tests/unit/t_pvhv_*.c)
PVHV_ASAN_OBJS := $(patsubst %.S,$(BUILD)/asan/%.o,$(PVHV_SRCS:%.c=$(BUILD)/asan/%.o))
PVHV_TEST_OBJS := $(patsubst %.S,$(BUILD)/asan/%.o,$(PVHV_CORE_SRCS:%.c=$(BUILD)/asan/%.o)) \
	$(PVHV_TEST_SRCS:%.c=$(BUILD)/asan/%.o)
PVHV_UNIT := $(BUILD)/tests/pvhv-unit

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC-SAN  $@")
	$(Q)$(CC) $(SAN_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS-SAN  $@")
	$(Q)$(CC) $(SAN_CFLAGS) -I$(BUILD)/hosted/vmm -c $< -o $@

$(PVHV_ASAN): $(PVHV_ASAN_OBJS)
	@$(if $(Q),echo "  LD-SAN  $@")
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ -lpthread

$(PVHV_UNIT): $(PVHV_TEST_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD-SAN  $@")
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ -lcriterion -lpthread

.PHONY: test-pvhv-unit bench-pvhv bench-linux pvhv-asan
# Debian's Linux to /init on pvhv, QEMU microvm and pc inside L1: bench/results/linux.md
bench-linux: $(PVHV)
	$(Q)$(MAKE) --no-print-directory nested
	$(Q)bench/linux/run.sh
pvhv-asan: $(PVHV_ASAN)

test-pvhv-unit: $(PVHV_UNIT) $(PVHV_ASAN)
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run-unit.sh $(PVHV_UNIT) $(RESULTS)/pvhv-unit.tap

bench-pvhv: $(PVHV) $(PVK) $(PVRUN) $(PVHV_DOORBELL) $(PVHV_BOOTTIME)
	$(Q)bench/pvhv/run.sh

# The doorbell measurement behind docs/pvhv-abi.md's choice.
PVHV_DOORBELL := $(BUILD)/pvhv-doorbell
$(PVHV_DOORBELL): $(BUILD)/hosted/bench/pvhv/doorbell.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

all: $(PVHV_DOORBELL)

# The boot-time driver of bench/pvhv/run.sh.
PVHV_BOOTTIME := $(BUILD)/pvhv-boottime
$(PVHV_BOOTTIME): $(BUILD)/hosted/bench/pvhv/boottime.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

all: $(PVHV_BOOTTIME)
