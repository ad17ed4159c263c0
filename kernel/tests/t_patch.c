/*
 * t_patch.c - the bytes at every call site are what the platform's ops
 * should have made of them, and the engine refused nothing.
 *
 * The sites are decoded here from byte literals, not re-encoded with the
 * engine's own encoders (lib/x86_insn.c): a bug there would otherwise be
 * reproduced by the test and pass.
 */
#include <ktest.h>
#include <paravirt.h>
#include <spinlock.h>
#include <string.h>
#include <pv/platform.h>
#include <pvops/native.h>
#include <asm/apic.h>
#include <asm/layout.h>
#include <asm/x86_bits.h>
#include "t_sites.h"

extern const struct pv_site __start_pv_sites[], __stop_pv_sites[];

/* The unpatched site, as __PV_SITE_ASM (pvops/ops.h) and PV_SITE
 * (pvops/asm.h) emit it: `call *disp32(%rip)` (ff 15 disp32), then
 * one-byte NOPs up to the site's length. */
#define OP_GRP5         0xff
#define MODRM_CALL_RIP  0x15      /* mod 00, reg /2 (call), rm 101 (rip) */
#define MODRM_JMP_RIP   0x25      /* mod 00, reg /4 (jmp), rm 101: a jump site */
#define OP_JMP_REL32    0xe9
#define CALL_RIP_LEN    6
#define OP_NOP1         0x90
/* Direct calls: e8 rel32, or the one-instruction 6-byte form 2e e8 rel32
 * (a cs prefix, ignored in 64-bit mode). */
#define OP_CALL_REL32   0xe8
#define PREFIX_CS       0x2e
#define CALL_REL32_LEN  5
/* ud2: what a site of a NULL slot becomes. */
static const u8 ud2[] = { 0x0f, 0x0b };

/* The NOPs the engine may pad with: the recommended encodings of Intel
 * SDM Vol. 2B, "NOP", by length. Prefix-free, so a fill decodes one way. */
static const struct {
	u8 len;
	u8 b[9];
} nops[] = {
	{ 1, { 0x90 } },
	{ 2, { 0x66, 0x90 } },
	{ 3, { 0x0f, 0x1f, 0x00 } },
	{ 4, { 0x0f, 0x1f, 0x40, 0x00 } },
	{ 5, { 0x0f, 0x1f, 0x44, 0x00, 0x00 } },
	{ 6, { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 } },
	{ 7, { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 } },
	{ 8, { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 } },
	{ 9, { 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 } },
};

/* Is p[0..len) a whole number of NOPs from the table? (t_sites.h) */
bool all_nops(const u8 *p, size_t len)
{
	while (len) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(nops); k++)
			if (nops[k].len <= len && nops[k].b[0] == p[0] &&
			    !memcmp(p, nops[k].b, nops[k].len))
				break;
		if (k == ARRAY_SIZE(nops))
			return false;
		p += nops[k].len;
		len -= nops[k].len;
	}
	return true;
}

static int32_t le32(const u8 *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Is p the untouched site: ff 15 disp32 (a jump site's ff 25) reaching
 * the slot, 0x90 padding? */
static bool is_original(const u8 *p, const struct pv_site *s)
{
	uintptr_t slot = (uintptr_t)&pv_ops + s->slot * sizeof(void *);
	u8 modrm = s->flags & PV_SITE_F_JMP ? MODRM_JMP_RIP : MODRM_CALL_RIP;

	if (p[0] != OP_GRP5 || p[1] != modrm ||
	    (uintptr_t)p + CALL_RIP_LEN + le32(p + 2) != slot)
		return false;
	for (size_t i = CALL_RIP_LEN; i < s->len; i++)
		if (p[i] != OP_NOP1)
			return false;
	return true;
}

/* Per slot, the template of the function the slot holds, if any: a
 * platform's backend template for that slot and function first, then a
 * native entry for that slot, else one for any slot. Filled once a test. */
static const struct pv_tmpl *slot_tmpl[PV_NR_SLOTS];

static void find_templates(void)
{
	const uintptr_t *fn = (const uintptr_t *)&pv_ops;

	for (size_t k = 0; k < PV_NR_SLOTS; k++)
		slot_tmpl[k] = NULL;
	for (size_t i = 0; i < pv_backend_used_nr; i++) {
		const struct pv_backend_tmpl *b = &pv_backend_used[i];

		if (b->slot < PV_NR_SLOTS && fn[b->slot] && fn[b->slot] == b->fn)
			slot_tmpl[b->slot] = b->tmpl;
	}
	for (size_t i = 0; i < native_patch_table_len; i++) {
		const struct pv_native *n = &native_patch_table[i];

		if (n->slot != PV_ANY_SLOT && n->slot < PV_NR_SLOTS &&
		    !slot_tmpl[n->slot] && fn[n->slot] && fn[n->slot] == n->fn)
			slot_tmpl[n->slot] = n->tmpl;
	}
	for (size_t i = 0; i < native_patch_table_len; i++) {
		const struct pv_native *n = &native_patch_table[i];

		for (size_t k = 0; n->slot == PV_ANY_SLOT && k < PV_NR_SLOTS; k++)
			if (!slot_tmpl[k] && fn[k] && fn[k] == n->fn)
				slot_tmpl[k] = n->tmpl;
	}
}

/*
 * Decode one patched site: its outcome (PV_OUT_*, or PV_OUT_COUNT when
 * the bytes are none of them or not what the slot should have made),
 * with *why saying what was wrong.
 */
static int decode_site(const struct pv_site *s, const char **why)
{
	const u8 *p = (const u8 *)pv_site_addr(s);
	uintptr_t fn = ((const uintptr_t *)&pv_ops)[s->slot];
	const struct pv_tmpl *tm = slot_tmpl[s->slot];
	bool fits = tm && pv_tmpl_len(tm) <= s->len && !(tm->clobbers & ~s->clobbers);
	size_t used;
	int out;

	if (!memcmp(p, ud2, sizeof(ud2))) {
		out = PV_OUT_TRAP, used = sizeof(ud2);
		*why = "padding after ud2 is not NOPs";
		if (fn) {
			*why = "ud2 for a slot that is set";
			return PV_OUT_COUNT;
		}
	} else if ((s->flags & PV_SITE_F_JMP) && p[0] == OP_JMP_REL32) {
		out = PV_OUT_DIRECT, used = CALL_REL32_LEN;
		*why = "padding after the jump is not NOPs";
		if ((uintptr_t)p + used + le32(p + 1) != fn) {
			*why = "jump to something else than the slot's function";
			return PV_OUT_COUNT;
		}
		if (fits) {
			*why = "jump where the native template fits";
			return PV_OUT_COUNT;
		}
	} else if (!(s->flags & PV_SITE_F_JMP) &&
		   (p[0] == OP_CALL_REL32 || (p[0] == PREFIX_CS && p[1] == OP_CALL_REL32))) {
		size_t pre = p[0] == PREFIX_CS;

		out = PV_OUT_DIRECT, used = pre + CALL_REL32_LEN;
		*why = "padding after the call is not NOPs";
		if ((uintptr_t)p + used + le32(p + pre + 1) != fn) {
			*why = "call to something else than the slot's function";
			return PV_OUT_COUNT;
		}
		if (fits) {
			*why = "call where the native template fits";
			return PV_OUT_COUNT;
		}
	} else if (is_original(p, s)) {
		return PV_OUT_LEFT;
	} else if (tm && !pv_tmpl_len(tm)) {
		out = PV_OUT_NOP, used = 0;
		*why = "not all NOPs for a no-op";
		if (s->flags & PV_SITE_F_RET) {
			*why = "NOPs where the value is used";
			return PV_OUT_COUNT;
		}
	} else if (fits && !memcmp(p, tm->bytes, pv_tmpl_len(tm))) {
		out = PV_OUT_INLINE, used = pv_tmpl_len(tm);
		*why = "padding after the template is not NOPs";
	} else {
		*why = "neither ud2, a call, the template nor the original";
		return PV_OUT_COUNT;
	}
	return all_nops(p + used, s->len - used) ? out : PV_OUT_COUNT;
}

/*
 * Patched: each site decodes to one outcome, the decoded counts add up to
 * the sites and equal the engine's. pv=nopatch: each site is still the
 * indirect call the macro emitted, byte for byte.
 */
KTEST(patched_sites_match_platform)
{
	u32 got[PV_OUT_COUNT + 1] = { 0 }, sum = 0, n = 0;
	int bad = 0;

	find_templates();
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++, n++) {
		const char *why = "bytes changed under pv=nopatch";
		int out = PV_OUT_COUNT;

		if (s->len < CALL_RIP_LEN || s->len > PV_SITE_MAX_LEN ||
		    s->slot >= PV_NR_SLOTS)
			why = "bad record";
		else if (!pv_patched)
			out = is_original((const u8 *)pv_site_addr(s), s)
				      ? PV_OUT_LEFT : PV_OUT_COUNT;
		else
			out = decode_site(s, &why);
		got[out]++;
		if (out == PV_OUT_COUNT && bad++ < 4)
			printk("# site %p (%s): %s\n", (void *)pv_site_addr(s),
			       s->slot < PV_NR_SLOTS ? pv_slot_names[s->slot] : "?", why);
	}
	for (int o = 0; o < PV_OUT_COUNT; o++)
		sum += got[o];
	KT_EXPECTF(t, bad == 0, "%d of %u sites", bad, n);
	KT_EXPECTF(t, sum == n, "%u outcomes for %u sites", sum, n);
	KT_EXPECT(t, n > 20);
	KT_EXPECTF(t, pv_patch_stats.sites == n, "engine saw %u", pv_patch_stats.sites);
	if (pv_patched) {
		for (int o = 0; o < PV_OUT_COUNT; o++)
			KT_EXPECTF(t, got[o] == pv_patch_stats.n[o],
				   "%s: %u decoded, engine says %u",
				   pv_outcome_name(o), got[o], pv_patch_stats.n[o]);
		KT_EXPECT(t, got[PV_OUT_TRAP] == 0 && got[PV_OUT_LEFT] == 0);
	} else {
		KT_EXPECTF(t, got[PV_OUT_LEFT] == n, "%u of %u untouched",
			   got[PV_OUT_LEFT], n);
	}
	KT_EXPECT(t, pv_patch_stats.n[PV_OUT_TRAP] == 0);
	KT_EXPECT(t, pv_patch_stats.n[PV_OUT_LEFT] == 0);
	KT_EXPECT(t, pv_patch_stats.n[PV_OUT_REFUSED] == 0);
}

/* On native ops, the sensitive instructions are back in place. */
KTEST(native_instructions_inlined)
{
	const u8 cli = 0xfa, iretq[2] = { 0x48, 0xcf };
	int cli_sites = 0, iret_sites = 0;

	if (!pv_patched || pv_ops.irq.irq_disable.func != pv_native_irq_disable) {
		KT_SKIP(t, pv_patched ? "platform overrides irq_disable" : "pv=nopatch");
		return;
	}
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		const u8 *p = (const u8 *)pv_site_addr(s);
		if (s->slot == PV_SLOT(irq.irq_disable))
			cli_sites += p[0] == cli;
		if (s->slot == PV_SLOT(cpu.iret))
			iret_sites += !memcmp(p, iretq, 2);
	}
	KT_EXPECTF(t, cli_sites > 0, "no cli in place");
	KT_EXPECTF(t, iret_sites == 1, "%d iretq sites", iret_sites);
}

/*
 * The native EOI is in place at every apic.eoi site, as literal bytes
 * (apic_eoi.S assembles them; a wrong byte there shows here):
 *   x2APIC  b9 0b 08 00 00  mov $0x80b,%ecx
 *           31 c0           xor %eax,%eax
 *           31 d2           xor %edx,%edx
 *           0f 30           wrmsr
 *   xAPIC   c7 04 25 b0 00 00 c0 00 00 00 00   movl $0,0xffffffffc00000b0
 *           (FIXMAP_ADDR(FIX_APIC) + 0xb0, a sign-extended disp32)
 */
KTEST(apic_eoi_inlined)
{
	static const u8 x2apic[] = { 0xb9, 0x0b, 0x08, 0x00, 0x00, 0x31, 0xc0,
				     0x31, 0xd2, 0x0f, 0x30 };
	static const u8 xapic[] = { 0xc7, 0x04, 0x25, 0xb0, 0x00, 0x00, 0xc0,
				    0x00, 0x00, 0x00, 0x00 };
	const void *fn = pv_ops.apic.eoi.func;
	const u8 *want;
	int sites = 0, held = 0;

	if (!pv_patched || (fn != x2apic_eoi_cs && fn != xapic_eoi_cs)) {
		KT_SKIP(t, pv_patched ? "platform overrides apic.eoi" : "pv=nopatch");
		return;
	}
	KT_EXPECT(t, FIXMAP_ADDR(FIX_APIC) + APIC_EOI == 0xffffffffc00000b0ul);
	want = fn == x2apic_eoi_cs ? x2apic : xapic;
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		const u8 *p = (const u8 *)pv_site_addr(s);

		if (s->slot != PV_SLOT(apic.eoi))
			continue;
		sites++;
		held += s->len >= sizeof(x2apic) && !memcmp(p, want, sizeof(x2apic)) &&
			all_nops(p + sizeof(x2apic), s->len - sizeof(x2apic));
	}
	KT_EXPECTF(t, sites > 0 && held == sites, "%s EOI at %d of %d sites",
		   fn == x2apic_eoi_cs ? "x2APIC" : "xAPIC", held, sites);
}

/*
 * The spinlock's unlock sites (spinlock.h's spin_unlock): natively the
 * byte store itself, c6 07 00 (movb $0,(%rdi)), then NOPs; where the pv
 * unlock is installed (KVM with pv_unhalt and SMP, or qspinlock=pv) a
 * direct call to its thunk, e8 rel32 or 2e e8 rel32, then NOPs.
 */
KTEST(spin_unlock_sites)
{
	static const u8 movb0[] = { 0xc6, 0x07, 0x00 };
	const void *fn = pv_ops.lock.spin_unlock.func;
	bool native = fn == pv_native_spin_unlock;
	int sites = 0, good = 0;

	if (!pv_patched || (!native && fn != __pv_cs_pv_queued_spin_unlock)) {
		KT_SKIP(t, pv_patched ? "platform has its own unlock" : "pv=nopatch");
		return;
	}
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
		const u8 *p = (const u8 *)pv_site_addr(s);
		size_t at = p[0] == PREFIX_CS;

		if (s->slot != PV_SLOT(lock.spin_unlock))
			continue;
		sites++;
		if (native)
			good += s->len >= sizeof(movb0) && !memcmp(p, movb0, sizeof(movb0)) &&
				all_nops(p + sizeof(movb0), s->len - sizeof(movb0));
		else
			good += p[at] == OP_CALL_REL32 &&
				(uintptr_t)p + at + CALL_REL32_LEN + le32(p + at + 1) ==
				(uintptr_t)__pv_cs_pv_queued_spin_unlock &&
				all_nops(p + at + CALL_REL32_LEN, s->len - at - CALL_REL32_LEN);
	}
	KT_EXPECTF(t, sites > 0 && good == sites, "%s at %d of %d sites",
		   native ? "movb $0,(%rdi)" : "call to the pv unlock", good, sites);
}
