/*
 * stats.c - exit counters: the names, KVM's binary statistics file
 * (KVM_GET_STATS_FD, Documentation/virt/kvm/api.rst 4.133) for the exits
 * the host kernel handles itself, and the --stats table and JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "pvhv.h"
#include "stats.h"

static const char *const names[PVHV_STAT_NR] = {
	[PVHV_STAT_RUN_EXITS] = "run_exits",
	[PVHV_STAT_IO] = "io",
	[PVHV_STAT_IO_UART] = "io_uart",
	[PVHV_STAT_IO_DEBUG_EXIT] = "io_debug_exit",
	[PVHV_STAT_IO_PVHV] = "io_pvhv",
	[PVHV_STAT_IO_OTHER] = "io_other",
	[PVHV_STAT_MMIO] = "mmio",
	[PVHV_STAT_INTR] = "intr",
	[PVHV_STAT_SHUTDOWN] = "shutdown",
	[PVHV_STAT_SYSTEM_EVENT] = "system_event",
	[PVHV_STAT_OTHER] = "other",
	[PVHV_STAT_HYPERCALLS] = "hypercalls",
	[PVHV_STAT_HC_ERRORS] = "hypercall_errors",
	[PVHV_STAT_UART_BYTES] = "uart_bytes",
	[PVHV_STAT_CONSOLE_BYTES] = "console_bytes",
	[PVHV_STAT_KVM_EXITS] = "kvm_exits",
	[PVHV_STAT_KVM_HALT_EXITS] = "kvm_halt_exits",
	[PVHV_STAT_KVM_IO_EXITS] = "kvm_io_exits",
	[PVHV_STAT_KVM_MMIO_EXITS] = "kvm_mmio_exits",
	[PVHV_STAT_KVM_IRQ_WINDOW_EXITS] = "kvm_irq_window_exits",
	[PVHV_STAT_KVM_IRQ_EXITS] = "kvm_irq_exits",
	[PVHV_STAT_KVM_SIGNAL_EXITS] = "kvm_signal_exits",
	[PVHV_STAT_KVM_INSN_EMULATION] = "kvm_insn_emulation",
	[PVHV_STAT_KVM_HALT_WAKEUP] = "kvm_halt_wakeup",
};

#define KVM_STAT_PREFIX "kvm_"

const char *stat_name(enum pvhv_stat s)
{
	return (unsigned)s < PVHV_STAT_NR && names[s] ? names[s] : "?";
}

int kstats_open(struct kstats *ks, int vcpu_fd)
{
	struct kvm_stats_header h;
	char *descs = NULL;
	int err = EINVAL;            /* a malformed file, unless a call says why */

	ks->fd = -1;
	for (int i = 0; i < PVHV_STAT_NR; i++)
		ks->off[i] = -1;
	int fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return -errno;
	ssize_t got = pread(fd, &h, sizeof(h), 0);
	if (got != sizeof(h) || h.num_desc > KSTATS_MAX_DESC || h.name_size == 0 ||
	    h.name_size > KSTATS_MAX_NAME)
		goto bad;
	size_t dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsz * h.num_desc);
	if (!descs) {
		err = errno;
		goto bad;
	}
	got = pread(fd, descs, dsz * h.num_desc, h.desc_offset);
	if (got != (ssize_t)(dsz * h.num_desc))
		goto bad;
	for (uint32_t d = 0; d < h.num_desc; d++) {
		struct kvm_stats_desc *k = (void *)(descs + d * dsz);
		k->name[h.name_size - 1] = 0;
		for (int i = PVHV_STAT_KVM_EXITS; i < PVHV_STAT_NR; i++)
			if (!strcmp(k->name, names[i] + strlen(KVM_STAT_PREFIX)) &&
			    k->size >= 1)
				ks->off[i] = (off_t)h.data_offset + k->offset;
	}
	free(descs);
	ks->fd = fd;
	return 0;
bad:
	if (got < 0)
		err = errno;
	free(descs);
	close(fd);
	return -err;
}

void kstats_read(const struct kstats *ks, struct vcpu_stats *st)
{
	if (ks->fd < 0)
		return;
	for (int i = PVHV_STAT_KVM_EXITS; i < PVHV_STAT_NR; i++) {
		uint64_t v;

		if (ks->off[i] >= 0 && pread(ks->fd, &v, sizeof(v), ks->off[i]) == sizeof(v))
			st->count[i] = v;
	}
}

void kstats_close(struct kstats *ks)
{
	if (ks->fd >= 0)
		close(ks->fd);
	ks->fd = -1;
}

void stats_sum(const struct vcpu_stats *per, int n, struct vcpu_stats *total)
{
	memset(total, 0, sizeof(*total));
	for (int v = 0; v < n; v++)
		for (int i = 0; i < PVHV_STAT_NR; i++)
			total->count[i] += per[v].count[i];
}

void stats_print_table(FILE *f, const struct vcpu_stats *per, int n,
		       bool have_kvm, double secs)
{
	struct vcpu_stats total;

	stats_sum(per, n, &total);
	fprintf(f, "pvhv: exits by reason (%d vCPU%s, %.3f s%s)\n", n, n == 1 ? "" : "s",
		secs, have_kvm ? "" : "; KVM binary stats unavailable");
	fprintf(f, "  %-22s %12s", "counter", "total");
	for (int v = 0; v < n && n > 1; v++)
		fprintf(f, "  %8s%-3d", "vcpu", v);
	fputc('\n', f);
	for (int i = 0; i < PVHV_STAT_NR; i++) {
		if (i >= PVHV_STAT_KVM_EXITS && !have_kvm)
			break;
		fprintf(f, "  %-22s %12llu", names[i], (unsigned long long)total.count[i]);
		for (int v = 0; v < n && n > 1; v++)
			fprintf(f, "  %11llu", (unsigned long long)per[v].count[i]);
		fputc('\n', f);
	}
}

static void json_counts(FILE *f, const struct vcpu_stats *s, bool have_kvm)
{
	fputc('{', f);
	for (int i = 0; i < PVHV_STAT_NR; i++) {
		if (i >= PVHV_STAT_KVM_EXITS && !have_kvm)
			break;
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", names[i],
			(unsigned long long)s->count[i]);
	}
	fputc('}', f);
}

int stats_write_json(const char *path, const struct vcpu_stats *per, int n,
		     bool have_kvm, double secs, int status)
{
	struct vcpu_stats total;
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	stats_sum(per, n, &total);
	fprintf(f, "{\n  \"vcpus\": %d,\n  \"seconds\": %.6f,\n  \"status\": %d,\n"
		"  \"kvm_stats\": %s,\n  \"total\": ", n, secs, status,
		have_kvm ? "true" : "false");
	json_counts(f, &total, have_kvm);
	fprintf(f, ",\n  \"per_vcpu\": [");
	for (int v = 0; v < n; v++) {
		fprintf(f, "%s\n    ", v ? "," : "");
		json_counts(f, &per[v], have_kvm);
	}
	fprintf(f, "\n  ]\n}\n");
	return fclose(f) ? -errno : 0;
}
