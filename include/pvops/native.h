/*
 * pvops/native.h - the native instructions a patched site can hold.
 *
 * Each native op exists twice, from one definition in lib/native.c:
 *
 *   pv_native_<op>     a function: the instruction(s) followed by ret. It is
 *                      what a slot holds on bare metal, and it clobbers only
 *                      what its template does, so it is a valid callee-save
 *                      target without a thunk.
 *   pv_tmpl_<op>       the same instruction bytes as a template: when a slot
 *                      still holds pv_native_<op> at patch time, the engine
 *                      copies these bytes into the site instead of a call.
 *
 * Two ops are not tied to a slot: pv_nop (a bare ret, patched to nothing)
 * and pv_ident_64 (returns its argument, patched to mov %rdi,%rax).
 *
 * The privileged ones (cli, mov to %cr3, ...) fault outside ring 0; a
 * hosted program can still patch them in and check their bytes.
 */
#ifndef PVOPS_NATIVE_H
#define PVOPS_NATIVE_H

#include <stdint.h>

struct pv_tmpl {
	const char *name;      /* the instructions, in AT&T syntax */
	const uint8_t *bytes;  /* template start */
	const uint8_t *end;    /* template end; == bytes for pv_nop */
	uint16_t clobbers;     /* registers the instructions change */
	const void *fn;        /* pv_native_<op>: the same bytes plus ret */
};

#define PV_NATIVE_LIST(X)                                                  \
	X(nop,               "",                  PV_CLOBBERS_NONE)         \
	X(ident_64,          "mov %rdi,%rax",     PV_CLOB(RAX))             \
	X(save_fl,           "pushf; pop %rax",   PV_CLOB(RAX))             \
	X(restore_fl,        "push %rdi; popf",   PV_CLOBBERS_NONE)         \
	X(irq_disable,       "cli",               PV_CLOBBERS_NONE)         \
	X(irq_enable,        "sti",               PV_CLOBBERS_NONE)         \
	X(safe_halt,         "sti; hlt",          PV_CLOBBERS_NONE)         \
	X(halt,              "hlt",               PV_CLOBBERS_NONE)         \
	X(read_cr0,          "mov %cr0,%rax",     PV_CLOB(RAX))             \
	X(write_cr0,         "mov %rdi,%cr0",     PV_CLOBBERS_NONE)         \
	X(read_cr2,          "mov %cr2,%rax",     PV_CLOB(RAX))             \
	X(read_cr3,          "mov %cr3,%rax",     PV_CLOB(RAX))             \
	X(write_cr3,         "mov %rdi,%cr3",     PV_CLOBBERS_NONE)         \
	X(read_cr4,          "mov %cr4,%rax",     PV_CLOB(RAX))             \
	X(write_cr4,         "mov %rdi,%cr4",     PV_CLOBBERS_NONE)         \
	X(io_delay,          "outb %al,$0x80",    PV_CLOBBERS_NONE)         \
	X(wbinvd,            "wbinvd",            PV_CLOBBERS_NONE)         \
	X(flush_tlb_one,     "invlpg (%rdi)",     PV_CLOBBERS_NONE)         \
	X(spin_unlock,       "movb $0,(%rdi)",    PV_CLOBBERS_NONE)         \
	X(vcpu_is_preempted, "xor %eax,%eax",     PV_CLOB(RAX))             \
	X(swapgs,            "swapgs",            PV_CLOBBERS_NONE)         \
	X(stac,              "stac",              PV_CLOBBERS_NONE)         \
	X(clac,              "clac",              PV_CLOBBERS_NONE)

/* pv_tmpl_len - the template's length in bytes. */
static inline unsigned pv_tmpl_len(const struct pv_tmpl *t)
{
	return (unsigned)(t->end - t->bytes);
}

/*
 * Ops whose function cannot be the template plus ret, because the
 * instruction does not return to its caller: X(op, template, function,
 * clobbers). pv_native_iret drops the return address its call pushed,
 * then iretq; a patched site holds the bare iretq. sysret's sites are
 * jump sites (PV_SITE_F_JMP: the user's rsp is loaded, nothing may be
 * pushed), so its function is the bare sysretq too.
 */
#define PV_NATIVE_NORET_LIST(X)                                            \
	X(iret, "iretq", "add $8,%rsp; iretq", PV_CLOBBERS_NONE)            \
	X(sysret, "sysretq", "sysretq", PV_CLOBBERS_NONE)

#define PV_NATIVE_DECLARE(op, insns, clob)                                 \
	extern const struct pv_tmpl pv_tmpl_##op;                           \
	extern const char pv_native_##op[];
#define PV_NATIVE_DECLARE_NORET(op, insns, fn, clob)                       \
	PV_NATIVE_DECLARE(op, insns, clob)
PV_NATIVE_LIST(PV_NATIVE_DECLARE)
PV_NATIVE_NORET_LIST(PV_NATIVE_DECLARE_NORET)
#undef PV_NATIVE_DECLARE
#undef PV_NATIVE_DECLARE_NORET

/* Aliases with the names the ops are known by. */
#define pv_nop      pv_native_nop
#define pv_ident_64 pv_native_ident_64

#endif /* PVOPS_NATIVE_H */
