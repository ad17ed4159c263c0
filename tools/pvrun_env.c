/*
 * pvrun_env.c - the environments pvk boots in: one table says what each
 * is, what the machine must have for it, which platform pvk must choose
 * there, and how it starts. The usage text, --list-envs (which the boot
 * matrix reads) and the command line of every boot come from it.
 */
#define _GNU_SOURCE
#include <string.h>

#include "pvrun.h"

/* QEMU's arguments every QEMU environment shares (the CPU count,
 * -smp N, is added by env_argv from --smp): serial on
 * stdout, and isa-debug-exit, through which pvk powers off with a status
 * (QEMU then exits with (status << 1) | 1). */
static const char *const qemu_common[] = {
	"-m", "128", "-display", "none", "-monitor", "none",
	"-serial", "stdio", "-no-reboot",
	"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", NULL,
};

static const char *const m_native[] = { "-M", "pc", "-accel", "tcg", "-cpu", "max,-hypervisor", NULL };
static const char *const m_tcg[] = { "-M", "pc", "-accel", "tcg", NULL };
/* On this machine's own /dev/kvm (PVM) VMCALL/VMMCALL never return, so
 * KVM's hypercall features are hidden; in the nested L1 (real SVM) they
 * work and are all offered. -M microvm: pc's SeaBIOS costs 3.7 s there. */
static const char *const m_kvm[] = {
	"-M", "microvm", "-accel", "kvm", "-cpu",
	"host,-arch-capabilities,-kvm-pv-unhalt,-kvm-pv-ipi,-kvm-pv-sched-yield", NULL,
};
static const char *const m_kvm_l1[] = {
	"-M", "microvm", "-accel", "kvm", "-cpu", "host,-arch-capabilities", NULL,
};

const struct env envs[] = {
	{ "native", "native", "QEMU TCG, -cpu max,-hypervisor (a bare machine)",
	  NEED_QEMU, m_native, NULL },
	{ "tcg", "native", "QEMU TCG, default CPU (hypervisor TCGTCGTCGTCG)",
	  NEED_QEMU, m_tcg, NULL },
	{ "iso", "native", "GRUB rescue ISO (Multiboot2, BIOS), QEMU TCG",
	  NEED_QEMU | NEED_ISO, m_native, NULL },
	{ "kvm", "kvm", "QEMU -accel kvm -M microvm on this machine's /dev/kvm",
	  NEED_QEMU | NEED_KVM, m_kvm, m_kvm_l1 },
	{ "pvhv", "pvhv", "build/pvhv on this machine's /dev/kvm, no QEMU",
	  NEED_KVM | NEED_PVHV, NULL, NULL },
	{ "nested-pvhv", "pvhv", "pvhv inside L1, Debian's Linux with kvm_amd under "
	  "QEMU TCG's emulated SVM", NEED_QEMU | NEED_L1, NULL, NULL },
	{ "nested-kvm", "kvm", "QEMU -accel kvm -M microvm inside L1, every KVM "
	  "feature offered", NEED_QEMU | NEED_L1, NULL, NULL },
};
const size_t n_envs = sizeof(envs) / sizeof(envs[0]);

const struct env *env_find(const char *name)
{
	for (size_t i = 0; name && i < n_envs; i++)
		if (!strcmp(envs[i].name, name))
			return &envs[i];
	return NULL;
}

void env_list(FILE *f, const char *indent)
{
	for (size_t i = 0; i < n_envs; i++)
		fprintf(f, "%s%-12s %-7s %s\n", indent, envs[i].name, envs[i].platform,
			envs[i].what);
}

static int append(const char **args, int na, int max, const char *const *more)
{
	for (; *more && na < max - 1; more++)
		args[na++] = *more;
	args[na] = NULL;
	return na;
}

int env_argv(const struct env *e, const struct opts *o, const char *iso, bool in_l1,
	     const char **args, int max)
{
	int na = 0;

	if (e->needs & NEED_PVHV) {
		/* pvhv [--pvhv-arg...] --cmdline STR KERNEL: no QEMU */
		args[na++] = o->pvhv;
		if (o->smp > 1) {             /* pvhv's default is one vCPU */
			args[na++] = "--smp";
			args[na++] = o->smp_arg;
		}
		for (int i = 0; i < o->n_pvhv_args && na < max - 4; i++)
			args[na++] = o->pvhv_args[i];
		args[na++] = "--cmdline";
		args[na++] = o->cmdline;
		args[na++] = o->kernel;
		args[na] = NULL;
		return na;
	}
	args[na++] = QEMU;
	na = append(args, na, max, in_l1 && e->machine_l1 ? e->machine_l1 : e->machine);
	if (e->needs & NEED_ISO) {
		const char *boot[] = { "-cdrom", iso, "-boot", "d", NULL };
		na = append(args, na, max, boot);
	} else {
		const char *boot[] = { "-kernel", o->kernel, "-append", o->cmdline, NULL };
		na = append(args, na, max, boot);
	}
	const char *smp[] = { "-smp", o->smp_arg, NULL };
	na = append(args, na, max, smp);
	return append(args, na, max, qemu_common);
}
