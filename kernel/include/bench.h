/*
 * bench.h - workloads for the benchmarks, chosen with bench=NAME on the
 * kernel command line and run right after "pvk: ready".
 */
#ifndef PVK_BENCH_H
#define PVK_BENCH_H

/* bench_run - run workload `name`; an unknown name is reported:
 *   console  64 KiB on the console, as 1024 printk-sized lines of 64 bytes
 *   irq      1000 timer interrupts waited for with sti; hlt
 *   iodelay  10000 io_delay, interrupts off; one call's instructions
 *   clock    10000 sched_clock, interrupts off; one call's instructions
 *   ops      each hot op's instructions (NOPs among them) and cycles per
 *            call (kernel/arch/x86/bench_ops.c)
 *   ipi      2 s of smp_call_function rounds to every other CPU
 *   tlb      2 s of one-page shootdowns of every other CPU, kept busy
 *            (kernel/bench_smp.c)
 *   user     a system call's and a user page fault's round trip, ns and
 *            cycles (kernel/bench_user.c)
 *   compute  rounds of Adler-32 and copies of 4 MiB, no privileged
 *            operation in the loop: ns and cycles a round
 *            (kernel/bench_compute.c)
 *   pt       4096 pages mapped, touched and unmapped, page by page and in
 *            lazy MMU mode: ns and cycles a page (kernel/bench_pt.c);
 *            pt-each, pt-lazy: one of the two ways only, so the host's
 *            exit counts of a boot belong to it; pt-setup: neither, the
 *            baseline those counts are taken from
 * The host counts the exits (bench/kvm/run.sh); the kernel prints what it
 * can measure itself, one "bench: NAME: ..." line. */
void bench_run(const char *name);

/* bench_ops - bench=ops (kernel/arch/x86/bench_ops.c). */
void bench_ops(void);

/* bench_ipi, bench_tlb - bench=ipi, bench=tlb (kernel/bench_smp.c). */
void bench_ipi(void);
void bench_tlb(void);

/* bench_user - bench=user (kernel/bench_user.c). */
void bench_user(void);

/* bench_compute - bench=compute (kernel/bench_compute.c): prints each
 * round's ns and cycles, then the best and whether every checksum
 * matched the known answer. */
void bench_compute(void);

/* bench_pt - bench=pt (kernel/bench_pt.c): prints ns and cycles per page
 * mapped, touched and unmapped, without and with lazy MMU mode;
 * bench_pt_each, bench_pt_lazy: bench=pt-each, bench=pt-lazy, one way;
 * bench_pt_setup: bench=pt-setup, the frames and tables, no timed pass. */
void bench_pt(void);
void bench_pt_each(void);
void bench_pt_lazy(void);
void bench_pt_setup(void);

#endif /* PVK_BENCH_H */
