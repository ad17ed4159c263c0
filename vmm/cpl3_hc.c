/*
 * cpl3_hc.c - the deprivileged mode at run time (abi/pvhv_cpl3.h,
 * docs/pvhv-abi.md "Deprivileged mode"): hypercalls 9..16, what pvhv
 * tells the monitor after each call (the write list it replays, a flush,
 * a cr3 to load), the rules for guest buffers pvhv touches on the
 * kernel's behalf, and the monitor's fatal report.
 *
 * Pure over guest memory: MSRs and the LAPIC timer are reached through
 * struct hc_env's hooks (kvm-cpl3.c on KVM, recorders in the tests), and
 * every page-table change through the validator (cpl3_mm.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <abi/x86.h>

#include "cpl3.h"
#include "cpl3_region.h"

#define GATE_BYTES        16             /* an IDT gate in long mode: */
#define GATE_OFF_LOW      0              /*   offset 15:0 */
#define GATE_ATTR         5              /*   type, DPL, P */
#define GATE_OFF_MID      6              /*   offset 31:16 */
#define GATE_OFF_HIGH     8              /*   offset 63:32 */
#define GATE_PRESENT      0x80u          /* GATE_ATTR bit 7 */
#define NR_VECTORS        256
#define SELECTOR_LIMIT    0x10000u
#define CANONICAL_BITS    48
#define NSEC_PER_SEC      1000000000ull

_Static_assert(MON_MAX_WRITES * sizeof(struct cpl3_write) <= MON_STACK - MON_WRITES,
	       "the write list fits its page of the monitor region");
_Static_assert(NR_VECTORS * sizeof(uint64_t) <= MON_WRITES - MON_TRAPS,
	       "the trap table fits its page of the monitor region");

/* The monitor region's u64 at offset `off` (always in RAM: cpl3_init). */
static uint64_t *mon_u64(const struct cpl3_vm *cm, uint64_t off)
{
	return gm_ptr(cm->mm.gm, cm->lay.region_gpa + off, sizeof(uint64_t));
}

int cpl3_init(struct cpl3_vm *cm, struct guest_mem *gm, const struct cpl3_layout *l,
	      uint64_t monitor_pml4e)
{
	memset(cm, 0, sizeof(*cm));
	cm->lay = *l;
	if (!gm_ptr(gm, l->region_gpa, MON_SIZE))
		return -EFAULT;
	return cpl3_mm_init(&cm->mm, gm, l->region_gpa >> PVHV_PAGE_SHIFT,
			    (l->region_gpa + MON_SIZE) >> PVHV_PAGE_SHIFT, monitor_pml4e,
			    cm->writes, MON_MAX_WRITES);
}

void cpl3_free(struct cpl3_vm *cm)
{
	cpl3_mm_free(&cm->mm);
}

void cpl3_hc_begin(struct cpl3_vm *cm)
{
	cpl3_mm_begin(&cm->mm);
	cm->load_cr3 = false;
}

void cpl3_hc_end(struct cpl3_vm *cm)
{
	uint32_t n = cm->mm.nr_writes;
	uint64_t flags = (cm->mm.flush ? MON_F_FLUSH : 0) | (cm->load_cr3 ? MON_F_LOAD_CR3 : 0);
	void *list = gm_ptr(cm->mm.gm, cm->lay.region_gpa + MON_WRITES,
			    MON_MAX_WRITES * sizeof(struct cpl3_write));

	if (n > MON_MAX_WRITES)
		abort();                 /* the validator's bound: cpl3_init gave it */
	memcpy(list, cm->writes, n * sizeof(struct cpl3_write));
	*mon_u64(cm, MON_DATA + MOND_NR_WRITES) = n;
	if (cm->load_cr3)
		*mon_u64(cm, MON_DATA + MOND_NEW_CR3) = cm->mm.cr3 << PVHV_PAGE_SHIFT;
	*mon_u64(cm, MON_DATA + MOND_FLAGS) = flags;
	cm->replayed += n;
}

int cpl3_guest_span(struct cpl3_vm *cm, uint64_t gpa, uint64_t len, bool write, void **p)
{
	uint64_t resv = cm->lay.region_gpa;

	*p = gm_ptr(cm->mm.gm, gpa, len);
	if (!*p)
		return -PVHV_EFAULT;
	if (len && gpa < resv + MON_SIZE && resv < gpa + len)
		return -PVHV_EPERM;
	if (write && !cpl3_mm_may_write(&cm->mm, gpa, len))
		return -PVHV_EPERM;           /* a pinned table: the validator's */
	return 0;
}

void cpl3_page_registered(struct cpl3_vm *cm, uint64_t gpa)
{
	cm->page_gpa = gpa;
	*mon_u64(cm, MON_DATA + MOND_PAGE_GPA) = gpa;
}

bool cpl3_canonical(uint64_t va)
{
	int64_t s = (int64_t)(va << (64 - CANONICAL_BITS)) >> (64 - CANONICAL_BITS);

	return (uint64_t)s == va;
}

int cpl3_msr_allowed(uint64_t msr, bool write)
{
	switch (msr) {
	case CPL3_MSR_FS_BASE:
	case CPL3_MSR_GS_BASE:
	case CPL3_MSR_KERNEL_GS:
		return 0;
	case CPL3_MSR_TSC:
	case CPL3_MSR_APIC_BASE:
	case CPL3_MSR_EFER:
		return write ? -PVHV_EPERM : 0;
	default:
		return -PVHV_EPERM;
	}
}

bool cpl3_irq_vector_ok(uint64_t v)
{
	return v >= CPL3_VECTOR_FIRST_IRQ && v <= PVHV_VECTOR_MAX &&
	       (v < PVHV_CPL3_VEC_HCALL || v > PVHV_CPL3_VEC_FLUSH) &&
	       v != MON_SPURIOUS_VECTOR;     /* its stub sends no EOI */
}

int cpl3_timer_regs(uint64_t vector, uint64_t period_ns, struct cpl3_timer *t)
{
	const uint64_t ticks_per_ns = CPL3_APIC_BUS_HZ / NSEC_PER_SEC;
	uint64_t ticks;

	if (!cpl3_irq_vector_ok(vector))
		return -PVHV_EINVAL;
	if (period_ns == 0) {
		*t = (struct cpl3_timer){ .lvt = CPL3_LVT_MASKED | (uint32_t)vector,
					  .dcr = CPL3_DCR_DIV1, .icr = 0 };
		return 0;
	}
	if (period_ns < CPL3_TIMER_MIN_NS ||
	    __builtin_mul_overflow(period_ns, ticks_per_ns, &ticks) || ticks > UINT32_MAX)
		return -PVHV_EINVAL;
	*t = (struct cpl3_timer){ .lvt = CPL3_LVT_PERIODIC | (uint32_t)vector,
				  .dcr = CPL3_DCR_DIV1, .icr = (uint32_t)ticks };
	return 0;
}

void cpl3_timer_apply(uint8_t regs[CPL3_LAPIC_BYTES], const struct cpl3_timer *t)
{
	memcpy(regs + CPL3_APIC_LVT_TIMER, &t->lvt, sizeof(t->lvt));
	memcpy(regs + CPL3_APIC_TIMER_DCR, &t->dcr, sizeof(t->dcr));
	memcpy(regs + CPL3_APIC_TIMER_ICR, &t->icr, sizeof(t->icr));
}

/* ---- the hypercalls ------------------------------------------------------ */

/* (frame, level 1..4): the registered vCPU page never becomes a table
 * (pvhv writes each call's result there). */
static int64_t hc_pin(struct cpl3_vm *cm, const uint64_t *a)
{
	if (a[1] < 1 || a[1] > 4)
		return -PVHV_EINVAL;
	if (cm->page_gpa && a[0] == cm->page_gpa >> PVHV_PAGE_SHIFT)
		return -PVHV_EBUSY;
	return cpl3_mm_pin(&cm->mm, a[0], (int)a[1]);
}

static int64_t hc_new_baseptr(struct cpl3_vm *cm, const uint64_t *a)
{
	int r = cpl3_mm_new_baseptr(&cm->mm, a[0]);

	if (r == 0)
		cm->load_cr3 = true;
	return r;
}

/* The 64-bit handler of a long-mode gate (SDM 3A 6.14.1). */
static uint64_t gate_offset(const uint8_t *g)
{
	uint16_t lo, mid;
	uint32_t hi;

	memcpy(&lo, g + GATE_OFF_LOW, sizeof(lo));
	memcpy(&mid, g + GATE_OFF_MID, sizeof(mid));
	memcpy(&hi, g + GATE_OFF_HIGH, sizeof(hi));
	return (uint64_t)lo | (uint64_t)mid << 16 | (uint64_t)hi << 32;
}

/* A present gate's handler must be one the kernel can run: canonical,
 * not 0 (which MON_TRAPS reads as none), not in the monitor's slot. */
static int check_handler(uint64_t h)
{
	if (!h || !cpl3_canonical(h))
		return -PVHV_EINVAL;
	if (PGD_INDEX(h) == PVHV_CPL3_MONITOR_SLOT)   /* canonical: the upper half */
		return -PVHV_EINVAL;
	return 0;
}

/* (gpa, nr, frame cs, frame ss): all gates checked before any is stored. */
static int64_t hc_set_trap_table(struct cpl3_vm *cm, const uint64_t *a)
{
	uint64_t handlers[NR_VECTORS] = { 0 };
	const uint8_t *gates;

	if (a[1] > NR_VECTORS || a[2] >= SELECTOR_LIMIT || a[3] >= SELECTOR_LIMIT)
		return -PVHV_EINVAL;
	int r = cpl3_guest_span(cm, a[0], a[1] * GATE_BYTES, false, (void **)&gates);
	if (r < 0)
		return r;
	for (uint64_t v = 0; v < a[1]; v++) {
		const uint8_t *g = gates + v * GATE_BYTES;

		if (!(g[GATE_ATTR] & GATE_PRESENT))
			continue;
		handlers[v] = gate_offset(g);
		if (check_handler(handlers[v]) < 0)
			return -PVHV_EINVAL;
	}
	memcpy(gm_ptr(cm->mm.gm, cm->lay.region_gpa + MON_TRAPS, sizeof(handlers)), handlers,
	       sizeof(handlers));
	*mon_u64(cm, MON_DATA + MOND_FRAME_CS) = a[2];
	*mon_u64(cm, MON_DATA + MOND_FRAME_SS) = a[3];
	return 0;
}

static int64_t hc_rdmsr(const struct hc_env *env, uint32_t vcpu, const uint64_t *a,
			uint64_t *out1)
{
	uint64_t val = 0;
	int r = cpl3_msr_allowed(a[0], false);

	if (r < 0)
		return r;
	if (!env->msr)
		return -PVHV_EIO;
	r = env->msr(env->ctx, vcpu, false, (uint32_t)a[0], &val);
	if (r < 0)
		return r;
	*out1 = val;
	return 0;
}

static int64_t hc_wrmsr(const struct hc_env *env, uint32_t vcpu, const uint64_t *a)
{
	uint64_t val = a[1];
	int r = cpl3_msr_allowed(a[0], true);

	if (r < 0)
		return r;
	if (!cpl3_canonical(val))
		return -PVHV_EINVAL;
	return env->msr ? env->msr(env->ctx, vcpu, true, (uint32_t)a[0], &val) : -PVHV_EIO;
}

static int64_t hc_set_timer(const struct hc_env *env, uint32_t vcpu, const uint64_t *a)
{
	struct cpl3_timer t;
	int r = cpl3_timer_regs(a[0], a[1], &t);

	if (r < 0)
		return r;
	return env->lapic_timer ? env->lapic_timer(env->ctx, vcpu, &t) : -PVHV_EIO;
}

int64_t cpl3_hc_run(const struct hc_env *env, uint32_t vcpu, uint64_t op,
		    const uint64_t *a, uint64_t *out1)
{
	struct cpl3_vm *cm = env->cpl3;

	if (!cm || op < PVHV_HC_CPL3_FIRST || op > PVHV_HC_CPL3_LAST)
		return -PVHV_ENOSYS;
	cm->calls[op - PVHV_HC_CPL3_FIRST]++;
	switch (op) {
	case PVHV_HC_MMU_UPDATE:     return cpl3_mm_update(&cm->mm, a[0], a[1]);
	case PVHV_HC_PIN:            return hc_pin(cm, a);
	case PVHV_HC_UNPIN:          return cpl3_mm_unpin(&cm->mm, a[0]);
	case PVHV_HC_NEW_BASEPTR:    return hc_new_baseptr(cm, a);
	case PVHV_HC_SET_TRAP_TABLE: return hc_set_trap_table(cm, a);
	case PVHV_HC_RDMSR:          return hc_rdmsr(env, vcpu, a, out1);
	case PVHV_HC_WRMSR:          return hc_wrmsr(env, vcpu, a);
	default:                     return hc_set_timer(env, vcpu, a);
	}
}

/* ---- reports ------------------------------------------------------------- */

static const char *fail_reason(uint32_t reason)
{
	switch (reason) {
	case MON_FAIL_RING0:      return "an exception in the monitor itself";
	case MON_FAIL_NO_HANDLER: return "an exception with no kernel handler";
	case MON_FAIL_BOUNCE:     return "the kernel's stack took no frame";
	case MON_FAIL_NO_PAGE:    return "an event before the vCPU page was registered";
	default:                  return NULL;
	}
}

void cpl3_fail_text(const struct cpl3_vm *cm, uint32_t reason, char *buf, size_t len)
{
	const char *text = fail_reason(reason);
	char unknown[48];

	if (!text) {
		snprintf(unknown, sizeof(unknown), "unknown reason %u", reason);
		text = unknown;
	}
	snprintf(buf, len, "monitor: %s: vector %llu error %#llx rip %#llx cr2 %#llx", text,
		 (unsigned long long)*mon_u64(cm, MON_DATA + MOND_FAIL_VECTOR),
		 (unsigned long long)*mon_u64(cm, MON_DATA + MOND_FAIL_ERR),
		 (unsigned long long)*mon_u64(cm, MON_DATA + MOND_FAIL_RIP),
		 (unsigned long long)*mon_u64(cm, MON_DATA + MOND_FAIL_CR2));
}

void cpl3_stats_line(const struct cpl3_vm *cm, char *buf, size_t len)
{
	const uint64_t *c = cm->calls;

	snprintf(buf, len, "pvhv: deprivileged: mmu_update %llu pin %llu unpin %llu "
		 "new_baseptr %llu set_trap_table %llu rdmsr %llu wrmsr %llu set_timer %llu; "
		 "%llu entries replayed by the monitor; monitor: %llu hypercall gates, "
		 "%llu events delivered, %llu deferred",
		 (unsigned long long)c[0], (unsigned long long)c[1], (unsigned long long)c[2],
		 (unsigned long long)c[3], (unsigned long long)c[4], (unsigned long long)c[5],
		 (unsigned long long)c[6], (unsigned long long)c[7],
		 (unsigned long long)cm->replayed,
		 (unsigned long long)*mon_u64(cm, MON_DATA + MOND_HCALLS),
		 (unsigned long long)*mon_u64(cm, MON_DATA + MOND_DELIVERED),
		 (unsigned long long)*mon_u64(cm, MON_DATA + MOND_DEFERRED));
}
