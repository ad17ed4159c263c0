# libpvops: the same sources built hosted (build/libpvops.a) and
# freestanding for the kernel (build/libpvops-free.a).
LIB_SRCS := lib/patch.c lib/x86_insn.c lib/native.c lib/hypercall.c
LIB_HOSTED_SRCS := $(LIB_SRCS) lib/hosted.c

LIB_HOSTED_OBJS := $(LIB_HOSTED_SRCS:%.c=$(BUILD)/hosted/%.o)
LIB_FREE_OBJS := $(LIB_SRCS:%.c=$(BUILD)/free/%.o)

LIBPVOPS := $(BUILD)/libpvops.a
LIBPVOPS_FREE := $(BUILD)/libpvops-free.a

$(LIBPVOPS): $(LIB_HOSTED_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBPVOPS_FREE): $(LIB_FREE_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

all: $(LIBPVOPS) $(LIBPVOPS_FREE)
