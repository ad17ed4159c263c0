/*
 * cpl3_monitor.S - the ring-0 monitor of pvhv's deprivileged mode
 * (abi/pvhv_cpl3.h; layout vmm/cpl3_monitor.h). pvhv copies the bytes
 * between cpl3_monitor_start and cpl3_monitor_end to MON_CODE of the
 * monitor region (cpl3_region.c), where they run at
 * PVHV_CPL3_MONITOR_BASE + MON_CODE. So: position independent, every
 * memory reference RIP-relative or through the physmap; the monitor's
 * data (MON_DATA, MON_TRAPS, MON_WRITES) is at fixed offsets from the
 * code's first byte, which the assembler resolves (no relocation).
 *
 * The IDT (cpl3_region.c) sends vector v to the stub at v * MON_STUB_SIZE.
 * Every gate is an interrupt gate (IF = 0 here); the DPL 3 ones are the
 * kernel's PVHV_CPL3_VEC_* calls; #DF, NMI and #MC run on IST1.
 *
 * Stack frames. A stub for an exception or an interrupt pushes a zero
 * error code where the CPU pushes none, then the vector; the common paths
 * save rax rcx rdx rsi rdi below that (S_* offsets). A gate's stub jumps
 * straight to its handler with only the CPU's frame (G_* after the same
 * five saves). The CPU's frame (rip, cs, rflags, rsp, ss) is what the
 * final iretq consumes: delivering an event rewrites it in place so that
 * iretq enters the kernel's handler at CPL 3.
 *
 * Ring-0 instructions per event (a host that emulates each costs ~0.5 us
 * apiece), counted along the paths below from the stub to iretq:
 *   HCALL, nothing to carry out             14 (+ the OUT's exit)
 *   HCALL with n writes and a cr3 reload    35 + 6n
 *   REGISTER                                 8 (two exits)
 *   FLUSH                                    4 (invlpg), 7 (cr3 reload)
 *   interrupt, vif = 0: held pending        33
 *   interrupt during HALT's hlt (ring 0)    31
 *   interrupt, vif = 1: delivered           32 + deliver
 *   exception, delivered                    29 (31 for #PF) + deliver
 *   deliver (checks, bounce frame, return)  45 (47 for an exception,
 *                                           49 with an error code)
 *   EVENTS delivering a pending vector      41 + deliver (+4 per empty
 *                                           64-vector word above it)
 * The only exits are the OUTs (HCALL, REGISTER, a failure) and hlt.
 */
#include "cpl3_monitor-offsets.h"

/* The saved registers and the stub's words, from rsp in the common
 * paths of exceptions and interrupts. */
#define S_RDI     0
#define S_RSI     8
#define S_RDX     16
#define S_RCX     24
#define S_RAX     32
#define S_VEC     40
#define S_ERR     48
#define S_FRAME   56      /* the CPU's frame: rip, then F_* */
#define S_CS      (S_FRAME + F_CS)

/* The same five saves in a gate's handler: the CPU's frame right above. */
#define G_FRAME   40

/* The CPU's frame, from its rip. */
#define F_RIP     0
#define F_CS      8
#define F_RFLAGS  16
#define F_RSP     24
#define F_SS      32

/* The bounce frame the kernel's handler finds, from the 16-byte aligned
 * top of its stack down (as a same-privilege 64-bit interrupt pushes). */
#define B_SS      (-8)
#define B_RSP     (-16)
#define B_RFLAGS  (-24)
#define B_CS      (-32)
#define B_RIP     (-40)
#define B_SIZE    40      /* ... and 8 more for an error code */
#define B_ERR     (-B_SIZE - 8)
#define STACK_ALIGN_MASK  (-16)

#define CPL_MASK          3
#define RFLAGS_IF         0x200
#define RFLAGS_IF_SHIFT   9
#define RFLAGS_KERNEL     0x202   /* what the kernel's handler starts with */
#define X2APIC_EOI_MSR    0x80b
#define PENDING_WORDS     4
#define PENDING_WORD_SHIFT 6      /* 64 vectors per word of pending[] */
#define WRITE_SIZE        16      /* struct cpl3_write: gpa, val */
/* sar $39 of an address of PML4 slot 510: the monitor's slot, which the
 * kernel's stack must never name (the monitor writes as ring 0). */
#define PML4_SHIFT        39
#define MON_SLOT_SAR      (PVHV_CPL3_MONITOR_SLOT - 512)

#define OPCODE_PUSH_IMM8  0x6a
#define OPCODE_JMP_REL32  0xe9
#define OPCODE_INT3       0xcc

/* The monitor's data, from the code's first byte (.Lstart). */
#define DATA(field)       (.Lstart + MON_DATA + (field))(%rip)

	.section .rodata.cpl3_monitor, "a"
	.balign 16
	.globl cpl3_monitor_start, cpl3_monitor_end
cpl3_monitor_start:
.Lstart:

/* ---- the stubs: vector v at v * MON_STUB_SIZE ------------------------- */

/* A jmp rel32 by hand: a fixed 5 bytes, so every stub has its size. */
.macro JMP32 target
	.byte OPCODE_JMP_REL32
	.long \target - . - 4
.endm

/* The five registers the common paths use, rdi lowest (S_*, G_*). */
.macro SAVE5
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
.endm

/* The stub of vector `.Lvec` (an absolute symbol the .rept below steps). */
.macro STUB
	.org .Lstart + .Lvec * MON_STUB_SIZE, OPCODE_INT3
	.if (.Lvec == PVHV_CPL3_VEC_HCALL)
	JMP32 .Lgate_hcall
	.elseif (.Lvec == PVHV_CPL3_VEC_REGISTER)
	JMP32 .Lgate_register
	.elseif (.Lvec == PVHV_CPL3_VEC_EVENTS)
	JMP32 .Lgate_events
	.elseif (.Lvec == PVHV_CPL3_VEC_HALT)
	JMP32 .Lgate_halt
	.elseif (.Lvec == PVHV_CPL3_VEC_FLUSH)
	JMP32 .Lgate_flush
	.elseif (.Lvec == MON_SPURIOUS_VECTOR)
	iretq                             /* the LAPIC's spurious vector: no EOI, nothing to do */
	.elseif (.Lvec >= MON_FIRST_IRQ)
	.byte OPCODE_PUSH_IMM8, 0         /* no error code from the CPU */
	.byte OPCODE_PUSH_IMM8, .Lvec & 0xff /* sign-extended: read back as a byte */
	JMP32 .Linterrupt
	.else
	.if ((MON_ERRCODE_VECTORS >> .Lvec) & 1) == 0
	.byte OPCODE_PUSH_IMM8, 0         /* the error code the CPU did not push */
	.endif
	.byte OPCODE_PUSH_IMM8, .Lvec
	JMP32 .Lexception
	.endif
.endm

	.set .Lvec, 0
	.rept MON_VECTORS
	STUB
	.set .Lvec, .Lvec + 1
	.endr
	.org .Lstart + MON_VECTORS * MON_STUB_SIZE, OPCODE_INT3

/* ---- HCALL: ring the doorbell, carry out what pvhv left ---------------- */
.Lgate_hcall:
	push %rdx
	mov $PVHV_PORT_DOORBELL, %edx
	out %eax, (%dx)                   /* pvhv runs op eax, fills MOND_* */
	incq DATA(MOND_HCALLS)
	mov DATA(MOND_NR_WRITES), %rax
	or DATA(MOND_FLAGS), %rax
	jz .Lhcall_ret                    /* the common case: nothing to carry out */
	cmpq $0, DATA(MOND_NR_WRITES)
	jne .Lhcall_writes
.Lhcall_flags:
	cmpq $0, DATA(MOND_FLAGS)
	jne .Lhcall_cr3
.Lhcall_ret:
	mov DATA(MOND_PAGE_GPA), %rax
	test %rax, %rax
	jz .Lhcall_no_page
	movabs $PVHV_CPL3_PHYSMAP + PVHV_PAGE_RET, %rdx
	mov (%rdx,%rax), %rax             /* the page's ret */
	pop %rdx
	iretq
.Lhcall_no_page:
	mov $-PVHV_EINVAL, %rax
	pop %rdx
	iretq

/* MOND_NR_WRITES entries {gpa, val} of MON_WRITES: *(PHYSMAP + gpa) = val.
 * pvhv validated each; it never leaves more than MON_MAX_WRITES. */
.Lhcall_writes:
	push %rcx
	push %rsi
	push %rdi
	mov DATA(MOND_NR_WRITES), %rcx
	lea (.Lstart + MON_WRITES)(%rip), %rsi
	movabs $PVHV_CPL3_PHYSMAP, %rdi
1:	mov (%rsi), %rax                  /* gpa */
	mov 8(%rsi), %rdx                 /* val */
	mov %rdx, (%rdi,%rax)
	add $WRITE_SIZE, %rsi
	dec %rcx
	jnz 1b
	movq $0, DATA(MOND_NR_WRITES)
	pop %rdi
	pop %rsi
	pop %rcx
	jmp .Lhcall_flags

/* MOND_FLAGS: load MOND_NEW_CR3, or reload cr3 (no global pages: that
 * flushes the whole TLB). */
.Lhcall_cr3:
	testq $MON_F_LOAD_CR3, DATA(MOND_FLAGS)
	jz 1f
	mov DATA(MOND_NEW_CR3), %rax
	jmp 2f
1:	mov %cr3, %rax
2:	mov %rax, %cr3
	movq $0, DATA(MOND_FLAGS)
	jmp .Lhcall_ret

/* ---- REGISTER: ebx = the page's frame; rax = 0 or -errno --------------- */
.Lgate_register:
	push %rdx
	mov %ebx, %eax
	mov $PVHV_PORT_REGISTER, %edx
	out %eax, (%dx)
	in (%dx), %eax
	cltq
	pop %rdx
	iretq

/* ---- FLUSH: rbx = 0: the whole TLB; else invlpg (rbx). No exit. --------- */
.Lgate_flush:
	test %rbx, %rbx
	jz 1f
	invlpg (%rbx)                     /* a non-canonical rbx: a no-op */
	iretq
1:	push %rax
	mov %cr3, %rax
	mov %rax, %cr3
	pop %rax
	iretq

/* ---- EVENTS: deliver the highest pending vector if vif is on ----------- */
.Lgate_events:
	SAVE5
	call .Lpick
	jc 1f
	lea G_FRAME(%rsp), %rsi
	call .Ldeliver
1:	jmp .Lrestore_iret

/* ---- HALT: until something is pending; deliver it if vif is on --------- */
.Lgate_halt:
	SAVE5
.Lhalt_loop:
	call .Lpick
	jnc .Lhalt_deliver
	test %rdi, %rdi
	jz .Lhalt_sleep                   /* no page: nothing can be pending */
	cmpb $0, PVHV_CPL3_PAGE_PENDING_ANY(%rdi)
	jne .Lrestore_iret                /* pending, vif off: the kernel's halt returns */
.Lhalt_sleep:
	sti                               /* sti; hlt: no interrupt slips in between */
	hlt
	cli
	jmp .Lhalt_loop
.Lhalt_deliver:
	lea G_FRAME(%rsp), %rsi
	call .Ldeliver
	jmp .Lrestore_iret

.Lrestore_iret:
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	iretq

/* .Lpick: the vector to deliver now. rdi = the page (0: none registered).
 * If the page is there, vif is on and some vector is pending: CF clear,
 * eax = the highest pending vector, its bit cleared, pending_any
 * recomputed. Else CF set. Clobbers rax rcx rdx. */
.Lpick:
	mov DATA(MOND_PAGE_GPA), %rdi
	test %rdi, %rdi
	jz .Lpick_none
	movabs $PVHV_CPL3_PHYSMAP, %rax
	add %rax, %rdi
	cmpl $0, PVHV_CPL3_PAGE_VIF(%rdi)
	je .Lpick_none
	cmpb $0, PVHV_CPL3_PAGE_PENDING_ANY(%rdi)
	je .Lpick_none
	mov $PENDING_WORDS - 1, %edx
1:	bsrq PVHV_CPL3_PAGE_PENDING(%rdi,%rdx,8), %rax
	jnz 2f
	dec %edx
	jns 1b
	movb $0, PVHV_CPL3_PAGE_PENDING_ANY(%rdi)   /* stale: nothing was left */
	jmp .Lpick_none
2:	btrq %rax, PVHV_CPL3_PAGE_PENDING(%rdi,%rdx,8)
	shl $PENDING_WORD_SHIFT, %edx
	add %edx, %eax
	call .Lpending_any
	clc
	ret
.Lpick_none:
	stc
	ret

/* .Lpending_any: the page's pending_any = (some word of pending[] != 0).
 * rdi = the page. Clobbers rcx. */
.Lpending_any:
	mov PVHV_CPL3_PAGE_PENDING(%rdi), %rcx
	or PVHV_CPL3_PAGE_PENDING + 8(%rdi), %rcx
	or PVHV_CPL3_PAGE_PENDING + 16(%rdi), %rcx
	or PVHV_CPL3_PAGE_PENDING + 24(%rdi), %rcx
	setnz PVHV_CPL3_PAGE_PENDING_ANY(%rdi)
	ret

/* ---- external interrupts (vectors >= 32 that are not gates) ------------ */
.Linterrupt:
	push %rax
	push %rcx
	push %rdx
	mov $X2APIC_EOI_MSR, %ecx         /* EOI first: the kernel's is a no-op */
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	push %rsi
	push %rdi
	movzbl S_VEC(%rsp), %eax
	mov DATA(MOND_PAGE_GPA), %rdi
	test %rdi, %rdi
	jz .Lfail_no_page
	movabs $PVHV_CPL3_PHYSMAP, %rcx
	add %rcx, %rdi
	testb $CPL_MASK, S_CS(%rsp)
	jz .Lirq_pend                     /* from the monitor's hlt: hold it */
	cmpl $0, PVHV_CPL3_PAGE_VIF(%rdi)
	je .Lirq_pend
	lea S_FRAME(%rsp), %rsi
	call .Ldeliver
	jmp .Lrestore_pop2
.Lirq_pend:
	btsq %rax, PVHV_CPL3_PAGE_PENDING(%rdi)     /* bit v of the 256 */
	movb $1, PVHV_CPL3_PAGE_PENDING_ANY(%rdi)
	incq PVHV_CPL3_PAGE_DEFERRED(%rdi)
	incq DATA(MOND_DEFERRED)
.Lrestore_pop2:
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp                     /* the vector and the error code */
	iretq

/* ---- exceptions (vectors 0..31) ----------------------------------------- */
.Lexception:
	SAVE5
	movzbl S_VEC(%rsp), %eax
	mov S_ERR(%rsp), %rdx
	testb $CPL_MASK, S_CS(%rsp)
	jz .Lring0_exception
	mov DATA(MOND_PAGE_GPA), %rdi
	test %rdi, %rdi
	jz .Lfail_no_page
	movabs $PVHV_CPL3_PHYSMAP, %rcx
	add %rcx, %rdi
	cmp $MON_VEC_PF, %eax
	jne 1f
	mov %cr2, %rcx
	mov %rcx, PVHV_CPL3_PAGE_CR2(%rdi)
1:	lea S_FRAME(%rsp), %rsi
	call .Ldeliver
	jmp .Lrestore_pop2

/* .Ldeliver: bounce vector eax to the kernel's handler. rdi = the page,
 * rsi = the CPU frame to rewrite (the interrupted context), rdx = the
 * error code (pushed only for a vector that has one). Writes the bounce
 * frame on the kernel's stack with ring-0 rights but CR0.WP: a read-only,
 * unmapped or non-canonical stack faults between .Lbounce_start and
 * .Lbounce_end, which the ring-0 exception path reports as
 * MON_FAIL_BOUNCE. Returns with the CPU frame pointing at the handler at
 * CPL 3; vif = 0. Clobbers rcx rdi. */
.Ldeliver:
	push %r8
	push %r9
	lea (.Lstart + MON_TRAPS)(%rip), %rcx
	mov (%rcx,%rax,8), %r8            /* the handler */
	test %r8, %r8
	jz .Lfail_no_handler
	xor %ecx, %ecx
	cmpl $0, PVHV_CPL3_PAGE_VIF(%rdi)
	setne %cl
	shl $RFLAGS_IF_SHIFT, %ecx        /* the frame's IF: the interrupted vif */
	movl $0, PVHV_CPL3_PAGE_VIF(%rdi)
	incq PVHV_CPL3_PAGE_DELIVERED(%rdi)
	incq DATA(MOND_DELIVERED)
	mov F_RFLAGS(%rsi), %r9
	and $~RFLAGS_IF, %r9
	or %r9, %rcx
	mov F_RSP(%rsi), %rdi
	and $STACK_ALIGN_MASK, %rdi       /* the frame's top */
	lea B_ERR(%rdi), %r9              /* neither end of it in the monitor's slot */
	sar $PML4_SHIFT, %r9
	cmp $MON_SLOT_SAR, %r9
	je .Lfail_bounce
	lea -1(%rdi), %r9
	sar $PML4_SHIFT, %r9
	cmp $MON_SLOT_SAR, %r9
	je .Lfail_bounce
.Lbounce_start:
	mov DATA(MOND_FRAME_SS), %r9
	mov %r9, B_SS(%rdi)
	mov F_RSP(%rsi), %r9
	mov %r9, B_RSP(%rdi)
	mov %rcx, B_RFLAGS(%rdi)
	mov DATA(MOND_FRAME_CS), %r9
	mov %r9, B_CS(%rdi)
	mov F_RIP(%rsi), %r9
	mov %r9, B_RIP(%rdi)
	sub $B_SIZE, %rdi
	cmp $MON_FIRST_IRQ, %eax
	jae 1f
	bt %eax, .Lerrcode_vectors(%rip)
	jnc 1f
	mov %rdx, -8(%rdi)
	sub $8, %rdi
1:
.Lbounce_end:
	mov %r8, F_RIP(%rsi)
	movq $PVHV_CPL3_KERNEL_CS, F_CS(%rsi)
	movq $RFLAGS_KERNEL, F_RFLAGS(%rsi)
	mov %rdi, F_RSP(%rsi)
	movq $PVHV_CPL3_KERNEL_SS, F_SS(%rsi)
	pop %r9
	pop %r8
	ret

/* ---- what the monitor cannot handle ------------------------------------- */

/* An exception in ring 0: a #PF or #GP on the kernel's stack while
 * delivering (the registers of .Ldeliver are the saved ones), else a
 * monitor bug. eax = the vector, rdx = its error code. */
.Lring0_exception:
	mov S_FRAME + F_RIP(%rsp), %rsi
	cmp $MON_VEC_PF, %eax             /* only a fault of a write counts: */
	je 1f                             /* not, say, an NMI that came then */
	cmp $MON_VEC_GP, %eax             /* (#GP: a non-canonical stack) */
	jne .Lfail_ring0
1:	lea .Lbounce_start(%rip), %rcx
	cmp %rcx, %rsi
	jb .Lfail_ring0
	lea .Lbounce_end(%rip), %rcx
	cmp %rcx, %rsi
	jae .Lfail_ring0
	mov S_RAX(%rsp), %rax             /* the vector being delivered */
	mov S_RDX(%rsp), %rdx
	mov S_RSI(%rsp), %rsi
	jmp .Lfail_bounce

.Lfail_ring0:
	mov $MON_FAIL_RING0, %ecx
	jmp .Lfail
.Lfail_no_page:                           /* rdx, S_FRAME: the event's */
	mov S_FRAME + F_RIP(%rsp), %rsi
	mov $MON_FAIL_NO_PAGE, %ecx
	jmp .Lfail
.Lfail_no_handler:                        /* in .Ldeliver: rsi the frame */
	mov F_RIP(%rsi), %rsi
	mov $MON_FAIL_NO_HANDLER, %ecx
	jmp .Lfail
.Lfail_bounce:                            /* the same */
	mov F_RIP(%rsi), %rsi
	mov $MON_FAIL_BOUNCE, %ecx
/* .Lfail: eax = the vector, rdx = its error code, rsi = the rip, ecx =
 * the reason. Reports to pvhv, which stops the VM; never returns. */
.Lfail:
	mov %rax, DATA(MOND_FAIL_VECTOR)
	mov %rdx, DATA(MOND_FAIL_ERR)
	mov %rsi, DATA(MOND_FAIL_RIP)
	mov %cr2, %rax
	mov %rax, DATA(MOND_FAIL_CR2)
	mov %ecx, %eax
	mov $MON_PORT, %edx
	out %eax, (%dx)
1:	cli
	hlt
	jmp 1b

	.balign 4
.Lerrcode_vectors:
	.long MON_ERRCODE_VECTORS
cpl3_monitor_end:
	/* build-time size check: fails ("backwards") past MON_CODE_SIZE */
	.org .Lstart + MON_CODE_SIZE

	.section .note.GNU-stack, "", @progbits
