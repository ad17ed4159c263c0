# Host tools: pvrun (boot pvk somewhere and judge the boot).
PVRUN := $(BUILD)/pvrun

$(PVRUN): $(BUILD)/hosted/tools/pvrun.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

all: $(PVRUN)
