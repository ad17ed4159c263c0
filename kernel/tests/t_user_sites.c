/*
 * t_user_sites.c - the user-mode entry and exit sites (entry.S's swapgs
 * and sysretq, the user copies' stac and clac): natively the literal
 * instruction bytes, decoded here from byte literals; NOPs for stac and
 * clac where the CPU has no SMAP; with pv=nopatch the indirect call (a
 * jump for sysretq) each site was assembled as.
 */
#include <ktest.h>
#include <paravirt.h>
#include <string.h>
#include <pv/platform.h>
#include <pvops/native.h>
#include "t_sites.h"

extern const struct pv_site __start_pv_sites[], __stop_pv_sites[];

#define OP_GRP5        0xff
#define MODRM_CALL_RIP 0x15        /* ff 15 disp32: call *disp32(%rip) */
#define MODRM_JMP_RIP  0x25        /* ff 25 disp32: jmp *disp32(%rip) */
#define RIP_LEN        6

static const struct {
	u16 slot;
	const char *name;
	u8 len;
	u8 bytes[3];
	const void *native;
} user_sites[] = {
	{ PV_SLOT(cpu.swapgs), "cpu.swapgs", 3, { 0x0f, 0x01, 0xf8 }, pv_native_swapgs },
	{ PV_SLOT(cpu.sysret), "cpu.sysret", 3, { 0x48, 0x0f, 0x07 }, pv_native_sysret },
	{ PV_SLOT(cpu.stac), "cpu.stac", 3, { 0x0f, 0x01, 0xcb }, pv_native_stac },
	{ PV_SLOT(cpu.clac), "cpu.clac", 3, { 0x0f, 0x01, 0xca }, pv_native_clac },
};

static int32_t le32(const u8 *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The site as assembled: ff 15 (a jump site: ff 25) reaching its slot. */
static bool unpatched(const struct pv_site *s)
{
	const u8 *p = (const u8 *)pv_site_addr(s);
	u8 modrm = s->flags & PV_SITE_F_JMP ? MODRM_JMP_RIP : MODRM_CALL_RIP;

	return p[0] == OP_GRP5 && p[1] == modrm &&
	       (uintptr_t)p + RIP_LEN + le32(p + 2) ==
		       (uintptr_t)&pv_ops + s->slot * sizeof(void *);
}

KTEST(user_entry_sites_patched)
{
	for (size_t k = 0; k < ARRAY_SIZE(user_sites); k++) {
		const void *fn = ((const void *const *)&pv_ops)[user_sites[k].slot];
		int sites = 0, good = 0;
		bool nop = fn == (const void *)pv_nop;

		for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++) {
			const u8 *p = (const u8 *)pv_site_addr(s);
			u8 n = user_sites[k].len;

			if (s->slot != user_sites[k].slot)
				continue;
			sites++;
			if (!pv_patched)
				good += unpatched(s);
			else if (nop)
				good += all_nops(p, s->len);
			else if (fn == user_sites[k].native)
				good += !memcmp(p, user_sites[k].bytes, n) &&
					all_nops(p + n, s->len - n);
		}
		KT_EXPECTF(t, sites > 0, "no %s site", user_sites[k].name);
		KT_EXPECTF(t, good == sites, "%s: %d of %d sites %s", user_sites[k].name, good,
			   sites, !pv_patched ? "the original call" : nop ? "NOPs"
			   : "the literal instruction");
	}
	/* sysretq's one site is a jump site, swapgs's four are calls */
	for (const struct pv_site *s = __start_pv_sites; s < __stop_pv_sites; s++)
		if (s->slot == PV_SLOT(cpu.sysret) || s->slot == PV_SLOT(cpu.swapgs))
			KT_EXPECT(t, !(s->flags & PV_SITE_F_JMP) == (s->slot == PV_SLOT(cpu.swapgs)));
}
