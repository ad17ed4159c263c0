# A system call's and a user page fault's round trip, patched against
# pv=nopatch, natively under TCG and in the nested L1 (bench/user/run.sh):
#
#   make bench-user    bench/results/user.md
#   RUNS=N OUT=FILE    see bench/user/run.sh
.PHONY: bench-user
bench-user: $(PVHV) $(PVK) $(PVRUN) nested
	$(Q)bench/user/run.sh
