# The hosted demo: `make demo` runs it with each backend.
DEMO := $(BUILD)/demo
DEMO_OBJS := $(BUILD)/hosted/examples/demo/demo.o

$(DEMO): $(DEMO_OBJS) $(LIBPVOPS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $(DEMO_OBJS) $(LIBPVOPS)

all: $(DEMO)

.PHONY: run-demo
run-demo: $(DEMO)
	$(Q)for b in native hyper nopatch; do $(DEMO) $$b || exit 1; echo; done
