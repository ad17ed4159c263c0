/*
 * t_pvhv_devices.c - pvhv's port devices (vmm/ioport.c: the table and
 * isa-debug-exit, vmm/uart.c: COM1, vmm/doorbell.c: pvhv's ports), its
 * pure x86 helpers (vmm/x86.c: the CPUID table, the MSI encoding, the
 * hypercall-rewriting quirk, the page walk of the register dump) and its
 * error reports (vmm/error.c, vmm/stats.c).
 * Built into build/tests/pvhv-unit, with ASan and UBSan (vmm/vmm.mk).
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

#define MEM (1u << 20)
#define PAGE_GPA 0x8000u

static struct guest_mem gm;
static int powers, power_status;
static char out_buf[4096];
static FILE *out;
static struct uart uart;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pvhv_cpu cpu;
static struct vcpu_stats st;

static void r_power(void *c, bool reboot, int status)
{
	(void)c, (void)reboot;
	powers++, power_status = status;
}

static struct hc_env env = { .mem = &gm, .nr_vcpus = 1, .power = r_power };
static struct io_ctx ctx = { .env = &env, .pv = true, .uart = &uart, .uart_lock = &lock,
			     .cpu = &cpu, .st = &st };

static void setup(void)
{
	gm.size = MEM;
	gm.host = calloc(1, MEM);
	memset(out_buf, 0, sizeof(out_buf));
	out = fmemopen(out_buf, sizeof(out_buf), "w");
	ctx.out = out;
	memset(&uart, 0, sizeof(uart));
	memset(&st, 0, sizeof(st));
	cpu = (struct pvhv_cpu){ .index = 0, .apic_id = 0 };
	powers = 0;
	ctx.pv = true;
}

static void teardown(void)
{
	fclose(out);
	free(gm.host);
}

static uint32_t in(uint16_t port, int size)
{
	uint32_t v = 0x12345678;
	io_access(&ctx, port, false, size, &v);
	return v;
}

static void outp(uint16_t port, int size, uint32_t v)
{
	io_access(&ctx, port, true, size, &v);
}

TestSuite(pvhv_dev, .init = setup, .fini = teardown);

Test(pvhv_dev, uart_polled_transmit)
{
	outp(0x3fb, 1, 0x80);                   /* DLAB */
	outp(0x3f8, 1, 1);                      /* DLL, not a byte */
	outp(0x3fb, 1, 0x03);
	cr_assert_eq(in(0x3fd, 1) & 0x60, 0x60);
	for (const char *s = "hi\n"; *s; s++)
		outp(0x3f8, 1, (uint8_t)*s);
	fflush(out);
	cr_assert_str_eq(out_buf, "hi\n");
	cr_assert_eq(st.count[PVHV_STAT_UART_BYTES], 3);
	cr_assert_eq(st.count[PVHV_STAT_IO_UART], 7);
	outp(0x3f8, 1, 'x');                    /* buffered until a newline */
	uart_flush(&uart, out);
	fflush(out);
	cr_assert_str_eq(out_buf, "hi\nx");
}

Test(pvhv_dev, uart_long_line_flushes)
{
	for (int i = 0; i < 1000; i++)
		outp(0x3f8, 1, 'a');
	uart_flush(&uart, out);
	fflush(out);
	cr_assert_eq(strlen(out_buf), 1000);
}

Test(pvhv_dev, debug_exit_and_unknown_ports)
{
	outp(0xf4, 4, 5);
	cr_assert(powers == 1 && power_status == 5);
	outp(0xf4, 4, 0x10000);
	cr_assert(powers == 2 && power_status == PVHV_STATUS_MAX);
	cr_assert_eq(in(0x1234, 4), 0xffffffffu);
	outp(0x1234, 1, 0);
	cr_assert_eq(st.count[PVHV_STAT_IO_OTHER], 2);
}

Test(pvhv_dev, register_and_doorbell)
{
	struct pvhv_vcpu_page *p = (void *)(gm.host + PAGE_GPA);

	outp(PVHV_PORT_DOORBELL, 4, PVHV_HC_NOP);          /* no page yet: ignored */
	outp(PVHV_PORT_REGISTER, 4, MEM >> PVHV_PAGE_SHIFT);   /* just outside */
	cr_assert_eq((int32_t)in(PVHV_PORT_REGISTER, 4), -PVHV_EFAULT);
	outp(PVHV_PORT_REGISTER, 4, 0xffffffffu);
	cr_assert_eq((int32_t)in(PVHV_PORT_REGISTER, 4), -PVHV_EFAULT);
	outp(PVHV_PORT_REGISTER, 4, PAGE_GPA >> PVHV_PAGE_SHIFT);
	cr_assert_eq(in(PVHV_PORT_REGISTER, 4), 0);
	cr_assert_eq(p->magic, PVHV_PAGE_MAGIC);
	cr_assert_eq(p->abi_version, PVHV_ABI_VERSION);
	p->args[0] = 42;
	outp(PVHV_PORT_DOORBELL, 4, PVHV_HC_POWER_OFF);
	cr_assert_eq(p->ret, 0);
	cr_assert(powers == 1 && power_status == 42);
	outp(PVHV_PORT_DOORBELL, 4, 0xdead);
	cr_assert_eq(p->ret, -PVHV_ENOSYS);
	cr_assert_eq(p->calls, 2);
	outp(PVHV_PORT_DOORBELL, 1, PVHV_HC_POWER_OFF);     /* 8-bit: ignored */
	cr_assert_eq(powers, 1);
	cr_assert_eq(in(PVHV_PORT_DOORBELL, 2), 0xffffffffu);
	outp(PVHV_PORT_REGISTER, 4, PVHV_PFN_NONE);
	outp(PVHV_PORT_DOORBELL, 4, PVHV_HC_POWER_OFF);
	cr_assert_eq(powers, 1);
	cr_assert_eq(pvhv_doorbell(&env, &cpu, PVHV_HC_NOP, &st), -PVHV_EINVAL);
}

Test(pvhv_dev, page_at_the_last_frame)
{
	outp(PVHV_PORT_REGISTER, 4, (MEM - PVHV_PAGE_SIZE) >> PVHV_PAGE_SHIFT);
	cr_assert_eq(in(PVHV_PORT_REGISTER, 4), 0);
	outp(PVHV_PORT_DOORBELL, 4, PVHV_HC_NOP);
	cr_assert_eq(((struct pvhv_vcpu_page *)(gm.host + MEM - PVHV_PAGE_SIZE))->ret, 0);
}

/* ---- the port table: one lookup, each device's first and last port ---- */
static const char *owner(uint16_t port, bool pv)
{
	const struct pvhv_ioport *d = pvhv_ioport_find(port, pv);

	return d ? d->name : "none";
}

Test(pvhv_dev, port_table_edges)
{
	/* COM1 0x3f8-0x3ff, isa-debug-exit 0xf4-0xf7, pvhv 0x5650-0x5657 */
	cr_assert_str_eq(owner(0x3f7, true), "none");
	cr_assert_str_eq(owner(0x3f8, true), "uart");
	cr_assert_str_eq(owner(0x3ff, true), "uart");
	cr_assert_str_eq(owner(0x400, true), "none");
	cr_assert_str_eq(owner(0xf3, true), "none");
	cr_assert_str_eq(owner(0xf4, true), "debug-exit");
	cr_assert_str_eq(owner(0xf7, true), "debug-exit");
	cr_assert_str_eq(owner(0xf8, true), "none");
	cr_assert_str_eq(owner(0x564f, true), "none");
	cr_assert_str_eq(owner(0x5650, true), "pvhv");
	cr_assert_str_eq(owner(0x5657, true), "pvhv");
	cr_assert_str_eq(owner(0x5658, true), "none");
	cr_assert_str_eq(owner(0, true), "none");
	cr_assert_str_eq(owner(0xffff, true), "none");
	/* --no-pv: pvhv's ports are nobody's, the others stay */
	cr_assert_str_eq(owner(0x5650, false), "none");
	cr_assert_str_eq(owner(0x5657, false), "none");
	cr_assert_str_eq(owner(0x3f8, false), "uart");
	cr_assert_str_eq(owner(0xf7, false), "debug-exit");
}

Test(pvhv_dev, port_table_counts_by_device)
{
	in(0x3ff, 1);                            /* uart's last: its SCR */
	outp(0xf7, 1, 9);                        /* debug-exit's last */
	cr_assert(powers == 1 && power_status == 9);
	cr_assert_eq(in(0x5657, 4), 0xffffffffu); /* pvhv's last: no register */
	cr_assert_eq(in(0x3f7, 1), 0xffffffffu);  /* just below COM1 */
	cr_assert_eq(st.count[PVHV_STAT_IO], 4);
	cr_assert_eq(st.count[PVHV_STAT_IO_UART], 1);
	cr_assert_eq(st.count[PVHV_STAT_IO_DEBUG_EXIT], 1);
	cr_assert_eq(st.count[PVHV_STAT_IO_PVHV], 1);
	cr_assert_eq(st.count[PVHV_STAT_IO_OTHER], 1);
}

Test(pvhv_dev, hidden_interface)
{
	ctx.pv = false;
	outp(PVHV_PORT_REGISTER, 4, PAGE_GPA >> PVHV_PAGE_SHIFT);
	cr_assert_eq(in(PVHV_PORT_REGISTER, 4), 0xffffffffu);
	cr_assert_eq(((struct pvhv_vcpu_page *)(gm.host + PAGE_GPA))->magic, 0);
}

/* ---- CPUID ---- */
static const struct kvm_cpuid_entry2 kvm_in[] = {
	{ .function = 0, .eax = 0xd },
	{ .function = 1, .ebx = 0x00010800, .ecx = 0 },
	{ .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
	{ .function = 0xb, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
	{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b },
	{ .function = 0x40000001, .eax = 0x01007efb },
	{ .function = 0x80000000, .eax = 0x80000008 },
};
#define N_IN ((int)(sizeof(kvm_in) / sizeof(kvm_in[0])))

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid_entry2 *e, int n,
					   uint32_t fn, uint32_t idx)
{
	for (int i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == idx)
			return &e[i];
	return NULL;
}

Test(pvhv_dev, cpuid_both_interfaces)
{
	struct kvm_cpuid_entry2 out[32];
	int n = cpuid_build(kvm_in, N_IN, out, 32, 3, 2500000, true, true,
			    (1u << 7) | (1u << 11) | (1u << 13));
	const struct kvm_cpuid_entry2 *e;

	cr_assert_gt(n, 0);
	e = find(out, n, 1, 0);
	cr_assert_eq(e->ebx >> 24, 3);
	cr_assert_eq(e->ebx & 0xffffff, 0x010800);
	cr_assert(e->ecx & (1u << 31));
	cr_assert_eq(find(out, n, 0xb, 0)->edx, 3);
	cr_assert_eq(find(out, n, 0xb, 1)->edx, 3);
	e = find(out, n, PVHV_CPUID_BASE, 0);
	cr_assert_eq(memcmp(&e->ebx, "PVHV", 4), 0);
	cr_assert_eq(memcmp(&e->ecx, "PVHV", 4), 0);
	cr_assert_eq(memcmp(&e->edx, "PVHV", 4), 0);
	cr_assert_eq(e->eax, PVHV_CPUID_MAX);
	cr_assert_eq(find(out, n, PVHV_CPUID_FEATURES, 0)->ecx, PVHV_PORT_BASE);
	cr_assert_eq(find(out, n, PVHV_CPUID_TIMING, 0)->eax, 2500000);
	e = find(out, n, PVHV_CPUID_KVM_BASE, 0);
	cr_assert_eq(e->ebx, 0x4b4d564b);
	cr_assert_eq(e->eax, PVHV_CPUID_KVM_BASE + 0x10);
	e = find(out, n, PVHV_CPUID_KVM_BASE + 1, 0);
	cr_assert_eq(e->eax & ((1u << 7) | (1u << 11) | (1u << 13)), 0);
	cr_assert_eq(e->eax, 0x01007efbu & ~((1u << 7) | (1u << 11) | (1u << 13)));
	cr_assert_eq(find(out, n, PVHV_CPUID_KVM_BASE + 0x10, 0)->eax, 2500000);
	cr_assert_eq(find(out, n, 0, 0)->eax, 0x15);
	e = find(out, n, 0x15, 0);
	cr_assert_eq((uint64_t)e->ecx * e->ebx / e->eax / 1000, 2500000);
	cr_assert_not_null(find(out, n, 0x80000000, 0));
}

Test(pvhv_dev, cpuid_switches)
{
	struct kvm_cpuid_entry2 out[32];
	int n = cpuid_build(kvm_in, N_IN, out, 32, 0, 1000, true, false, 0);

	cr_assert_eq(find(out, n, 0x40000000, 0)->ebx, 0x4b4d564b);   /* KVM stays */
	cr_assert_null(find(out, n, PVHV_CPUID_KVM_BASE, 0));
	n = cpuid_build(kvm_in, N_IN, out, 32, 0, 1000, false, true, 0);
	cr_assert_null(find(out, n, PVHV_CPUID_KVM_BASE, 0));
	cr_assert_eq(memcmp(&find(out, n, PVHV_CPUID_BASE, 0)->ebx, "PVHV", 4), 0);
	n = cpuid_build(kvm_in, N_IN, out, 32, 0, 1000, false, false, 0);
	for (int i = 0; i < n; i++)
		cr_assert(out[i].function < 0x40000000 || out[i].function > 0x4fffffff);
	cr_assert_eq(cpuid_build(kvm_in, N_IN, out, 4, 0, 1000, true, true, 0), -1);
}

/* ---- an interrupt as an MSI (KICK, SEND_IPI) ---- */
Test(pvhv_dev, msi_encoding)
{
	struct kvm_msi msi;

	kvm__arch_msi(&msi, 3, 0x40);
	cr_assert_eq(msi.address_lo, 0xfee03000u);
	cr_assert_eq(msi.address_hi, 0);
	cr_assert_eq(msi.data, 0x40);
	kvm__arch_msi(&msi, 0, 255);
	cr_assert_eq(msi.address_lo, 0xfee00000u);
	cr_assert_eq(msi.data, 255);
	kvm__arch_msi(&msi, 63, 16);
	cr_assert_eq(msi.address_lo, 0xfee3f000u);
}

/* ---- failed calls are reported with errno's number and text ---- */
Test(pvhv_dev, error_report_names_the_call, .init = cr_redirect_stderr)
{
	cr_assert_eq(pvhv_err_num("ioctl KVM_FOO", 22), -1);
	fflush(stderr);
	cr_assert_stderr_eq_str("pvhv: ioctl KVM_FOO failed: errno 22 (Invalid argument)\n");
}

Test(pvhv_dev, kvm_stats_keep_errno)
{
	struct kstats ks;
	int fd = open("/dev/null", O_RDONLY);

	cr_assert_eq(kstats_open(&ks, -1), -9);          /* EBADF, not EINVAL */
	cr_assert_eq(ks.fd, -1);
	cr_assert_geq(fd, 0);
	cr_assert_eq(kstats_open(&ks, fd), -25);         /* ENOTTY: not a vCPU */
	close(fd);
	kstats_close(&ks);
}

/* ---- KVM's rewriting of vmcall/vmmcall (KVM_X86_QUIRK_FIX_HYPERCALL_INSN) ---- */
Test(pvhv_dev, hypercall_quirk_constants_are_linux_uapi)
{
	/* include/uapi/linux/kvm.h, arch/x86/include/uapi/asm/kvm.h */
	cr_assert_eq(KVM_CAP_DISABLE_QUIRKS2, 213);
	cr_assert_eq(KVM_X86_QUIRK_FIX_HYPERCALL_INSN, 0x20);
}

Test(pvhv_dev, hypercall_quirk_disabled_when_offered)
{
	char note[160];

	cr_assert_eq(hypercall_quirk_mask(0x7f, note, sizeof(note)), 0x20);
	cr_assert(strstr(note, "disabled"), "%s", note);
	cr_assert_eq(hypercall_quirk_mask(0x20, note, sizeof(note)), 0x20);
	/* only that quirk: the others keep KVM's default behaviour */
	cr_assert_eq(hypercall_quirk_mask(0x1ff, note, sizeof(note)), 0x20);
}

Test(pvhv_dev, hypercall_quirk_left_on_quietly_when_not_offered)
{
	char note[160];

	cr_assert_eq(hypercall_quirk_mask(0, note, sizeof(note)), 0);
	cr_assert(strstr(note, "does not offer KVM_CAP_DISABLE_QUIRKS2"), "%s", note);
	cr_assert_eq(hypercall_quirk_mask(-1, note, sizeof(note)), 0);   /* ioctl failed */
	cr_assert(strstr(note, "does not offer"), "%s", note);
	cr_assert_eq(hypercall_quirk_mask(0x1f, note, sizeof(note)), 0);  /* older host */
	cr_assert(strstr(note, "mask 0x1f lacks KVM_X86_QUIRK_FIX_HYPERCALL_INSN (0x20)"),
		  "%s", note);
	char tiny[8];
	cr_assert_eq(hypercall_quirk_mask(0x1f, tiny, sizeof(tiny)), 0);  /* truncates */
	cr_assert_eq(strlen(tiny), 7);
}

/* ---- the page walk of the register dump ---- */
Test(pvhv_dev, page_walk)
{
	uint64_t gpa, *t;
	const uint64_t cr0_pg = 1ull << 31 | 1, cr4_pae = 1 << 5, efer_lma = 1 << 10;

	cr_assert_eq(gva_to_gpa(&gm, 1, 0, 0, 0, 0x1234, &gpa), 0);
	cr_assert_eq(gpa, 0x1234);
	cr_assert_eq(gva_to_gpa(&gm, 1, 0, 0, 0, MEM, &gpa), -1);
	/* pml4 at 0x10000 -> pdpt 0x11000 -> pd 0x12000 with a 2 MiB page at 0 */
	t = (uint64_t *)(gm.host + 0x10000);
	t[511] = 0x11000 | 1;
	t = (uint64_t *)(gm.host + 0x11000);
	t[510] = 0x12000 | 1;
	t = (uint64_t *)(gm.host + 0x12000);
	t[0] = 0 | 1 | 0x80;
	t[1] = 0x13000 | 1;                       /* a 4 KiB table */
	t = (uint64_t *)(gm.host + 0x13000);
	t[2] = 0x5000 | 1;
	t[3] = 0x7ffff000ull | 1;                 /* outside RAM */
	cr_assert_eq(gva_to_gpa(&gm, cr0_pg, 0x10000, cr4_pae, efer_lma,
				0xffffffff80012345ull, &gpa), 0);
	cr_assert_eq(gpa, 0x12345);
	cr_assert_eq(gva_to_gpa(&gm, cr0_pg, 0x10000, cr4_pae, efer_lma,
				0xffffffff80202abcull, &gpa), 0);
	cr_assert_eq(gpa, 0x5abc);
	cr_assert_eq(gva_to_gpa(&gm, cr0_pg, 0x10000, cr4_pae, efer_lma,
				0xffffffff80203000ull, &gpa), -1);
	cr_assert_eq(gva_to_gpa(&gm, cr0_pg, 0x10000, cr4_pae, efer_lma, 0x1000, &gpa), -1);
	cr_assert_eq(gva_to_gpa(&gm, cr0_pg, 0xfffff000, cr4_pae, efer_lma, 0, &gpa), -1);
	cr_assert_eq(gva_to_gpa(&gm, cr0_pg, 0x10000, 0, 0, 0, &gpa), -1);
}
/* ---- the --stats outputs ---- */
Test(pvhv_dev, stats_outputs)
{
	struct vcpu_stats per[2] = { { { 0 } }, { { 0 } } };
	char path[] = "/tmp/pvhv-stats-XXXXXX", text[8192] = { 0 };
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	per[0].count[PVHV_STAT_RUN_EXITS] = 5;
	per[1].count[PVHV_STAT_RUN_EXITS] = 7;
	per[1].count[PVHV_STAT_KVM_EXITS] = 11;
	cr_assert_eq(stats_write_json(path, per, 2, true, 0.5, 3), 0);
	FILE *f = fopen(path, "r");
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	unlink(path);
	cr_assert_gt(n, 0);
	cr_assert(strstr(text, "\"total\": {\"run_exits\": 12,"), "%s", text);
	cr_assert(strstr(text, "\"kvm_exits\": 11"));
	cr_assert(strstr(text, "\"status\": 3"));
	cr_assert(strstr(text, "\"per_vcpu\""));
	cr_assert_lt(stats_write_json("/nonexistent/dir/x.json", per, 2, true, 0, 0), 0);
	for (int i = 0; i < PVHV_STAT_NR; i++)
		cr_assert_neq(strcmp(stat_name(i), "?"), 0, "counter %d has no name", i);
	cr_assert_str_eq(stat_name(PVHV_STAT_NR), "?");
	memset(out_buf, 0, sizeof(out_buf));
	stats_print_table(out, per, 2, false, 0.5);
	fflush(out);
	cr_assert(strstr(out_buf, "run_exits"));
	cr_assert_null(strstr(out_buf, "kvm_exits"), "KVM rows without KVM stats");
}

/* The GSI routing: ISA IRQ 0 (the PIT) reaches IO-APIC pin 2, where the
 * MADT's override says it is; every other ISA IRQ its own pin; the 8259s
 * get 0-15 but the cascade; no GSI routed twice to one chip. */
Test(pvhv_dev, gsi_routing_matches_the_madt)
{
	struct kvm_irq_routing_entry e[GSI_ROUTES + 1];
	int pic[16] = { 0 }, ioapic[KVM_IOAPIC_NUM_PINS] = { 0 }, pin_of[KVM_IOAPIC_NUM_PINS];

	cr_assert_eq(gsi_routes_build(e, GSI_ROUTES - 1), -1);
	int n = gsi_routes_build(e, GSI_ROUTES + 1);
	cr_assert_eq(n, GSI_ROUTES);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(e[i].type, KVM_IRQ_ROUTING_IRQCHIP);
		if (e[i].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			cr_assert_lt(e[i].gsi, KVM_IOAPIC_NUM_PINS);
			ioapic[e[i].gsi]++;
			pin_of[e[i].gsi] = (int)e[i].u.irqchip.pin;
		} else {
			cr_assert_lt(e[i].gsi, 16);
			cr_assert_eq(e[i].u.irqchip.irqchip, e[i].gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
									   : KVM_IRQCHIP_PIC_SLAVE);
			cr_assert_eq(e[i].u.irqchip.pin, e[i].gsi % 8);
			pic[e[i].gsi]++;
		}
	}
	cr_assert_eq(ioapic[0], 1);
	cr_assert_eq(pin_of[0], 2, "the PIT on IO-APIC pin 2");
	cr_assert_eq(ioapic[2], 0, "nothing raises GSI 2");
	cr_assert_eq(pic[2], 0, "the cascade");
	for (int g = 1; g < KVM_IOAPIC_NUM_PINS; g++)
		if (g != 2)
			cr_assert(ioapic[g] == 1 && pin_of[g] == g, "GSI %d", g);
	cr_assert(ioapic[4] == 1 && pic[4] == 1, "the UART's IRQ 4 on both chips");
}
