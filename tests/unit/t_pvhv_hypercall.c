/*
 * t_pvhv_hypercall.c - pvhv's hypercall handlers (vmm/hypercall.c) with
 * hostile arguments: every address and length checked, every refusal a
 * negative errno, nothing touched outside guest memory (ASan watches the
 * edges: guest memory is an exact-size heap block). Built only into
 * build/tests/pvhv-unit, with ASan and UBSan (vmm/vmm.mk).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pvhv.h"

#define MEM (1u << 20)
#define NR_VCPUS 4

static struct guest_mem gm;
static struct rec {
	size_t console_bytes;
	char console[256];
	int powers, status;
	bool reboot;
	int vectors, last_vcpu, last_vector;
	int yields;
} rec;

static void r_console(void *c, const void *b, size_t n)
{
	(void)c;
	if (rec.console_bytes + n < sizeof(rec.console))
		memcpy(rec.console + rec.console_bytes, b, n);
	rec.console_bytes += n;
}
static void r_power(void *c, bool reboot, int status)
{
	(void)c;
	rec.powers++, rec.reboot = reboot, rec.status = status;
}
static int r_send(void *c, uint32_t vcpu, uint32_t vector)
{
	(void)c;
	cr_assert_lt(vcpu, NR_VCPUS, "sent to a vCPU that does not exist");
	rec.vectors++, rec.last_vcpu = (int)vcpu, rec.last_vector = (int)vector;
	return 0;
}
static void r_yield(void *c) { (void)c; rec.yields++; }
static void r_stats(void *c, uint32_t vcpu, struct pvhv_stats *s)
{
	(void)c;
	for (int i = 0; i < PVHV_STAT_NR; i++)
		s->count[i] = 1000 + i;
	s->vcpus = vcpu == PVHV_ALL_VCPUS ? NR_VCPUS : 1;
}

static struct hc_env env = {
	.mem = &gm, .nr_vcpus = NR_VCPUS, .console = r_console, .power = r_power,
	.send_vector = r_send, .yield = r_yield, .stats = r_stats,
};

static void setup(void)
{
	gm.size = MEM;
	gm.host = calloc(1, MEM);
	memset(&rec, 0, sizeof(rec));
}

static void teardown(void)
{
	free(gm.host);
}

static int64_t call(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t a[PVHV_HC_ARGS] = { a0, a1, a2 };
	struct vcpu_stats st = { { 0 } };
	int64_t r = hc_dispatch(&env, 0, op, a, &st);

	if (op != PVHV_HC_MULTICALL) {           /* a multicall counts its entries */
		cr_assert_eq(st.count[PVHV_STAT_HYPERCALLS], 1);
		cr_assert_eq(st.count[PVHV_STAT_HC_ERRORS], r < 0);
	}
	return r;
}

TestSuite(pvhv_hc, .init = setup, .fini = teardown);

Test(pvhv_hc, gm_ptr_edges)
{
	cr_assert_not_null(gm_ptr(&gm, 0, MEM));
	cr_assert_not_null(gm_ptr(&gm, MEM, 0));
	cr_assert_null(gm_ptr(&gm, MEM, 1));
	cr_assert_null(gm_ptr(&gm, MEM - 1, 2));
	cr_assert_null(gm_ptr(&gm, ~0ull, 2));
	cr_assert_null(gm_ptr(&gm, 1, ~0ull));
	cr_assert_null(gm_ptr(NULL, 0, 0));
}

Test(pvhv_hc, nop_and_unknown)
{
	cr_assert_eq(call(PVHV_HC_NOP, 1, 2, 3), 0);
	cr_assert_eq(call(PVHV_HC_NR, 0, 0, 0), -PVHV_ENOSYS);
	cr_assert_eq(call(~0ull, 0, 0, 0), -PVHV_ENOSYS);
	cr_assert_eq(call(1ull << 32 | PVHV_HC_NOP, 0, 0, 0), -PVHV_ENOSYS);
}

Test(pvhv_hc, console)
{
	memcpy(gm.host + 0x1000, "hello", 5);
	cr_assert_eq(call(PVHV_HC_CONSOLE_WRITE, 0x1000, 5, 0), 5);
	cr_assert_eq(rec.console_bytes, 5);
	cr_assert_eq(memcmp(rec.console, "hello", 5), 0);
	cr_assert_eq(call(PVHV_HC_CONSOLE_WRITE, MEM - 3, 3, 0), 3);   /* last bytes */
	cr_assert_eq(call(PVHV_HC_CONSOLE_WRITE, MEM - 3, 4, 0), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_CONSOLE_WRITE, MEM, 1, 0), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_CONSOLE_WRITE, ~0ull - 1, 4, 0), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_CONSOLE_WRITE, 0, PVHV_CONSOLE_MAX + 1, 0), -PVHV_E2BIG);
	cr_assert_eq(call(PVHV_HC_CONSOLE_WRITE, 0, ~0ull, 0), -PVHV_E2BIG);
	cr_assert_eq(call(PVHV_HC_CONSOLE_WRITE, 0, 0, 0), 0);
	cr_assert_eq(rec.console_bytes, 8);
}

Test(pvhv_hc, power)
{
	cr_assert_eq(call(PVHV_HC_POWER_OFF, 256, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_POWER_OFF, ~0ull, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_REBOOT, 1000, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(rec.powers, 0);
	cr_assert_eq(call(PVHV_HC_POWER_OFF, 7, 0, 0), 0);
	cr_assert(rec.powers == 1 && rec.status == 7 && !rec.reboot);
	cr_assert_eq(call(PVHV_HC_REBOOT, 255, 0, 0), 0);
	cr_assert(rec.powers == 2 && rec.status == 255 && rec.reboot);
}

static struct pvhv_multicall_entry *mc_at(uint64_t gpa)
{
	return (struct pvhv_multicall_entry *)(gm.host + gpa);
}

Test(pvhv_hc, multicall)
{
	struct pvhv_multicall_entry *e = mc_at(0x2000);
	uint64_t a[PVHV_HC_ARGS] = { 0x2000, 5 };
	struct vcpu_stats st = { { 0 } };

	memcpy(gm.host + 0x100, "abc", 3);
	e[0] = (struct pvhv_multicall_entry){ .op = PVHV_HC_CONSOLE_WRITE, .args = { 0x100, 3 } };
	e[1] = (struct pvhv_multicall_entry){ .op = PVHV_HC_CONSOLE_WRITE, .args = { MEM, 3 } };
	e[2] = (struct pvhv_multicall_entry){ .op = PVHV_HC_MULTICALL, .args = { 0x2000, 1 } };
	e[3] = (struct pvhv_multicall_entry){ .op = 999 };
	e[4] = (struct pvhv_multicall_entry){ .op = PVHV_HC_YIELD, .args = { PVHV_ALL_VCPUS } };
	cr_assert_eq(hc_dispatch(&env, 0, PVHV_HC_MULTICALL, a, &st), 5);
	cr_assert_eq(e[0].ret, 3);
	cr_assert_eq(e[1].ret, -PVHV_EFAULT);
	cr_assert_eq(e[2].ret, -PVHV_EINVAL);           /* no nesting */
	cr_assert_eq(e[3].ret, -PVHV_ENOSYS);
	cr_assert_eq(e[4].ret, 0);
	cr_assert_eq(rec.yields, 1);
	cr_assert_eq(st.count[PVHV_STAT_HYPERCALLS], 6);
	cr_assert_eq(st.count[PVHV_STAT_HC_ERRORS], 3);
	cr_assert_eq(st.count[PVHV_STAT_CONSOLE_BYTES], 3);
}

Test(pvhv_hc, multicall_refusals)
{
	uint64_t sz = sizeof(struct pvhv_multicall_entry);

	cr_assert_eq(call(PVHV_HC_MULTICALL, 0x2000, PVHV_MULTICALL_MAX + 1, 0), -PVHV_E2BIG);
	cr_assert_eq(call(PVHV_HC_MULTICALL, 0x2000, ~0ull, 0), -PVHV_E2BIG);
	cr_assert_eq(call(PVHV_HC_MULTICALL, MEM - sz, 2, 0), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_MULTICALL, ~0ull - sz, 1, 0), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_MULTICALL, MEM - sz, 1, 0), 1);   /* the last entry fits */
	cr_assert_eq(call(PVHV_HC_MULTICALL, MEM, 0, 0), 0);
}

Test(pvhv_hc, multicall_stops_at_power_off)
{
	struct pvhv_multicall_entry *e = mc_at(0x3000);

	e[0] = (struct pvhv_multicall_entry){ .op = PVHV_HC_POWER_OFF, .args = { 300 } };
	e[1] = (struct pvhv_multicall_entry){ .op = PVHV_HC_POWER_OFF, .args = { 3 } };
	e[2] = (struct pvhv_multicall_entry){ .op = PVHV_HC_YIELD, .args = { 0 } };
	cr_assert_eq(call(PVHV_HC_MULTICALL, 0x3000, 3, 0), 2);
	cr_assert_eq(e[0].ret, -PVHV_EINVAL);
	cr_assert(rec.powers == 1 && rec.status == 3);
	cr_assert_eq(rec.yields, 0);
}

Test(pvhv_hc, get_stats)
{
	struct pvhv_stats s;

	memset(gm.host + 0x4000, 0x5a, 0x1000);
	cr_assert_eq(call(PVHV_HC_GET_STATS, 0x4000, sizeof(s), PVHV_ALL_VCPUS), sizeof(s));
	memcpy(&s, gm.host + 0x4000, sizeof(s));
	cr_assert_eq(s.nr, PVHV_STAT_NR);
	cr_assert_eq(s.vcpus, NR_VCPUS);
	cr_assert_eq(s.count[PVHV_STAT_IO], 1000 + PVHV_STAT_IO);
	cr_assert_eq(gm.host[0x4000 + sizeof(s)], 0x5a, "wrote past the struct");
	/* truncated: exactly len bytes */
	memset(gm.host + 0x4000, 0x5a, 0x1000);
	cr_assert_eq(call(PVHV_HC_GET_STATS, 0x4000, 12, 1), 12);
	cr_assert_eq(gm.host[0x4000 + 12], 0x5a);
	cr_assert_eq(call(PVHV_HC_GET_STATS, 0x4000, 7, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_GET_STATS, 0x4000, sizeof(s), NR_VCPUS), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_GET_STATS, MEM - 8, sizeof(s), 0), -PVHV_EFAULT);
	cr_assert_eq(call(PVHV_HC_GET_STATS, MEM - 8, 8, 0), 8);
	cr_assert_eq(call(PVHV_HC_GET_STATS, ~0ull, 16, 0), -PVHV_EFAULT);
	/* a huge len is fine: only sizeof(s) is written */
	cr_assert_eq(call(PVHV_HC_GET_STATS, 0x4000, ~0ull, 0), sizeof(s));
}

Test(pvhv_hc, kick_ipi_yield)
{
	cr_assert_eq(call(PVHV_HC_KICK, 3, 0x40, 0), 0);
	cr_assert(rec.vectors == 1 && rec.last_vcpu == 3 && rec.last_vector == 0x40);
	cr_assert_eq(call(PVHV_HC_KICK, NR_VCPUS, 0x40, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_KICK, ~0ull, 0x40, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_KICK, 0, 15, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_KICK, 0, 256, 0), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 0x5, 1, 0x41), 2);        /* vCPUs 1, 3 */
	cr_assert(rec.vectors == 3 && rec.last_vcpu == 3);
	rec.vectors = 0;
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 0x9, 1, 0x41), -PVHV_EINVAL);   /* vCPU 4 */
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 0x11, 0, 0x41), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 1ull << 63, 0, 0x41), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 1, ~0ull, 0x41), -PVHV_EINVAL);
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 1, 0, 3), -PVHV_EINVAL);
	cr_assert_eq(rec.vectors, 0, "a refused IPI sent something");
	cr_assert_eq(call(PVHV_HC_SEND_IPI, 0, 0, 0x41), 0);
	cr_assert_eq(call(PVHV_HC_YIELD, PVHV_ALL_VCPUS, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_YIELD, NR_VCPUS - 1, 0, 0), 0);
	cr_assert_eq(call(PVHV_HC_YIELD, NR_VCPUS, 0, 0), -PVHV_EINVAL);
	cr_assert_eq(rec.yields, 2);
}

Test(pvhv_hc, random_calls_stay_in_bounds)
{
	srand(7);
	for (int i = 0; i < 200000; i++) {
		uint64_t a[PVHV_HC_ARGS];
		for (int k = 0; k < PVHV_HC_ARGS; k++) {
			uint64_t r = (uint64_t)rand() << 33 ^ (uint64_t)rand() << 11 ^ (uint64_t)rand();
			switch (rand() % 4) {
			case 0: a[k] = r; break;
			case 1: a[k] = r % (MEM + 64); break;
			case 2: a[k] = MEM - r % 64; break;
			default: a[k] = r % 300; break;
			}
		}
		uint64_t op = rand() % (PVHV_HC_NR + 2);
		int64_t ret = hc_dispatch(&env, rand() % NR_VCPUS, op, a, NULL);
		cr_assert(ret >= 0 || ret == -PVHV_EFAULT || ret == -PVHV_EINVAL ||
			  ret == -PVHV_E2BIG || ret == -PVHV_ENOSYS, "op %llu ret %lld",
			  (unsigned long long)op, (long long)ret);
	}
}
