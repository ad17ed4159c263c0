/*
 * t_patch.c - the bytes at every call site are what the platform's ops
 * should have made of them, and the engine refused nothing.
 */
#include <ktest.h>
#include <paravirt.h>
#include <string.h>
#include <pv/platform.h>
#include <pvops/x86_insn.h>

extern const struct pv_site __start_pv_sites[], __stop_pv_sites[];

/* What the site at `s` should hold now, computed from first principles. */
static void expected(const struct pv_site *s, u8 *want)
{
	uintptr_t site = pv_site_addr(s), target = ((const uintptr_t *)&pv_ops)[s->slot];
	size_t used = 0;

	if (!pv_patched) {
		memcpy(want, (void *)site, s->len);   /* checked separately */
		return;
	}
	if (!target) {
		x86_encode_ud2(want);
		used = X86_UD2_LEN;
	} else {
		const struct pv_tmpl *tm = NULL;
		for (size_t i = 0; i < native_patch_table_len; i++) {
			const struct pv_native *n = &native_patch_table[i];
			if ((n->slot == s->slot || n->slot == PV_ANY_SLOT) && n->fn == target)
				tm = n->tmpl;
		}
		if (tm && pv_tmpl_len(tm) <= s->len && !(tm->clobbers & ~s->clobbers)) {
			used = pv_tmpl_len(tm);
			memcpy(want, tm->bytes, used);
		} else {
			x86_encode_call_site(want, s->len, site, target);
			return;
		}
	}
	x86_fill_nops(want + used, s->len - used);
}

KTEST(patched_sites_match_platform)
{
	int bad = 0, n = 0;

	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++, n++) {
		u8 want[PV_SITE_MAX_LEN];
		uintptr_t site = pv_site_addr(s);

		if (!pv_patched) {
			uintptr_t slot = (uintptr_t)&pv_ops + s->slot * sizeof(void *);
			if (!x86_is_call_rip((const u8 *)site, site, slot) && bad++ < 4)
				printk("# site %p (%s): not the indirect call\n",
				       (void *)site, pv_slot_names[s->slot]);
			continue;
		}
		expected(s, want);
		if (memcmp(want, (void *)site, s->len) && bad++ < 4)
			printk("# site %p (%s): bytes differ\n", (void *)site,
			       pv_slot_names[s->slot]);
	}
	KT_EXPECTF(t, bad == 0, "%d of %d sites", bad, n);
	KT_EXPECT(t, n > 20);
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
