/*
 * main.c - pvhv's command line.
 *
 *   pvhv [options] KERNEL.elf
 *
 * Exit status: the guest's power-off status (0..255), or one of
 * PVHV_EXIT_* (pvhv.h): 64 usage, 65 kernel image refused (checked before
 * /dev/kvm is opened), 69 no usable /dev/kvm, 70 an ioctl failed or the guest did something unexpected
 * (reason and registers on stderr); 65 covers a refused --initrd too, 124 --timeout expired.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm.h"

#define DEFAULT_MEM_MIB   128
#define MIN_MEM_MIB       PVHV_MIN_MEM_MIB
#define MAX_MEM_MIB       ((int)PVHV_MAX_MEM_MIB)
#define MAX_TIMEOUT_S     1e6

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pvhv [options] KERNEL.elf\n"
		"Boot a PVH ELF kernel (pvk, Linux) on /dev/kvm: in-kernel irqchip and PIT,\n"
		"ACPI tables (MADT, FADT), a 16550A on COM1 (IRQ 4), an RTC, ACPI's PM timer\n"
		"and S5 power-off, reset at 0xcf9, isa-debug-exit at 0xf4, and pvhv's paravirt interface\n"
		"(docs/pvhv-abi.md). The guest's power-off status is pvhv's exit status.\n\n"
		"  --mem MiB          guest RAM (default %d, %d..%d)\n"
		"  --smp N            vCPUs, one thread each (default 1, at most %d)\n"
		"  --cmdline STR      kernel command line\n"
		"  --initrd FILE      hand the guest FILE as boot module 0 (an initramfs), at the\n"
		"                     top of RAM above the kernel; a missing, empty or too large\n"
		"                     file is refused (exit %d)\n"
		"  --timeout S        stop the guest after S seconds (exit %d)\n"
		"  --stats            print exits by reason per vCPU at the end (stderr)\n"
		"  --stats-json FILE  write the same as JSON\n"
		"  --no-kvm-pv        hide KVM's paravirt CPUID leaves\n"
		"  --no-pv            hide pvhv's own leaves and ports (KVM's stay, at 0x40000000)\n"
		"  --kvm-hypercalls=" HC_MODE_NAMES "\n"
		"                     offer KVM's hypercall features (PV_UNHALT, PV_SEND_IPI,\n"
		"                     PV_SCHED_YIELD): auto (default) probes whether the host's\n"
		"                     KVM handles VMCALL/VMMCALL (a throwaway VM, at most %d ms;\n"
		"                     PVM does not), on offers them unprobed, off hides them\n"
		"  --bad-start-info K for tests of the guest's boot checks: hand it a broken\n"
		"                     start info (K: " BAD_START_INFO_KINDS ")\n"
		"  --deprivileged     run the kernel at CPL 3 under a small ring-0 monitor, every\n"
		"                     privileged operation a hypercall (docs/pvhv-abi.md,\n"
		"                     \"Deprivileged mode\"): needs the image's PVHV note (else\n"
		"                     exit %d), one vCPU, --mem at most %u, not with --no-pv\n"
		"  --kvm-dev PATH     the KVM device (default " PVHV_KVM_DEV_DEFAULT "); the kernel\n"
		"                     image is checked before it is opened\n"
		"  --help             this text\n\n"
		"exit: guest status 0..255; %d usage, %d image or initrd refused, %d no usable KVM\ndevice, "
		"%d VM fault, %d timeout; ACPI S5 power-off %d, reset (0xcf9) %d\n",
		DEFAULT_MEM_MIB, MIN_MEM_MIB, MAX_MEM_MIB, PVHV_MAX_VCPUS, PVHV_EXIT_IMAGE,
		PVHV_EXIT_TIMEOUT,
		HC_PROBE_TIMEOUT_MS, PVHV_EXIT_IMAGE, PVHV_CPL3_MAX_MEM_MB, PVHV_EXIT_USAGE, PVHV_EXIT_IMAGE, PVHV_EXIT_NOKVM, PVHV_EXIT_FAULT,
		PVHV_EXIT_TIMEOUT, PVHV_EXIT_POWER_OFF, PVHV_EXIT_RESET);
}

static bool parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* --deprivileged's limits: one vCPU, RAM under one PUD, pvhv's ports (the
 * monitor's only way out). 0, or -1 after a message. */
static int check_deprivileged(const struct vm_config *cfg)
{
	if (!cfg->deprivileged)
		return 0;
	if (cfg->smp > 1) {
		fprintf(stderr, "pvhv: --smp %d: --deprivileged runs one vCPU\n", cfg->smp);
		return -1;
	}
	if (cfg->mem_mib > PVHV_CPL3_MAX_MEM_MB) {
		fprintf(stderr, "pvhv: --mem %llu: --deprivileged maps at most %u MiB\n",
			(unsigned long long)cfg->mem_mib, PVHV_CPL3_MAX_MEM_MB);
		return -1;
	}
	if (!cfg->pv) {
		fprintf(stderr, "pvhv: --no-pv: --deprivileged needs pvhv's ports (every "
			"hypercall of the kernel passes them)\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double t_start = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	struct vm_config cfg = {
		.cmdline = "", .kvm_dev = PVHV_KVM_DEV_DEFAULT, .mem_mib = DEFAULT_MEM_MIB, .smp = 1,
		.kvm_pv = true, .pv = true, .kvm_hypercalls = HC_MODE_AUTO,
	};
	enum { O_MEM = 256, O_SMP, O_CMDLINE, O_TIMEOUT, O_STATS, O_JSON, O_NOKVM,
	       O_NOPV, O_BAD, O_KVMDEV, O_HC, O_INITRD, O_DEPRIV, O_HELP };
	static const struct option lo[] = {
		{ "mem", 1, 0, O_MEM }, { "smp", 1, 0, O_SMP },
		{ "cmdline", 1, 0, O_CMDLINE }, { "timeout", 1, 0, O_TIMEOUT },
		{ "stats", 0, 0, O_STATS }, { "stats-json", 1, 0, O_JSON },
		{ "no-kvm-pv", 0, 0, O_NOKVM }, { "no-pv", 0, 0, O_NOPV },
		{ "bad-start-info", 1, 0, O_BAD }, { "kvm-dev", 1, 0, O_KVMDEV },
		{ "kvm-hypercalls", 1, 0, O_HC }, { "initrd", 1, 0, O_INITRD },
		{ "deprivileged", 0, 0, O_DEPRIV },
		{ "help", 0, 0, O_HELP }, { 0, 0, 0, 0 },
	};
	double v;
	int c;

	setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_MEM:
			if (!parse_num(optarg, MIN_MEM_MIB, MAX_MEM_MIB, &v) || v != (uint64_t)v) {
				fprintf(stderr, "pvhv: --mem %s: not a whole number of MiB in %d..%d\n",
					optarg, MIN_MEM_MIB, MAX_MEM_MIB);
				return PVHV_EXIT_USAGE;
			}
			cfg.mem_mib = (uint64_t)v;
			break;
		case O_SMP:
			if (!parse_num(optarg, 1, PVHV_MAX_VCPUS, &v) || v != (int)v) {
				fprintf(stderr, "pvhv: --smp %s: not a vCPU count in 1..%d\n",
					optarg, PVHV_MAX_VCPUS);
				return PVHV_EXIT_USAGE;
			}
			cfg.smp = (int)v;
			break;
		case O_CMDLINE: cfg.cmdline = optarg; break;
		case O_INITRD: cfg.initrd = optarg; break;
		case O_TIMEOUT:
			if (!parse_num(optarg, 0, MAX_TIMEOUT_S, &v) || v <= 0) {
				fprintf(stderr, "pvhv: --timeout %s: not a positive number of seconds\n",
					optarg);
				return PVHV_EXIT_USAGE;
			}
			cfg.timeout = v;
			break;
		case O_STATS: cfg.stats = true; break;
		case O_JSON: cfg.stats_json = optarg; break;
		case O_NOKVM: cfg.kvm_pv = false; break;
		case O_NOPV: cfg.pv = false; break;
		case O_DEPRIV: cfg.deprivileged = true; break;
		case O_BAD:
			if (strcmp(optarg, "no-memmap") && strcmp(optarg, "modules") &&
			    strcmp(optarg, "cmdline")) {
				fprintf(stderr, "pvhv: --bad-start-info %s: not one of %s\n",
					optarg, BAD_START_INFO_KINDS);
				return PVHV_EXIT_USAGE;
			}
			cfg.bad_start_info = optarg;
			break;
		case O_KVMDEV:
			if (!*optarg) {
				fprintf(stderr, "pvhv: --kvm-dev: an empty path\n");
				return PVHV_EXIT_USAGE;
			}
			cfg.kvm_dev = optarg;
			break;
		case O_HC:
			if (hc_mode_parse(optarg, &cfg.kvm_hypercalls)) {
				fprintf(stderr, "pvhv: --kvm-hypercalls=%s: not one of %s\n",
					optarg, HC_MODE_NAMES);
				return PVHV_EXIT_USAGE;
			}
			break;
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return PVHV_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, optind < argc ? "pvhv: one kernel image, please\n"
					      : "pvhv: no kernel image given\n");
		usage(stderr);
		return PVHV_EXIT_USAGE;
	}
	cfg.kernel = argv[optind];
	if (check_deprivileged(&cfg) < 0)
		return PVHV_EXIT_USAGE;
	return kvm_run_vm(&cfg, t_start);
}
