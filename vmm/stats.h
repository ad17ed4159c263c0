/*
 * stats.h - KVM's binary statistics and the --stats outputs (stats.c).
 */
#ifndef PVHV_STATS_H
#define PVHV_STATS_H

#include <sys/types.h>

#include "pvhv.h"

#define KSTATS_MAX_DESC 4096
#define KSTATS_MAX_NAME 256

/* One vCPU's KVM statistics file and where our counters sit in it. */
struct kstats {
	int fd;                       /* -1: not available */
	off_t off[PVHV_STAT_NR];      /* file offset of PVHV_STAT_KVM_*, -1 absent */
};

/* kstats_open - KVM_GET_STATS_FD on vcpu_fd and find the counters pvhv
 * reports; 0 or -errno (ks->fd stays -1). */
int kstats_open(struct kstats *ks, int vcpu_fd);

/* kstats_read - copy the current KVM_* counters into st (thread-safe). */
void kstats_read(const struct kstats *ks, struct vcpu_stats *st);

/* kstats_close - close the file (idempotent). */
void kstats_close(struct kstats *ks);

/* stats_sum - total = the sum of per[0..n). */
void stats_sum(const struct vcpu_stats *per, int n, struct vcpu_stats *total);

/* stats_print_table - the --stats table: a total column, then per vCPU. */
void stats_print_table(FILE *f, const struct vcpu_stats *per, int n,
		       bool have_kvm, double secs);

/* stats_write_json - the same as JSON in `path`; 0 or -errno. */
int stats_write_json(const char *path, const struct vcpu_stats *per, int n,
		     bool have_kvm, double secs, int status);

#endif /* PVHV_STATS_H */
