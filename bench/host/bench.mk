# The hosted libpvops benchmark.
#
#   make bench-host                    build build/bench-host and run it: the
#                                      table on stdout, in bench/results/host.md
#                                      and bench/results/host.json, plotted in
#                                      bench/results/host.png
#   make bench-host BENCH_HOST_ARGS=--quick   smoke test (few repetitions,
#                                      results under build/ instead)
#
# bench/host/loops.c is compiled once per variant (see bench/host/bench.h),
# each with -DBENCH_KIND=<kind>; c_retpoline adds -mindirect-branch=thunk.
BENCH_HOST := $(BUILD)/bench-host
BENCH_HOST_KINDS := pv_indirect pv_direct pv_inline plain_inline \
	plain_direct c_plain c_retpoline none plain_inline_nop \
	plain_direct_nop plain_direct_cs
BENCH_HOST_LOOPS := $(BENCH_HOST_KINDS:%=$(BUILD)/hosted/bench/host/loops-%.o)
BENCH_HOST_OBJS := $(addprefix $(BUILD)/hosted/bench/host/,main.o sites.o \
	output.o) $(BENCH_HOST_LOOPS)
BENCH_HOST_ARGS ?=

# Every variant's loop starts on its own 64-byte boundary, so the code
# layout is the same for all of them as far as it can be.
BENCH_HOST_LOOP_CFLAGS := -falign-functions=64 -falign-loops=64
BENCH_HOST_LOOP_CFLAGS_c_retpoline := -mindirect-branch=thunk

# A static pattern: a plain pattern rule whose prerequisite exists for any
# stem would also offer to make the included .d files (via %: %.o).
$(BENCH_HOST_LOOPS): $(BUILD)/hosted/bench/host/loops-%.o: bench/host/loops.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(HOSTED_CFLAGS) $(BENCH_HOST_LOOP_CFLAGS) \
		$(BENCH_HOST_LOOP_CFLAGS_$*) -DBENCH_KIND=$* -DBENCH_KIND_$* \
		-c $< -o $@

$(BENCH_HOST): $(BENCH_HOST_OBJS) $(LIBPVOPS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $(BENCH_HOST_OBJS) $(LIBPVOPS)

bench-host: $(BENCH_HOST)
	$(Q)$(BENCH_HOST) $(BENCH_HOST_ARGS)
	$(Q)$(if $(filter --quick,$(BENCH_HOST_ARGS)),,bench/host/plot.sh bench/results/host.md)
