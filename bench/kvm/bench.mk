# KVM's paravirt features against their native twins, in exits and
# instructions (bench/kvm/run.sh):
#
#   make bench-kvm     bench/results/kvm.md (and kvm.png): pvhv on this
#                      machine's /dev/kvm, and pvhv in the nested L1
#                      (`make nested` first, unless NESTED=0)
#   RUNS=N NESTED_RUNS=N NESTED=0 OUT=FILE   see bench/kvm/run.sh
.PHONY: bench-kvm
bench-kvm: $(PVHV) $(PVK) $(PVRUN) $(if $(filter 0,$(NESTED)),,nested)
	$(Q)bench/kvm/run.sh
