# The same pvk on pvhv's normal mode and deprivileged (--deprivileged, the
# kernel at CPL 3, issue 14) in the nested L1, QEMU TCG as the reference:
# boot to ready, bench=compute, bench=pt (bench/deprivileged/run.sh):
#
#   make bench-deprivileged   bench/results/deprivileged.md (and .png)
#   RUNS=N OUT=FILE KEEP=1    see bench/deprivileged/run.sh
.PHONY: bench-deprivileged
bench-deprivileged: $(PVHV) $(PVK) $(PVRUN) nested
	$(Q)bench/deprivileged/run.sh
