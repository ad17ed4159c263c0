# Host tools: pvrun (boot pvk somewhere and judge the boot). The L1 it boots
# for the nested environments: tools/nested/nested.mk.
PVRUN := $(BUILD)/pvrun
PVRUN_OBJS := $(patsubst %.c,$(BUILD)/hosted/%.o,tools/pvrun.c tools/pvrun_child.c \
	tools/pvrun_env.c tools/pvrun_nested.c)

$(PVRUN): $(PVRUN_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

all: $(PVRUN)
