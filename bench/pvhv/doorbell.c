/*
 * doorbell.c - what a hypercall doorbell costs on this host, from ring 0.
 *
 *   build/pvhv-doorbell [N]
 *
 * A tiny real-mode guest (ring 0: on this host's PVM every ring-0
 * instruction is emulated, as pvk's are) rings one kind of doorbell in a
 * two-instruction loop; the host handles each exit with nothing but
 * "resume" and timestamps every return of KVM_RUN. The interval between
 * two returns is one full round trip: guest instructions, the exit, the
 * VMM, re-entry. Printed: median and 10th/90th percentile of N intervals
 * for each mechanism:
 *   pio      OUT %eax,(%dx) to a port no device claims: KVM_EXIT_IO
 *   mmio     MOV %eax,(%bx) to guest-physical memory with no memslot:
 *            KVM_EXIT_MMIO (KVM decodes the instruction)
 *   msr      WRMSR of an index denied by KVM_X86_SET_MSR_FILTER, with
 *            KVM_CAP_X86_USER_SPACE_MSR: KVM_EXIT_X86_WRMSR
 *   pio+regs the port doorbell, plus what passing arguments in registers
 *            costs the VMM: KVM_GET_REGS and KVM_SET_REGS on every exit
 * The mechanisms run in interleaved rounds (rotating order) so that any
 * drift of the host hits all of them alike.
 * (VMCALL/VMMCALL never return on this host: not measured.) Results go
 * to stdout as a Markdown table; docs/pvhv-abi.md quotes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE     0x10000          /* 64 KiB of RAM at 0 */
#define CODE_GPA     0x1000
#define MMIO_SEG     0x2000           /* ds:0 = 0x20000: no memslot there */
#define DOOR_PORT    0x5654
#define DOOR_MSR     0x50564800u      /* an index nothing else uses */
#define WARMUP       200
#define DEFAULT_N    20000
#define ROUNDS       20

enum mech { PIO, MMIO, MSR, PIO_REGS, NR_MECH };
static const char *const mech_name[NR_MECH] = { "pio", "mmio", "msr", "pio+regs" };
static const char *const mech_what[NR_MECH] = {
	"port I/O doorbell (OUT to a free port), KVM_EXIT_IO",
	"MMIO doorbell (store to an unbacked page), KVM_EXIT_MMIO",
	"user-space MSR (WRMSR, MSR filter), KVM_EXIT_X86_WRMSR",
	"port I/O, arguments in registers: + KVM_GET_REGS, KVM_SET_REGS per call",
};

struct guest {
	enum mech m;
	int vm, cpu;
	struct kvm_run *run;
	uint8_t *mem;
	double *d;                       /* intervals, us */
	int nd;
};

/* mov $port,%dx; 1: out %eax,(%dx); jmp 1b */
static const uint8_t code_pio[] = { 0xba, DOOR_PORT & 0xff, DOOR_PORT >> 8, 0x66, 0xef, 0xeb, 0xfc };
/* xor %bx,%bx; 1: mov %eax,(%bx); jmp 1b */
static const uint8_t code_mmio[] = { 0x31, 0xdb, 0x66, 0x89, 0x07, 0xeb, 0xfb };
/* mov $msr,%ecx; 1: wrmsr; jmp 1b */
static const uint8_t code_msr[] = { 0x66, 0xb9, DOOR_MSR & 0xff, (DOOR_MSR >> 8) & 0xff,
				    (DOOR_MSR >> 16) & 0xff, DOOR_MSR >> 24, 0x0f, 0x30, 0xeb, 0xfc };

static void die(const char *what)
{
	fprintf(stderr, "pvhv-doorbell: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void setup(int kvm, struct guest *g, enum mech m, int n)
{
	g->m = m;
	g->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (g->vm < 0)
		die("KVM_CREATE_VM");
	g->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED)
		die("mmap");
	const uint8_t *code = m == MMIO ? code_mmio : m == MSR ? code_msr : code_pio;
	size_t clen = m == MMIO ? sizeof(code_mmio) : m == MSR ? sizeof(code_msr) : sizeof(code_pio);
	memcpy(g->mem + CODE_GPA, code, clen);
	struct kvm_userspace_memory_region r = { .slot = 0, .memory_size = MEM_SIZE,
						 .userspace_addr = (uintptr_t)g->mem };
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	if (m == MSR) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR,
					      .args = { KVM_MSR_EXIT_REASON_FILTER } };
		static uint8_t deny[1];          /* bit 0 clear: DOOR_MSR denied */
		struct kvm_msr_filter f = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };
		f.ranges[0] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = 1, .base = DOOR_MSR, .bitmap = deny };
		if (ioctl(g->vm, KVM_ENABLE_CAP, &cap) < 0)
			die("KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR)");
		if (ioctl(g->vm, KVM_X86_SET_MSR_FILTER, &f) < 0)
			die("KVM_X86_SET_MSR_FILTER");
	}
	g->cpu = ioctl(g->vm, KVM_CREATE_VCPU, 0);
	if (g->cpu < 0)
		die("KVM_CREATE_VCPU");
	int rs = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	g->run = mmap(NULL, rs, PROT_READ | PROT_WRITE, MAP_SHARED, g->cpu, 0);
	if (g->run == MAP_FAILED)
		die("mmap kvm_run");
	struct kvm_sregs s;
	if (ioctl(g->cpu, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS");
	s.cs.base = 0, s.cs.selector = 0;
	s.ds.base = (uint64_t)MMIO_SEG << 4, s.ds.selector = MMIO_SEG;
	if (ioctl(g->cpu, KVM_SET_SREGS, &s) < 0)
		die("KVM_SET_SREGS");
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2 };
	if (ioctl(g->cpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");
	g->d = malloc(sizeof(double) * n);
	if (!g->d)
		die("malloc");
	g->nd = 0;
}

/* `count` round trips (after `warm` unrecorded ones), intervals into g->d. */
static void burst(struct guest *g, int warm, int count)
{
	const unsigned want = g->m == MMIO ? KVM_EXIT_MMIO : g->m == MSR ? KVM_EXIT_X86_WRMSR
					   : KVM_EXIT_IO;
	double prev = 0;

	for (int i = 0; i < warm + count + 1; i++) {
		if (ioctl(g->cpu, KVM_RUN, 0) < 0)
			die("KVM_RUN");
		double t = now_us();
		if (g->run->exit_reason != want) {
			fprintf(stderr, "pvhv-doorbell: %s: unexpected exit %u\n", mech_name[g->m],
				g->run->exit_reason);
			exit(1);
		}
		if (g->m == MSR)
			g->run->msr.error = 0;
		if (g->m == PIO_REGS) {          /* what register arguments would cost */
			struct kvm_regs regs;
			if (ioctl(g->cpu, KVM_GET_REGS, &regs) < 0)
				die("KVM_GET_REGS");
			regs.rax = 0;            /* "the result" */
			if (ioctl(g->cpu, KVM_SET_REGS, &regs) < 0)
				die("KVM_SET_REGS");
		}
		if (i > warm)
			g->d[g->nd++] = t - prev;
		prev = t;
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : DEFAULT_N;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	struct guest g[NR_MECH];

	if (n < ROUNDS)
		n = ROUNDS;
	n -= n % ROUNDS;
	if (kvm < 0)
		die("open /dev/kvm");
	for (int m = 0; m < NR_MECH; m++) {
		setup(kvm, &g[m], m, n);
		burst(&g[m], WARMUP, 0);
	}
	/* interleaved rounds, rotating the order: drift hits all alike */
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < NR_MECH; k++)
			burst(&g[(r + k) % NR_MECH], 0, n / ROUNDS);
	printf("| mechanism | what | median us | p10 us | p90 us |\n| --- | --- | ---: | ---: | ---: |\n");
	for (int m = 0; m < NR_MECH; m++) {
		qsort(g[m].d, g[m].nd, sizeof(double), cmp);
		printf("| %s | %s | %.2f | %.2f | %.2f |\n", mech_name[m], mech_what[m],
		       g[m].d[g[m].nd / 2], g[m].d[g[m].nd / 10], g[m].d[g[m].nd - 1 - g[m].nd / 10]);
	}
	printf("\n%d round trips each in %d interleaved rounds (after %d warm-up), ring-0 "
	       "real-mode guest, a 2-instruction loop.\n", n, ROUNDS, WARMUP);
	return 0;
}
