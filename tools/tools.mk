# Host tools: pvrun (boot pvk somewhere and judge the boot). The L1 it boots
# for the nested environments: tools/nested/nested.mk.
PVRUN := $(BUILD)/pvrun
PVRUN_OBJS := $(patsubst %.c,$(BUILD)/hosted/%.o,tools/pvrun.c tools/pvrun_child.c \
	tools/pvrun_env.c tools/pvrun_nested.c)

$(PVRUN): $(PVRUN_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

all: $(PVRUN)

# pvsites: pvk's patch sites, and what the patch engine (libpvops, hosted)
# makes of them on each platform (tools/pvsites/; Capstone disassembles).
PVSITES := $(BUILD)/pvsites
PVSITES_OBJS := $(patsubst %.c,$(BUILD)/hosted/%.o,tools/pvsites/pvsites.c \
	tools/pvsites/elfimg.c)

$(PVSITES): $(PVSITES_OBJS) $(LIBPVOPS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $(PVSITES_OBJS) $(LIBPVOPS) -lcapstone

all: $(PVSITES)

# pvsites' tests (Criterion): on $(PVK) and on copies broken on purpose;
# make test's pvsites suite, which also runs pvsites --check on $(PVK).
PVSITES_TEST := $(BUILD)/tests/pvsites
$(BUILD)/hosted/tests/pvsites/t_pvsites.o: HOSTED_CFLAGS += \
	-DPVSITES_BIN='"$(PVSITES)"' -DPVK_ELF='"$(PVK)"'
$(PVSITES_TEST): $(BUILD)/hosted/tests/pvsites/t_pvsites.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ -lcriterion

all: $(PVSITES_TEST)

.PHONY: test-pvsites
test-pvsites: $(PVSITES) $(PVSITES_TEST) $(PVK)
	$(Q)mkdir -p $(RESULTS) && printf 'pvsites-check.tap\npvsites.tap\n' > $(RESULTS)/pvsites.list
	$(Q)$(PVSITES) --check $(PVK); c=$$?; \
	if [ $$c -eq 0 ]; then echo "ok - pvsites --check $(PVK)"; \
	else echo "not ok - pvsites --check $(PVK) (exit $$c, reasons above)"; fi \
		> $(RESULTS)/pvsites-check.tap; \
	tests/run-unit.sh $(PVSITES_TEST) $(RESULTS)/pvsites.tap && exit $$c
