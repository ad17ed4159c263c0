/*
 * hypercall.c - pvhv's paravirt operations (include/abi/pvhv.h,
 * docs/pvhv-abi.md). Pure: the world is reached only through struct
 * hc_env, guest memory only through gm_ptr(), so the host tests can call
 * every operation with hostile arguments and no /dev/kvm.
 *
 * Rules every handler keeps: check each guest address and length before
 * touching it; return a negative errno for anything malformed; never
 * block on the guest's behalf for longer than the operation itself.
 */
#include <string.h>

#include "cpl3.h"

typedef int64_t (*hc_fn)(const struct hc_env *env, uint32_t vcpu,
			 const uint64_t *args, struct vcpu_stats *st, int depth);

/*
 * The host address of a guest buffer a call reads (write false) or
 * writes: in RAM, and in deprivileged mode by cpl3_guest_span()'s rules
 * (never the monitor's pages, never a write to a pinned table). 0 and
 * *p, or -PVHV_EFAULT / -PVHV_EPERM.
 */
static int guest_buf(const struct hc_env *env, uint64_t gpa, uint64_t len, bool write,
		     void **p)
{
	if (env->cpl3)
		return cpl3_guest_span(env->cpl3, gpa, len, write, p);
	*p = gm_ptr(env->mem, gpa, len);
	return *p ? 0 : -PVHV_EFAULT;
}

static int64_t hc_nop(const struct hc_env *env, uint32_t vcpu,
		      const uint64_t *a, struct vcpu_stats *st, int depth)
{
	(void)env, (void)vcpu, (void)a, (void)st, (void)depth;
	return 0;
}

/* (gpa, len): the whole buffer in one exit; the UART takes two per byte. */
static int64_t hc_console_write(const struct hc_env *env, uint32_t vcpu,
				const uint64_t *a, struct vcpu_stats *st, int depth)
{
	(void)vcpu, (void)depth;
	if (a[1] > PVHV_CONSOLE_MAX)
		return -PVHV_E2BIG;
	void *buf;
	int r = guest_buf(env, a[0], a[1], false, &buf);
	if (r < 0)
		return r;
	if (a[1] && env->console)
		env->console(env->ctx, buf, a[1]);
	if (st)
		st->count[PVHV_STAT_CONSOLE_BYTES] += a[1];
	return (int64_t)a[1];
}

static int64_t power(const struct hc_env *env, const uint64_t *a, bool reboot)
{
	if (a[0] > PVHV_STATUS_MAX)
		return -PVHV_EINVAL;
	if (env->power)
		env->power(env->ctx, reboot, (int)a[0]);
	return 0;                /* the VM is stopping: the vCPU never resumes */
}

static int64_t hc_power_off(const struct hc_env *env, uint32_t vcpu,
			    const uint64_t *a, struct vcpu_stats *st, int depth)
{
	(void)vcpu, (void)st, (void)depth;
	return power(env, a, false);
}

static int64_t hc_reboot(const struct hc_env *env, uint32_t vcpu,
			 const uint64_t *a, struct vcpu_stats *st, int depth)
{
	(void)vcpu, (void)st, (void)depth;
	return power(env, a, true);
}

static int64_t run(const struct hc_env *env, uint32_t vcpu, uint64_t op,
		   uint64_t *args, struct vcpu_stats *st, int depth);

/* (gpa, count): many operations, one exit. Each entry's ret is written
 * back; returns how many entries ran (all of them unless the VM ended). */
static int64_t hc_multicall(const struct hc_env *env, uint32_t vcpu,
			    const uint64_t *a, struct vcpu_stats *st, int depth)
{
	const uint64_t n = a[1];

	if (depth > 0)
		return -PVHV_EINVAL;                 /* no nesting */
	if (n > PVHV_MULTICALL_MAX)
		return -PVHV_E2BIG;
	void *list;
	int r = guest_buf(env, a[0], n * sizeof(struct pvhv_multicall_entry), true, &list);
	if (r < 0)
		return r;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t gpa = a[0] + i * sizeof(struct pvhv_multicall_entry);
		struct pvhv_multicall_entry e;
		uint64_t args[PVHV_HC_ARGS] = { 0 };
		void *slot;

		/* copy in, run, copy out: the guest may change the entry
		 * meanwhile (another vCPU); we act on one consistent copy */
		memcpy(&e, gm_ptr(env->mem, gpa, sizeof(e)), sizeof(e));
		memcpy(args, e.args, sizeof(e.args));
		e.ret = run(env, vcpu, e.op, args, st, depth + 1);
		memcpy(e.args, args, sizeof(e.args));      /* results (RDMSR) */
		/* an entry may have made the list a page table (PIN): then
		 * pvhv must not write it, and stops */
		r = guest_buf(env, gpa, sizeof(e), true, &slot);
		if (r < 0)
			return r;
		memcpy(slot, &e, sizeof(e));
		if (e.op == PVHV_HC_POWER_OFF || e.op == PVHV_HC_REBOOT)
			if (e.ret == 0)
				return (int64_t)i + 1;  /* the VM is ending */
	}
	return (int64_t)n;
}

/* (gpa, len, vcpu): the calling VM's exit counters, truncated to len. */
static int64_t hc_get_stats(const struct hc_env *env, uint32_t vcpu,
			    const uint64_t *a, struct vcpu_stats *st, int depth)
{
	struct pvhv_stats s;
	uint64_t len = a[1] < sizeof(s) ? a[1] : sizeof(s);

	(void)vcpu, (void)st, (void)depth;
	if (a[1] < 2 * sizeof(uint32_t))
		return -PVHV_EINVAL;                 /* not even the header */
	if (a[2] != PVHV_ALL_VCPUS && a[2] >= (uint64_t)env->nr_vcpus)
		return -PVHV_EINVAL;
	void *dst;
	int r = guest_buf(env, a[0], len, true, &dst);
	if (r < 0)
		return r;
	memset(&s, 0, sizeof(s));
	s.nr = PVHV_STAT_NR;
	if (env->stats)
		env->stats(env->ctx, (uint32_t)a[2], &s);
	memcpy(dst, &s, len);
	return (int64_t)len;
}

/* A vector KICK and SEND_IPI may send; in deprivileged mode none the
 * monitor would mistake for an exception or a gate. */
static int check_vector(const struct hc_env *env, uint64_t v)
{
	if (env->cpl3)
		return cpl3_irq_vector_ok(v);
	return v >= PVHV_VECTOR_MIN && v <= PVHV_VECTOR_MAX;
}

/* (vcpu, vector): wake one vCPU (from HLT) with an interrupt. */
static int64_t hc_kick(const struct hc_env *env, uint32_t vcpu,
		       const uint64_t *a, struct vcpu_stats *st, int depth)
{
	(void)vcpu, (void)st, (void)depth;
	if (a[0] >= (uint64_t)env->nr_vcpus || !check_vector(env, a[1]))
		return -PVHV_EINVAL;
	return env->send_vector ? env->send_vector(env->ctx, (uint32_t)a[0],
						   (uint32_t)a[1]) : 0;
}

/* (mask, first, vector): vCPU first+i for each bit i of mask, one exit.
 * All targets are checked before any is sent. */
static int64_t hc_send_ipi(const struct hc_env *env, uint32_t vcpu,
			   const uint64_t *a, struct vcpu_stats *st, int depth)
{
	const uint64_t mask = a[0], first = a[1];
	int64_t sent = 0;

	(void)vcpu, (void)st, (void)depth;
	if (!check_vector(env, a[2]) || first >= (uint64_t)env->nr_vcpus)
		return -PVHV_EINVAL;
	for (int i = 0; i < PVHV_IPI_MASK_BITS; i++)
		if ((mask >> i & 1) && first + i >= (uint64_t)env->nr_vcpus)
			return -PVHV_EINVAL;
	for (int i = 0; i < PVHV_IPI_MASK_BITS; i++) {
		if (!(mask >> i & 1))
			continue;
		if (env->send_vector) {
			int r = env->send_vector(env->ctx, (uint32_t)(first + i), (uint32_t)a[2]);
			if (r < 0)
				return r;
		}
		sent++;
	}
	return sent;
}

/* (vcpu|ALL): give the host CPU to someone else (a lock holder, say). */
static int64_t hc_yield(const struct hc_env *env, uint32_t vcpu,
			const uint64_t *a, struct vcpu_stats *st, int depth)
{
	(void)vcpu, (void)st, (void)depth;
	if (a[0] != PVHV_ALL_VCPUS && a[0] >= (uint64_t)env->nr_vcpus)
		return -PVHV_EINVAL;
	if (env->yield)
		env->yield(env->ctx);
	return 0;
}

static const hc_fn hc_table[PVHV_HC_NR] = {
	[PVHV_HC_NOP] = hc_nop,
	[PVHV_HC_CONSOLE_WRITE] = hc_console_write,
	[PVHV_HC_POWER_OFF] = hc_power_off,
	[PVHV_HC_REBOOT] = hc_reboot,
	[PVHV_HC_MULTICALL] = hc_multicall,
	[PVHV_HC_GET_STATS] = hc_get_stats,
	[PVHV_HC_KICK] = hc_kick,
	[PVHV_HC_SEND_IPI] = hc_send_ipi,
	[PVHV_HC_YIELD] = hc_yield,
};

static int64_t run(const struct hc_env *env, uint32_t vcpu, uint64_t op,
		   uint64_t *args, struct vcpu_stats *st, int depth)
{
	int64_t r;

	if (op >= PVHV_HC_CPL3_FIRST && op <= PVHV_HC_CPL3_LAST)
		r = cpl3_hc_run(env, vcpu, op, args, &args[1]);  /* -ENOSYS but there */
	else
		r = op < PVHV_HC_NR && hc_table[op]
			? hc_table[op](env, vcpu, args, st, depth) : -PVHV_ENOSYS;

	if (st) {
		st->count[PVHV_STAT_HYPERCALLS]++;
		if (r < 0)
			st->count[PVHV_STAT_HC_ERRORS]++;
	}
	return r;
}

int64_t hc_dispatch(const struct hc_env *env, uint32_t vcpu, uint64_t op,
		    uint64_t args[PVHV_HC_ARGS], struct vcpu_stats *st)
{
	/* deprivileged: one write list per call, a MULTICALL's entries' too */
	if (env->cpl3)
		cpl3_hc_begin(env->cpl3);
	int64_t r = run(env, vcpu, op, args, st, 0);
	if (env->cpl3)
		cpl3_hc_end(env->cpl3);
	return r;
}
