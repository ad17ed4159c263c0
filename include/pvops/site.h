/*
 * pvops/site.h - the patch-site record, shared by C sites, .S sites and
 * the patch engine.
 *
 * A patchable site is `call *slot(%rip)` (6 bytes: ff 15 disp32), or for
 * PV_SITE_F_JMP `jmp *slot(%rip)` (ff 25 disp32), padded with one-byte NOPs up to the length the site reserves. Beside it, in the
 * section named PV_SITES_SECTION, the assembler emits one record:
 *
 *   offset size  field
 *   0      4     addr_rel  site address minus the address of this field
 *   4      2     slot      slot number in the ops template (the site's type)
 *   6      1     len       bytes reserved at the site
 *   7      1     flags     PV_SITE_F_*
 *   8      2     clobbers  registers the site may clobber (pvops/regs.h)
 *   10     2     reserved  zero
 *
 * The address is relative so the record needs no relocation and means the
 * same in a linked image, a running kernel and a hosted process.
 */
#ifndef PVOPS_SITE_H
#define PVOPS_SITE_H

/* Length of the unpatched call: ff 15 disp32. */
#define PV_SITE_CALL_LEN 6
/* Room for one instruction on memory at an absolute (sign-extended 32-bit)
 * address, e.g. `andl $0,sym` or `movl sym,%eax`: 8 bytes. The sites of
 * the interrupt flag's save and disable have it, so a platform whose flag
 * is a word in memory (pvhv's CPL-3 mode, as lguest's) patches them
 * inline; natively they pad to it with one NOP. */
#define PV_SITE_MEMOP_LEN 8
/* The longest site the engine accepts. */
#define PV_SITE_MAX_LEN 16

/* The site uses the op's return value (rax): it must not become all NOPs. */
#define PV_SITE_F_RET 0x01
/* The site is in hand-written assembly (pvops/asm.h's PV_SITE), not a C
 * macro of pvops/ops.h: for tools (pvsites); the engine ignores it. */
#define PV_SITE_F_ASM 0x02
/* The site is `jmp *slot(%rip)` (ff 25 disp32), not a call: an op that
 * never returns and must not push a return address, because the stack
 * is not the kernel's any more (sysretq, with the user's rsp loaded).
 * A direct outcome is `jmp rel32`; a no-op is refused (nothing to fall
 * through to). Only hand-written assembly emits it. */
#define PV_SITE_F_JMP 0x04
/* Every flag the engine knows; any other bit marks a corrupt record. */
#define PV_SITE_F_KNOWN (PV_SITE_F_RET | PV_SITE_F_ASM | PV_SITE_F_JMP)

/*
 * Section for the records. No leading dot, so a hosted link provides
 * __start_pv_sites / __stop_pv_sites by itself.
 */
#define PV_SITES_SECTION pv_sites

#ifndef __ASSEMBLER__
#include <stdint.h>

struct pv_site {
	int32_t addr_rel;
	uint16_t slot;
	uint8_t len;
	uint8_t flags;
	uint16_t clobbers;
	uint16_t reserved;
};

_Static_assert(sizeof(struct pv_site) == 12, "pv_site layout is an ABI");

/* pv_site_addr - the run address of the site a record describes. */
static inline uintptr_t pv_site_addr(const struct pv_site *s)
{
	return (uintptr_t)&s->addr_rel + (intptr_t)s->addr_rel;
}
#endif /* !__ASSEMBLER__ */

#endif /* PVOPS_SITE_H */
