# Host tests: Criterion + Capstone, against the hosted libpvops.
UNIT_SRCS := tests/unit/helpers.c tests/unit/sites.S tests/unit/regs_harness.S \
	$(wildcard tests/unit/t_*.c)
UNIT_OBJS := $(patsubst %.c,$(BUILD)/hosted/%.o,$(patsubst %.S,$(BUILD)/hosted/%.o,$(UNIT_SRCS)))
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
