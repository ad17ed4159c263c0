# Per-op cost in the three builds (bench/ops/run.sh):
#
#   make bench-ops     bench/results/ops.md (and ops.png): bench=ops in the
#                      PARAVIRT=0 kernel, the patched one and pv=nopatch, on
#                      QEMU TCG (exact instruction counts) and, where
#                      /dev/kvm opens, kvm and pvhv
#   ENVS="native ..." OUT=FILE   see bench/ops/run.sh
.PHONY: bench-ops
bench-ops: $(PVK) $(PVRUN) $(PVHV) nopv
	$(Q)bench/ops/run.sh
