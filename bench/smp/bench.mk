# The SMP features against their native twins, 4 vCPUs on one CPU in the
# nested L1 (bench/smp/run.sh):
#
#   make bench-smp     bench/results/smp.md (and smp.png)
#   RUNS=N SMP_CPUS=N OUT=FILE   see bench/smp/run.sh
.PHONY: bench-smp
bench-smp: $(PVHV) $(PVK) $(PVRUN) nested
	$(Q)bench/smp/run.sh
