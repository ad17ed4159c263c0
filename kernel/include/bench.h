/*
 * bench.h - workloads for the benchmarks, chosen with bench=NAME on the
 * kernel command line and run right after "pvk: ready".
 */
#ifndef PVK_BENCH_H
#define PVK_BENCH_H

/* bench_run - run workload `name` (console: 64 KiB on the console, as
 * 1024 printk-sized lines of 64 bytes); an unknown name is reported. */
void bench_run(const char *name);

#endif /* PVK_BENCH_H */
