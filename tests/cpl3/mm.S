/*
 * mm.S - a tiny CPL-3 guest for pvhv's deprivileged mode that checks, end
 * to end on KVM, what mini.S does not: page-table hypercalls (MMU_UPDATE,
 * PIN, UNPIN, NEW_BASEPTR) taking effect in the guest through the
 * monitor's replay and flush, and MSRs through RDMSR/WRMSR (the GS base
 * really moves). KTAP on the console, power-off status 0 when all pass.
 *
 * With the command line "fatal" it instead faults with no handler, for
 * the monitor's report (pvhv exits 70 naming it).
 *
 *   build/pvrun --env nested-pvhv --kernel build/tests/cpl3-mm.elf \
 *       --pvhv-arg --deprivileged
 */
#define VIRT_BASE        0xffffffff80000000
#define PAGE_SHIFT       12
#define HC_CONSOLE_WRITE 1
#define HC_POWER_OFF     2
#define HC_MULTICALL     4
#define HC_MMU_UPDATE    9
#define HC_PIN           10
#define HC_UNPIN         11
#define HC_NEW_BASEPTR   12
#define HC_SET_TRAP_TABLE 13
#define HC_RDMSR         14
#define HC_WRMSR         15
#define VEC_HCALL        0xf8
#define VEC_REGISTER     0xf9
#define KERNEL_CS        0x2b
#define KERNEL_SS        0x23
#define ELFNOTE_CPL3     1
#define P_ARGS           16       /* struct pvhv_vcpu_page */
#define P_CR2            88
#define S_HVM_START_INFO 8        /* struct pvhv_cpl3_start */
#define S_PT_BASE        24
#define SI_CMDLINE       24       /* struct hvm_start_info: cmdline_paddr */
#define PT_FIRST         3        /* PTs follow PML4, PDPT, PD */
#define MONITOR_SLOT     510
#define VIRT_SLOT        511
#define VEC_PF           14
#define NR_GATES         15
#define GATE_SIZE        16
#define GATE_INTR_P      0x8e     /* present interrupt gate */
#define FRAME_CS         0x10
#define FRAME_SS         0x18
#define PTE_P            1
#define PTE_RW           2
#define PTE_US           4
#define PTE_A            0x20     /* accessed: the CPU sets it */
#define PF_ERR_WRITE_P   7        /* #PF error: present, write, user */
#define MSR_EFER         0xc0000080
#define MSR_GS_BASE      0xc0000101
#define EFER_WANT        0xd00    /* LME LMA NXE */
#define EPERM            1
#define EINVAL           22
#define EBUSY            16
#define MAGIC            0x1122334455667788
#define NR_CHECKS        9
#define MC_SIZE          56       /* struct pvhv_multicall_entry */
#define MC_ARG0          8
#define MC_RET           48
#define MC_SENTINEL      0x5a5a

#define GPA(sym)         ((sym) - VIRT_BASE)

/* rsi |= (condition cc holds) */
.macro FAIL_IF cc
	set\cc %al
	movzbl %al, %eax
	or %rax, %rsi
.endm

/* rax = hypercall op(a0, a1): arguments in the vCPU page */
.macro HCALL op, a0, a1
	mov \a0, %rax
	mov %rax, page + P_ARGS(%rip)
	mov \a1, %rax
	mov %rax, page + P_ARGS + 8(%rip)
	mov $\op, %eax
	int $VEC_HCALL
.endm

	.section .note.pvhv, "a"
	.balign 4
	.long 5, 16, ELFNOTE_CPL3
	.asciz "PVHV"
	.balign 4
	.quad mm_entry, VIRT_BASE

	.text
	.globl mm_entry
mm_entry:
	lea stack_top(%rip), %rsp
	mov S_PT_BASE(%rdi), %rax
	mov %rax, pt_base(%rip)
	mov S_HVM_START_INFO(%rdi), %rax
	movabs $VIRT_BASE, %rcx
	mov SI_CMDLINE(%rax,%rcx), %eax
	mov %rax, cmdline_gpa(%rip)

	lea page(%rip), %rbx
	movabs $VIRT_BASE, %rax
	sub %rax, %rbx
	shr $PAGE_SHIFT, %rbx
	int $VEC_REGISTER
	test %rax, %rax
	jnz power_fail

	movabs $VIRT_BASE, %rcx
	mov cmdline_gpa(%rip), %rax
	cmpl $0x61746166, (%rax,%rcx)      /* "fata" */
	je fatal

	call set_traps
	lea header(%rip), %rsi
	mov $header_len, %edx
	call console

	/* 1: RDMSR EFER: LME LMA NXE; WRMSR EFER refused */
	movl $MSR_EFER, %ebx
	HCALL HC_RDMSR, %rbx, $0
	mov %rax, %rsi
	mov page + P_ARGS + 8(%rip), %rax
	and $EFER_WANT, %eax
	cmp $EFER_WANT, %eax
	FAIL_IF ne
	push %rsi
	movl $MSR_EFER, %ebx
	HCALL HC_WRMSR, %rbx, $0
	pop %rsi
	cmp $-EPERM, %rax
	FAIL_IF ne
	mov $1, %edi
	lea n_efer(%rip), %rdx
	call report

	/* 2: WRMSR GS_BASE: %gs:0 reads through the new base */
	lea gs_target(%rip), %rcx
	movl $MSR_GS_BASE, %ebx
	HCALL HC_WRMSR, %rbx, %rcx
	mov %rax, %rsi
	movabs $MAGIC, %rcx
	cmp %rcx, %gs:0
	FAIL_IF ne
	push %rsi
	movl $MSR_GS_BASE, %ebx
	HCALL HC_RDMSR, %rbx, $0
	pop %rsi
	lea gs_target(%rip), %rbx
	cmp %rbx, page + P_ARGS + 8(%rip)
	FAIL_IF ne
	mov $2, %edi
	lea n_gs(%rip), %rdx
	call report

	/* 3: MMU_UPDATE a data page read-only: a write faults (#PF 7). It
	 * is written first, so that a TLB entry of it is there to flush
	 * (under nested TCG each exit flushes anyway: only real hardware
	 * tells whether the monitor's flush is needed) */
	movq $0, victim(%rip)
	lea victim(%rip), %rdi
	call pte_of                       /* rbx = gpa of its PTE, rcx = gpa */
	mov %rbx, victim_pte(%rip)
	or $PTE_P | PTE_US, %rcx
	bts $63, %rcx
	HCALL HC_MMU_UPDATE, victim_pte(%rip), %rcx
	mov %rax, %rsi
	movq $0, pf_count(%rip)
	lea 1f(%rip), %rax
	mov %rax, resume(%rip)
	movq $1, victim(%rip)
1:	cmpq $1, pf_count(%rip)
	FAIL_IF ne
	cmpq $PF_ERR_WRITE_P, pf_err(%rip)
	FAIL_IF ne
	lea victim(%rip), %rax
	cmp %rax, page + P_CR2(%rip)
	FAIL_IF ne
	mov $3, %edi
	lea n_ro(%rip), %rdx
	call report

	/* 4: writable again: the write lands */
	lea victim(%rip), %rdi
	call pte_of
	or $PTE_P | PTE_RW | PTE_US, %rcx
	bts $63, %rcx
	HCALL HC_MMU_UPDATE, victim_pte(%rip), %rcx
	mov %rax, %rsi
	movq $0, pf_count(%rip)
	movq $2, victim(%rip)
	cmpq $0, pf_count(%rip)
	FAIL_IF ne
	cmpq $2, victim(%rip)
	FAIL_IF ne
	mov $4, %edi
	lea n_rw(%rip), %rdx
	call report

	/* 5: alias: the victim's PTE maps other_page: reads see its bytes */
	lea other_page(%rip), %rdi
	call pte_of
	or $PTE_P | PTE_US, %rcx
	bts $63, %rcx
	HCALL HC_MMU_UPDATE, victim_pte(%rip), %rcx
	mov %rax, %rsi
	movabs $MAGIC, %rcx
	cmp %rcx, victim(%rip)
	FAIL_IF ne
	push %rsi
	lea victim(%rip), %rdi            /* and back */
	call pte_of
	or $PTE_P | PTE_RW | PTE_US, %rcx
	bts $63, %rcx
	HCALL HC_MMU_UPDATE, victim_pte(%rip), %rcx
	pop %rsi
	or %rax, %rsi
	cmpq $2, victim(%rip)
	FAIL_IF ne
	mov $5, %edi
	lea n_alias(%rip), %rdx
	call report

	/* 6: a new PML4: slot 511 as the initial one, pinned read-only, cr3;
	 * pvhv filled slot 510; back to the first, unpin, writable again */
	call new_pml4
	mov %rax, %rsi
	mov $6, %edi
	lea n_pml4(%rip), %rdx
	call report

	/* 7: refusals: a table frame writable, level 5, unpin the live cr3 */
	call refusals
	mov %rax, %rsi
	mov $7, %edi
	lea n_refuse(%rip), %rdx
	call report

	/* 8: a MULTICALL of NEW_BASEPTR and an UNPIN of the cr3 the CPU
	 * still walks until the monitor loads the new one: refused, and the
	 * monitor (running on that table's slot 510) carries on */
	call multicall_cr3
	mov %rax, %rsi
	mov $8, %edi
	lea n_mc_cr3(%rip), %rdx
	call report

	/* 9: no fault was left over */
	xor %esi, %esi
	cmpq $0, pf_count(%rip)
	FAIL_IF ne
	mov $9, %edi
	lea n_end(%rip), %rdx
	call report

	jmp power_off

/* rdi = a kernel VA in RAM: rcx = its gpa (page), rbx = gpa of its PTE */
pte_of:
	movabs $VIRT_BASE, %rax
	mov %rdi, %rcx
	sub %rax, %rcx
	and $~0xfff, %rcx
	mov %rcx, %rbx
	shr $PAGE_SHIFT, %rbx
	shl $3, %rbx
	add pt_base(%rip), %rbx
	add $PT_FIRST << PAGE_SHIFT, %rbx
	ret

/* rax = 0 when test 6 passed (a bit per failed part) */
new_pml4:
	push %r12
	xor %r12d, %r12d
	movabs $VIRT_BASE, %rcx
	mov pt_base(%rip), %rax
	mov VIRT_SLOT * 8(%rax,%rcx), %rdx  /* the initial PML4's slot 511 */
	mov %rdx, pml4_page + VIRT_SLOT * 8(%rip)
	lea pml4_page(%rip), %rdi
	call pte_of
	mov %rbx, pml4_pte(%rip)
	mov %rcx, pml4_gpa(%rip)
	call pin_pml4_page
	or %rax, %r12
	/* slot 510 as pvhv put it: the initial PML4's (whose accessed bit
	 * the CPU has set: it is live) */
	movabs $VIRT_BASE, %rcx
	mov pt_base(%rip), %rax
	mov MONITOR_SLOT * 8(%rax,%rcx), %rax
	and $~PTE_A, %rax
	cmp %rax, pml4_page + MONITOR_SLOT * 8(%rip)
	je 1f
	or $0x100, %r12
1:	mov pml4_gpa(%rip), %rbx
	shr $PAGE_SHIFT, %rbx
	HCALL HC_NEW_BASEPTR, %rbx, $0
	or %rax, %r12
	cmpq $0, pml4_page + VIRT_SLOT * 8(%rip)   /* still running: read it */
	jne 3f
	or $0x400, %r12
3:	call drop_pml4_page
	or %rax, %r12
	movq $0, pml4_page(%rip)          /* writable again: no fault */
	cmpq $0, pf_count(%rip)
	je 2f
	or $0x200, %r12
2:	mov %r12, %rax
	pop %r12
	ret

/* rax = 0 when test 8 passed. pml4_page is ordinary memory again after
 * test 6, its slot 511 still the initial PML4's: pin it, then one
 * MULTICALL [NEW_BASEPTR pml4_page, UNPIN the initial PML4]. Before pvhv
 * refused that UNPIN it cleared slot 510 under the running monitor and
 * the VM died. Then back to the initial PML4, pml4_page unpinned. */
multicall_cr3:
	push %r12
	xor %r12d, %r12d
	call pin_pml4_page
	or %rax, %r12
	movq $HC_NEW_BASEPTR, mc(%rip)
	mov pml4_gpa(%rip), %rbx
	shr $PAGE_SHIFT, %rbx
	mov %rbx, mc + MC_ARG0(%rip)
	movq $MC_SENTINEL, mc + MC_RET(%rip)
	movq $HC_UNPIN, mc + MC_SIZE(%rip)
	mov pt_base(%rip), %rbx
	shr $PAGE_SHIFT, %rbx
	mov %rbx, mc + MC_SIZE + MC_ARG0(%rip)
	movq $MC_SENTINEL, mc + MC_SIZE + MC_RET(%rip)
	HCALL HC_MULTICALL, $GPA(mc), $2
	cmp $2, %rax
	je 1f
	or $0x100, %r12
1:	cmpq $0, mc + MC_RET(%rip)
	je 2f
	or $0x200, %r12
2:	cmpq $-EBUSY, mc + MC_SIZE + MC_RET(%rip)
	je 3f
	or $0x400, %r12
3:	call drop_pml4_page
	or %rax, %r12
	mov %r12, %rax
	pop %r12
	ret

/* pin_pml4_page: pml4_page read-only in the initial map, then pinned as
 * a level-4 table. rax = the OR of the two results (0: both accepted). */
pin_pml4_page:
	mov pml4_gpa(%rip), %rcx
	or $PTE_P | PTE_US, %rcx
	bts $63, %rcx
	HCALL HC_MMU_UPDATE, pml4_pte(%rip), %rcx
	mov %rax, %rdx
	mov pml4_gpa(%rip), %rbx
	shr $PAGE_SHIFT, %rbx
	HCALL HC_PIN, %rbx, $4
	or %rdx, %rax
	ret

/* drop_pml4_page: back to the initial PML4, pml4_page unpinned and
 * writable again. rax = the OR of the three results (0: all accepted). */
drop_pml4_page:
	mov pt_base(%rip), %rbx
	shr $PAGE_SHIFT, %rbx
	HCALL HC_NEW_BASEPTR, %rbx, $0
	mov %rax, %rdx
	mov pml4_gpa(%rip), %rbx
	shr $PAGE_SHIFT, %rbx
	HCALL HC_UNPIN, %rbx, $0
	or %rax, %rdx
	mov pml4_gpa(%rip), %rcx
	or $PTE_P | PTE_RW | PTE_US, %rcx
	bts $63, %rcx
	HCALL HC_MMU_UPDATE, pml4_pte(%rip), %rcx
	or %rdx, %rax
	ret

/* rax = 0 when every refusal came with its errno */
refusals:
	push %r12
	xor %r12d, %r12d
	mov pt_base(%rip), %rbx           /* the PML4's own PTE, made writable */
	mov %rbx, %rcx
	shr $PAGE_SHIFT, %rbx
	shl $3, %rbx
	add pt_base(%rip), %rbx
	add $PT_FIRST << PAGE_SHIFT, %rbx
	or $PTE_P | PTE_RW | PTE_US, %rcx
	HCALL HC_MMU_UPDATE, %rbx, %rcx
	cmp $-EPERM, %rax
	setne %al
	movzbl %al, %eax
	or %rax, %r12
	lea victim(%rip), %rdi
	call pte_of
	shr $PAGE_SHIFT, %rcx
	HCALL HC_PIN, %rcx, $5
	cmp $-EINVAL, %rax
	setne %al
	movzbl %al, %eax
	shl $1, %eax
	or %rax, %r12
	mov pt_base(%rip), %rbx
	shr $PAGE_SHIFT, %rbx
	HCALL HC_UNPIN, %rbx, $0
	cmp $-EBUSY, %rax
	setne %al
	movzbl %al, %eax
	shl $2, %eax
	or %rax, %r12
	mov %r12, %rax
	pop %r12
	ret

/* SET_TRAP_TABLE: only #PF, to pf_handler */
set_traps:
	lea pf_handler(%rip), %rax
	lea gates + VEC_PF * GATE_SIZE(%rip), %rdi
	mov %ax, (%rdi)
	movw $KERNEL_CS, 2(%rdi)
	movb $GATE_INTR_P, 5(%rdi)
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movq $FRAME_CS, page + P_ARGS + 16(%rip)
	movq $FRAME_SS, page + P_ARGS + 24(%rip)
	HCALL HC_SET_TRAP_TABLE, $GPA(gates), $NR_GATES
	ret

/* #PF: count it, keep the error code, go on at `resume` */
pf_handler:
	incq pf_count(%rip)
	pop %rax                          /* the error code */
	mov %rax, pf_err(%rip)
	mov resume(%rip), %rax
	mov %rax, 0(%rsp)                 /* rip */
	movq $KERNEL_CS, 8(%rsp)          /* the real selectors back */
	movq $KERNEL_SS, 32(%rsp)
	iretq

/* rdx bytes at rsi to the console */
console:
	movabs $VIRT_BASE, %rax
	sub %rax, %rsi
	mov %rsi, page + P_ARGS(%rip)
	mov %rdx, page + P_ARGS + 8(%rip)
	mov $HC_CONSOLE_WRITE, %eax
	int $VEC_HCALL
	ret

/* rdi = check number (1..9), rsi = 0 passed, rdx = its name (NUL ended):
 * "ok N name" or "not ok N name"; a failure makes the status 1 */
report:
	push %rdx
	push %rdi
	mov %rsi, mask(%rip)
	test %rsi, %rsi
	jz 1f
	movq $1, status(%rip)
	lea s_not(%rip), %rsi
	mov $4, %edx
	call console
1:	lea s_ok(%rip), %rsi
	mov $3, %edx
	call console
	pop %rdi
	add $'0', %edi
	mov %dil, digit(%rip)
	lea digit(%rip), %rsi
	mov $2, %edx                      /* the digit and a space */
	call console
	pop %rsi
	xor %edx, %edx
2:	cmpb $0, (%rsi,%rdx)
	je 3f
	inc %edx
	jmp 2b
3:	call console
	cmpq $0, mask(%rip)
	je 4f
	call print_mask
4:	lea nl(%rip), %rsi
	mov $1, %edx
	jmp console

/* " # failed 0x<mask>": which parts of a check failed (or the errno) */
print_mask:
	lea hexbuf + 16(%rip), %rdi
	mov mask(%rip), %rax
	mov $16, %ecx
1:	dec %rdi
	mov %eax, %edx
	and $0xf, %edx
	movb hexdigits(%rdx), %dl
	mov %dl, (%rdi)
	shr $4, %rax
	dec %ecx
	jnz 1b
	lea s_mask(%rip), %rsi
	mov $s_mask_len, %edx
	call console
	lea hexbuf(%rip), %rsi
	mov $16, %edx
	jmp console

/* "fatal": a #UD with no handler: the monitor reports, pvhv exits 70 */
fatal:
	lea fatal_msg(%rip), %rsi
	mov $fatal_len, %edx
	call console
	ud2

power_fail:
	movq $1, status(%rip)
power_off:
	mov status(%rip), %rbx
	lea off_msg(%rip), %rsi
	mov $off_len, %edx
	call console
	add $'0', %ebx
	mov %bl, digit(%rip)
	lea digit(%rip), %rsi
	mov $1, %edx
	call console
	lea nl(%rip), %rsi
	mov $1, %edx
	call console
	mov status(%rip), %rax
	HCALL HC_POWER_OFF, %rax, $0
1:	jmp 1b

	.section .rodata
header:	.ascii "KTAP version 1\n1..9\n"
	.set header_len, . - header
s_not:	.ascii "not "
s_ok:	.ascii "ok "
nl:	.ascii "\n"
s_mask:	.ascii " # failed 0x"
	.set s_mask_len, . - s_mask
hexdigits: .ascii "0123456789abcdef"
off_msg: .ascii "pvk: power off, status "
	.set off_len, . - off_msg
fatal_msg: .ascii "cpl3-mm: #UD with no handler: the monitor reports it\n"
	.set fatal_len, . - fatal_msg
n_efer:	.asciz "cpl3_mm_rdmsr_efer"
n_gs:	.asciz "cpl3_mm_wrmsr_gs_base"
n_ro:	.asciz "cpl3_mm_update_read_only"
n_rw:	.asciz "cpl3_mm_update_writable"
n_alias: .asciz "cpl3_mm_update_alias"
n_pml4:	.asciz "cpl3_mm_pin_new_baseptr_unpin"
n_refuse: .asciz "cpl3_mm_refusals"
n_mc_cr3: .asciz "cpl3_mm_multicall_keeps_the_walked_cr3"
n_end:	.asciz "cpl3_mm_no_stray_fault"

	.data
	.balign 8
pt_base:	.quad 0
cmdline_gpa:	.quad 0
victim_pte:	.quad 0
pml4_pte:	.quad 0
pml4_gpa:	.quad 0
resume:		.quad 0
pf_count:	.quad 0
pf_err:		.quad 0
status:		.quad 0
mask:		.quad 0
hexbuf:		.fill 16, 1, 0
digit:		.ascii "0 "
	.balign 16
gates:		.fill NR_GATES * GATE_SIZE, 1, 0
mc:		.fill 2 * MC_SIZE, 1, 0   /* test 8's MULTICALL entries */
	.balign 4096
page:		.fill 4096, 1, 0          /* the vCPU page */
victim:		.fill 4096, 1, 0
other_page:	.quad MAGIC
		.fill 4096 - 8, 1, 0
gs_target:	.quad MAGIC
		.fill 4096 - 8, 1, 0
pml4_page:	.fill 4096, 1, 0
		.fill 8192, 1, 0
stack_top:
