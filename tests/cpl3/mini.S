/*
 * mini.S - the smallest guest of pvhv's deprivileged mode: a first check
 * of the monitor (vmm/cpl3_monitor.S) end to end, without pvk. It starts
 * at CPL 3 (abi/pvhv_cpl3.h, "Start state"), registers its vCPU page,
 * installs handlers, and checks what the monitor does: hypercalls, the
 * bounce frame of #GP, #PF and #UD, an INT to a DPL 0 gate, TLB flushes,
 * the timer held pending while vif is off, then delivered through EVENTS
 * and through HALT, page-table updates, the order of pending vectors.
 * One KTAP line per check on the console
 * (CONSOLE_WRITE); power-off status 0 when all passed, else the number
 * of the first failed check. `pvhv --deprivileged build/tests/cpl3-mini.elf`.
 *
 * Linked by tests/cpl3/mini.ld: one RWX PT_LOAD at gpa 1 MiB, its
 * virtual address VIRT_BASE + gpa, so gpa = va - VIRT_BASE; the PVHV note
 * in a PT_NOTE.
 */

#define VIRT_BASE        0xffffffff80000000
#define PAGE_SIZE        4096
#define PAGE_SHIFT       12

/* abi/pvhv.h and abi/pvhv_cpl3.h (C headers: their numbers repeated) */
#define HC_NOP           0
#define HC_CONSOLE_WRITE 1
#define HC_POWER_OFF     2
#define HC_KICK          6
#define HC_MMU_UPDATE    9
#define HC_NEW_BASEPTR   12
#define HC_SET_TRAP_TABLE 13
#define HC_SET_TIMER     16
#define VEC_HCALL        0xf8
#define VEC_REGISTER     0xf9
#define VEC_EVENTS       0xfa
#define VEC_HALT         0xfb
#define VEC_FLUSH        0xfc
#define KERNEL_CS        0x2b
#define KERNEL_SS        0x23
#define PAGE_MAGIC       0x50564856
#define START_MAGIC      0x33535650
#define ELFNOTE_CPL3     1
#define P_MAGIC          0        /* struct pvhv_vcpu_page */
#define P_ARGS           16
#define P_RET            64
#define P_VIF            80
#define P_PENDING_ANY    84
#define P_CR2            88
#define P_PENDING        96
#define P_DELIVERED      128
#define P_DEFERRED       136
#define S_MAGIC          0        /* struct pvhv_cpl3_start */
#define S_VIRT_BASE      16
#define S_PT_BASE        24
#define MONITOR_BASE     0xffffff0000000000
#define MONITOR_TRAPS    0x3100   /* MON_TRAPS + 0x100: vector 32's handler */

/* The selectors the mini kernel names for its bounce frames: not its
 * real ones, so a frame shows whose they are. */
#define FRAME_CS         0x10
#define FRAME_SS         0x18

#define VEC_UD           6
#define VEC_GP           13
#define VEC_PF           14
#define VEC_TIMER        32
#define VEC_SPARE        0xf0     /* a handler, but its gate is DPL 0 */
#define VEC_KICK_LOW     0x40     /* word 1 of pending[] */
#define VEC_KICK_HIGH    0x70     /* word 1 too; 0xf0 is in word 3 */
#define NR_GATES         256
#define GATE_SIZE        16
#define GATE_PRESENT     0x80     /* byte 5 of a gate */
#define TIMER_NS         1000000  /* 1 ms */
#define RFLAGS_IF        0x200
/* #GP's error code for an INT through a gate of too high a DPL: the
 * vector as a selector index (SDM 3A 6.13: vector << 3) with the IDT
 * bit. QEMU's TCG, which runs the nested guest here, gives vector << 4
 * (the gate's byte offset in the 64-bit IDT): both are taken, the
 * monitor passes on whatever the CPU pushed. */
#define GP_ERR_IDT_BIT   2
#define PF_ERR_USER_READ_NP 4     /* #PF error: user, read, not present */
#define UNMAPPED_VA      0x12345000   /* PML4 slot 0: nothing there */
#define NONCANONICAL_VA  0x8000000000100000
#define CANARY           0x5a5a5a5a5a5a5a5a
#define MARK_A           0x41414141      /* as quads: cmpq takes an imm32 */
#define MARK_B           0x42424242
#define PTE_ADDR_MASK    0x000ffffffffff000
#define PML4_SHIFT       39
#define PT_LEVEL_BITS    9
#define PT_INDEX_MASK    511


/* The record a handler leaves (struct rec): its frame word by word. */
#define R_RIPADDR        0        /* where the frame's rip was */
#define R_ERR            8
#define R_RIP            16
#define R_CS             24
#define R_RFLAGS         32
#define R_RSP            40
#define R_SS             48
#define R_COUNT          56
#define R_SIZE           64

#define GPA(sym)         ((sym) - VIRT_BASE)

/* rsi |= (condition cc holds): a failed part of a check. */
.macro FAIL_IF cc
	set\cc %al
	movzbl %al, %eax
	or %rax, %rsi
.endm

	.section .note.pvhv, "a"
	.balign 4
	.long 5, 16, ELFNOTE_CPL3        /* namesz, descsz, type */
	.asciz "PVHV"
	.balign 4
	.quad mini_entry, VIRT_BASE

	.text
	.globl mini_entry
mini_entry:
	lea stack_top(%rip), %rsp
	mov %rdi, start_va(%rip)

	/* 1: the start record */
	xor %esi, %esi
	cmpl $START_MAGIC, S_MAGIC(%rdi)
	FAIL_IF ne
	movabs $VIRT_BASE, %rcx
	cmp %rcx, S_VIRT_BASE(%rdi)
	FAIL_IF ne
	mov $1, %edi
	lea name_start(%rip), %rdx
	call report0                      /* before REGISTER: prints nothing yet */

#ifdef MINI_FAIL_nopage
	ud2                               /* an exception before REGISTER */
#endif

	/* 2: REGISTER the vCPU page */
	lea vcpu_page(%rip), %rbx
	movabs $VIRT_BASE, %rax
	sub %rax, %rbx
	shr $PAGE_SHIFT, %rbx             /* the page's frame */
	int $VEC_REGISTER
	mov %rax, %rsi
	cmpl $PAGE_MAGIC, vcpu_page + P_MAGIC(%rip)
	FAIL_IF ne
	push %rsi
	call ktap_header                  /* the console works from here */
	call report_start
	pop %rsi
	mov $2, %edi
	lea name_register(%rip), %rdx
	call report

	/* 3: SET_TRAP_TABLE */
	call build_gates
	movq $GPA(gates), vcpu_page + P_ARGS(%rip)
	movq $NR_GATES, vcpu_page + P_ARGS + 8(%rip)
	movq $FRAME_CS, vcpu_page + P_ARGS + 16(%rip)
	movq $FRAME_SS, vcpu_page + P_ARGS + 24(%rip)
	mov $HC_SET_TRAP_TABLE, %eax
	int $VEC_HCALL
	mov %rax, %rsi
	mov $3, %edi
	lea name_traps(%rip), %rdx
	call report

#if defined(MINI_FAIL) && !defined(MINI_FAIL_nopage)
	call fail_case
#endif

	/* 4: CONSOLE_WRITE "cpl3: hello" returns its length */
	lea hello(%rip), %rsi
	mov $hello_len, %edx
	call console
	xor %esi, %esi
	cmp $hello_len, %rax
	FAIL_IF ne
	mov $4, %edi
	lea name_console(%rip), %rdx
	call report

	/* 5: a hypercall keeps every register but rax */
	call check_regs_kept
	mov %eax, %esi
	mov $5, %edi
	lea name_regs(%rip), %rdx
	call report

	/* 6: mov %cr0 at CPL 3: #GP delivered with the frame the CPU pushes */
	lea 1f(%rip), %rax
	mov %rax, resume(%rip)
	mov %rsp, fault_rsp(%rip)
gp_insn:
	mov %cr0, %rax
1:	lea gp_rec(%rip), %rdi
	lea gp_insn(%rip), %rsi
	xor %edx, %edx                    /* error code 0 */
	call check_frame
	mov %eax, %esi
	mov $6, %edi
	lea name_gp(%rip), %rdx
	call report

	/* 7: a read of an unmapped page: #PF, cr2 in the vCPU page */
	lea 1f(%rip), %rax
	mov %rax, resume(%rip)
	mov %rsp, fault_rsp(%rip)
pf_insn:
	mov UNMAPPED_VA, %rax
1:	lea pf_rec(%rip), %rdi
	lea pf_insn(%rip), %rsi
	mov $PF_ERR_USER_READ_NP, %edx
	call check_frame
	mov %eax, %esi
	mov $UNMAPPED_VA, %ecx
	cmp %rcx, vcpu_page + P_CR2(%rip)
	FAIL_IF ne
	mov $7, %edi
	lea name_pf(%rip), %rdx
	call report

	/* 8: ud2: #UD, no error code in the frame */
	lea 1f(%rip), %rax
	mov %rax, resume(%rip)
	mov %rsp, fault_rsp(%rip)
ud_insn:
	ud2
1:	lea ud_rec(%rip), %rdi
	lea ud_insn(%rip), %rsi
	mov $-1, %rdx                     /* none */
	call check_frame
	mov %eax, %esi
	mov $8, %edi
	lea name_ud(%rip), %rdx
	call report

	/* 9: INT to a DPL 0 gate with a handler: #GP naming the IDT entry */
	lea 1f(%rip), %rax
	mov %rax, resume(%rip)
	mov %rsp, fault_rsp(%rip)
	movq $0, gp_rec + R_COUNT(%rip)
int_insn:
	int $VEC_SPARE
1:	lea gp_rec(%rip), %rdi
	lea int_insn(%rip), %rsi
	mov $-1, %rdx                     /* the error code: below */
	call check_frame
	mov %eax, %esi
	or spare_count(%rip), %rsi        /* its own handler never ran */
	mov gp_rec + R_ERR(%rip), %rax
	cmp $(VEC_SPARE << 3) | GP_ERR_IDT_BIT, %rax
	je 2f
	cmp $(VEC_SPARE << 4) | GP_ERR_IDT_BIT, %rax
	FAIL_IF ne
2:
	mov $9, %edi
	lea name_int(%rip), %rdx
	call report

	/* 10: FLUSH gates, all and one page: no exit, registers kept */
	movabs $CANARY, %rax
	xor %ebx, %ebx
	int $VEC_FLUSH
	lea vcpu_page(%rip), %rbx
	int $VEC_FLUSH
	movabs $CANARY, %rcx
	xor %esi, %esi
	cmp %rcx, %rax
	FAIL_IF ne
	mov $10, %edi
	lea name_flush(%rip), %rdx
	call report

	/* 11: the timer while vif is off: HALT returns with it pending */
	movq $VEC_TIMER, vcpu_page + P_ARGS(%rip)
	movq $TIMER_NS, vcpu_page + P_ARGS + 8(%rip)
	mov $HC_SET_TIMER, %eax
	int $VEC_HCALL
	mov %rax, %rsi
	movl $0, vcpu_page + P_VIF(%rip)
	int $VEC_HALT
	cmpb $1, vcpu_page + P_PENDING_ANY(%rip)
	FAIL_IF ne
	btq $VEC_TIMER, vcpu_page + P_PENDING(%rip)
	FAIL_IF nc
	cmpq $0, vcpu_page + P_DEFERRED(%rip)
	FAIL_IF e
	or ticks(%rip), %rsi              /* nothing delivered yet */
	mov $11, %edi
	lea name_pending(%rip), %rdx
	call report

	/* 12: vif on, EVENTS: the pending tick is delivered, IF set in its frame */
	movl $0x200, vcpu_page + P_VIF(%rip)
	int $VEC_EVENTS
	xor %esi, %esi
	cmpq $0, ticks(%rip)
	FAIL_IF e
	testq $RFLAGS_IF, timer_rflags(%rip)
	FAIL_IF z
	cmpl $0, vcpu_page + P_VIF(%rip)  /* the monitor turned vif off */
	FAIL_IF ne
	cmpq $0, vcpu_page + P_DELIVERED(%rip)
	FAIL_IF e
	mov $12, %edi
	lea name_events(%rip), %rdx
	call report

	/* 13: vif on, HALT (safe_halt): returns through the next tick */
	mov ticks(%rip), %rbx
	movl $0x200, vcpu_page + P_VIF(%rip)
	int $VEC_HALT
	xor %esi, %esi
	cmp ticks(%rip), %rbx
	FAIL_IF ae
	mov $13, %edi
	lea name_halt(%rip), %rdx
	call report

	/* 14: the timer stops */
	movq $VEC_TIMER, vcpu_page + P_ARGS(%rip)
	movq $0, vcpu_page + P_ARGS + 8(%rip)
	mov $HC_SET_TIMER, %eax
	int $VEC_HCALL
	mov %rax, %rsi
	mov $14, %edi
	lea name_stop(%rip), %rdx
	call report

	/* 15: MMU_UPDATE remaps a page: the next read through the old
	 * address sees the new frame; and back. (The monitor replays the
	 * write and flushes; nested here, pvhv's own write and the exit's
	 * TLB flush already make it visible: a monitor that skipped its
	 * flush was tried and still passed. Hosts that shadow page tables
	 * are where the replay and the flush matter.) */
	cmpq $MARK_A, scratch_a(%rip)     /* the old translation in the TLB */
	lea scratch_a(%rip), %rdi
	call pte_gpa
	mov %rax, pte_a(%rip)
	movabs $VIRT_BASE, %rsi
	mov (%rsi,%rax), %rax             /* the entry now */
	mov %rax, old_pte(%rip)
	movabs $~PTE_ADDR_MASK, %rdx
	and %rdx, %rax                    /* its flags, with scratch_b's frame */
	lea scratch_b(%rip), %rcx
	sub %rsi, %rcx
	or %rcx, %rax
	mov pte_a(%rip), %rcx
	call mmu_update
	mov %rax, %rsi
	cmpq $MARK_B, scratch_a(%rip)
	FAIL_IF ne
	mov pte_a(%rip), %rcx
	mov old_pte(%rip), %rax
	push %rsi
	call mmu_update
	pop %rsi
	or %rax, %rsi
	cmpq $MARK_A, scratch_a(%rip)
	FAIL_IF ne
	mov $15, %edi
	lea name_mmu(%rip), %rdx
	call report

	/* 16: NEW_BASEPTR of the live PML4: the monitor loads cr3 again */
	mov start_va(%rip), %rax
	mov S_PT_BASE(%rax), %rax
	shr $PAGE_SHIFT, %rax
	mov %rax, vcpu_page + P_ARGS(%rip)
	mov $HC_NEW_BASEPTR, %eax
	int $VEC_HCALL
	mov %rax, %rsi
	cmpq $MARK_A, scratch_a(%rip)     /* still running, still mapped */
	FAIL_IF ne
	mov $16, %edi
	lea name_baseptr(%rip), %rdx
	call report

	/* 17: three vectors held pending (KICK to itself while vif is off),
	 * 0x40 and 0x70 in word 1 of pending[], 0xf0 in word 3: each EVENTS
	 * delivers the highest, 0xf0 then 0x70 then 0x40, and pending_any
	 * follows */
	movq $0, spare_count(%rip)
	movl $0, vcpu_page + P_VIF(%rip)
	xor %esi, %esi
	mov $VEC_KICK_LOW, %eax
	call kick_self_or
	mov $VEC_KICK_HIGH, %eax
	call kick_self_or
	mov $VEC_SPARE, %eax
	call kick_self_or
	int $VEC_HALT                     /* vif off: back once something is pending */
	btq $VEC_KICK_LOW - 64, vcpu_page + P_PENDING + 8(%rip)
	FAIL_IF nc
	btq $VEC_KICK_HIGH - 64, vcpu_page + P_PENDING + 8(%rip)
	FAIL_IF nc
	btq $VEC_SPARE - 192, vcpu_page + P_PENDING + 24(%rip)
	FAIL_IF nc
	call events_on
	cmpq $1, spare_count(%rip)        /* 0xf0 first */
	FAIL_IF ne
	cmpq $0, kick_high_count(%rip)
	FAIL_IF ne
	call events_on
	cmpq $1, kick_high_count(%rip)    /* then 0x70 */
	FAIL_IF ne
	cmpq $0, kick_count(%rip)
	FAIL_IF ne
	cmpb $1, vcpu_page + P_PENDING_ANY(%rip)
	FAIL_IF ne
	call events_on
	cmpq $1, kick_count(%rip)         /* then 0x40 */
	FAIL_IF ne
	cmpq $0, vcpu_page + P_PENDING + 8(%rip)
	FAIL_IF ne
	mov vcpu_page + P_PENDING(%rip), %rax   /* pending_any: a stale tick at most */
	or vcpu_page + P_PENDING + 8(%rip), %rax
	or vcpu_page + P_PENDING + 16(%rip), %rax
	or vcpu_page + P_PENDING + 24(%rip), %rax
	setnz %al
	cmp vcpu_page + P_PENDING_ANY(%rip), %al
	FAIL_IF ne
	mov $17, %edi
	lea name_priority(%rip), %rdx
	call report

	/* "pvk: power off, status N" (what pvrun looks for), then POWER_OFF */
	lea off_msg(%rip), %rsi
	mov $off_msg_len, %edx
	call console
	mov first_failed(%rip), %rax
	call print_number
	call newline
	mov first_failed(%rip), %rax
	mov %rax, vcpu_page + P_ARGS(%rip)
	mov $HC_POWER_OFF, %eax
	int $VEC_HCALL
1:	jmp 1b

/* ---- helpers --------------------------------------------------------- */

/* kick_self_or: KICK(vCPU 0, vector eax); its result or'ed into rsi. */
kick_self_or:
	movq $0, vcpu_page + P_ARGS(%rip)
	mov %rax, vcpu_page + P_ARGS + 8(%rip)
	mov $HC_KICK, %eax
	int $VEC_HCALL
	or %rax, %rsi
	ret

/* events_on: vif on, then EVENTS (what a kernel's irq enable does). */
events_on:
	movl $0x200, vcpu_page + P_VIF(%rip)
	int $VEC_EVENTS
	ret

/* mmu_update: MMU_UPDATE(entry gpa rcx, value rax); rax = the result. */
mmu_update:
	mov %rcx, vcpu_page + P_ARGS(%rip)
	mov %rax, vcpu_page + P_ARGS + 8(%rip)
	mov $HC_MMU_UPDATE, %eax
	int $VEC_HCALL
	ret

/* pte_gpa: the gpa of the level-1 entry mapping va rdi, walked from the
 * start record's PML4 through the read-only map of the tables. */
pte_gpa:
	mov start_va(%rip), %rax
	mov S_PT_BASE(%rax), %rax         /* the PML4 */
	movabs $VIRT_BASE, %rsi
	mov $PML4_SHIFT, %ecx
1:	mov %rdi, %rdx
	shr %cl, %rdx
	and $PT_INDEX_MASK, %edx
	lea (%rax,%rdx,8), %rax           /* this level's entry */
	cmp $PAGE_SHIFT, %ecx
	je 2f
	mov (%rsi,%rax), %rax
	movabs $PTE_ADDR_MASK, %rdx
	and %rdx, %rax                    /* the next table */
	sub $PT_LEVEL_BITS, %ecx
	jmp 1b
2:	ret

#if defined(MINI_FAIL) && !defined(MINI_FAIL_nopage)
/* The failure variants (build/tests/cpl3-mini-*.elf): each does one
 * thing the monitor cannot deliver, after saying which; pvhv must stop
 * the VM with the monitor's report (exit 70), so the power-off below
 * is never reached. (MINI_FAIL_nopage fails before the console works.) */
fail_case:
	lea expect(%rip), %rsi
	mov $expect_len, %edx
	call console
#if defined(MINI_FAIL_unmapped)
	mov $UNMAPPED_VA, %rsp            /* a stack with no page */
	ud2
#elif defined(MINI_FAIL_noncanon)
	movabs $NONCANONICAL_VA, %rsp     /* the frame's writes: #GP in ring 0 */
	ud2
#elif defined(MINI_FAIL_slot)
	movabs $MONITOR_BASE + MONITOR_TRAPS, %rsp   /* the monitor's own pages */
	ud2
#elif defined(MINI_FAIL_ro)
	mov start_va(%rip), %rax          /* the initial page tables: read-only */
	mov S_PT_BASE(%rax), %rsp
	movabs $VIRT_BASE + PAGE_SIZE, %rax
	add %rax, %rsp                    /* the top of the PML4 */
	ud2
#elif defined(MINI_FAIL_nohandler)
	xor %ecx, %ecx
	div %ecx                          /* #DE: no handler */
#else
#error "unknown MINI_FAIL_ variant"
#endif
	ret
#endif

/* console: CONSOLE_WRITE rdx bytes at rsi. rax = the result. */
console:
	movabs $VIRT_BASE, %rax
	sub %rax, %rsi
	mov %rsi, vcpu_page + P_ARGS(%rip)
	mov %rdx, vcpu_page + P_ARGS + 8(%rip)
	mov $HC_CONSOLE_WRITE, %eax
	int $VEC_HCALL
	ret

newline:
	lea nl(%rip), %rsi
	mov $1, %edx
	jmp console

ktap_header:
	lea header(%rip), %rsi
	mov $header_len, %edx
	jmp console

/* print_number: rax (0..99) in decimal. */
print_number:
	lea numbuf(%rip), %rsi
	mov $10, %ecx
	xor %edx, %edx
	div %rcx                          /* rax tens, rdx units */
	test %eax, %eax
	jz 1f
	add $'0', %al
	mov %al, (%rsi)
	inc %rsi
1:	add $'0', %dl
	mov %dl, (%rsi)
	inc %rsi
	lea numbuf(%rip), %rdx
	sub %rdx, %rsi
	mov %rsi, %rdx                    /* length */
	lea numbuf(%rip), %rsi
	jmp console

/* print_hex: rax as 16 hex digits. */
print_hex:
	lea numbuf(%rip), %rsi
	mov $16, %ecx
1:	rol $4, %rax
	mov %eax, %edx
	and $0xf, %edx
	cmp $10, %edx
	jb 2f
	add $'a' - '0' - 10, %edx
2:	add $'0', %edx
	mov %dl, (%rsi)
	inc %rsi
	dec %ecx
	jnz 1b
	lea numbuf(%rip), %rsi
	mov $16, %edx
	jmp console

/* report: check edi (1..99) passed if rsi == 0; rdx = its name (NUL
 * terminated). Prints "ok N name", or "# failed: <rsi in hex>" and
 * "not ok N name"; the first failure becomes the power-off status. */
report:
	push %rdi
	push %rdx
	test %rsi, %rsi
	jz 1f
	cmpq $0, first_failed(%rip)
	jne 2f
	mov %rdi, first_failed(%rip)
2:	push %rsi
	lea diag_str(%rip), %rsi
	mov $diag_len, %edx
	call console
	pop %rax
	call print_hex
	call newline
	lea not_str(%rip), %rsi
	mov $4, %edx
	call console
1:	lea ok_str(%rip), %rsi
	mov $3, %edx
	call console
	mov 8(%rsp), %rax
	call print_number
	lea space(%rip), %rsi
	mov $1, %edx
	call console
	mov (%rsp), %rsi                  /* the name's length */
	mov %rsi, %rdx
3:	cmpb $0, (%rdx)
	je 4f
	inc %rdx
	jmp 3b
4:	sub %rsi, %rdx
	call console
	call newline
	pop %rdx
	pop %rdi
	ret

/* report0: check 1 comes before the console: keep its outcome for
 * report_start. */
report0:
	mov %rsi, start_failed(%rip)
	ret

report_start:
	mov start_failed(%rip), %rsi
	mov $1, %edi
	lea name_start(%rip), %rdx
	jmp report

/* build_gates: an IDT-format gate array with a present gate for each
 * handler of the mini kernel. */
build_gates:
	lea gates(%rip), %rdi
	mov $VEC_GP, %eax
	lea h_gp(%rip), %rsi
	call set_gate
	mov $VEC_PF, %eax
	lea h_pf(%rip), %rsi
	call set_gate
	mov $VEC_UD, %eax
	lea h_ud(%rip), %rsi
	call set_gate
	mov $VEC_TIMER, %eax
	lea h_timer(%rip), %rsi
	call set_gate
	mov $VEC_KICK_LOW, %eax
	lea h_kick(%rip), %rsi
	call set_gate
	mov $VEC_KICK_HIGH, %eax
	lea h_kick_high(%rip), %rsi
	call set_gate
	mov $VEC_SPARE, %eax
	lea h_spare(%rip), %rsi
	jmp set_gate

/* set_gate: gate eax of the array at rdi -> rsi (offset 15:0 at 0, 31:16
 * at 6, 63:32 at 8; present). */
set_gate:
	shl $4, %eax
	add %rdi, %rax
	mov %si, (%rax)
	movw $KERNEL_CS, 2(%rax)
	movb $GATE_PRESENT | 0x0e, 5(%rax)
	mov %rsi, %rcx
	shr $16, %rcx
	mov %cx, 6(%rax)
	shr $16, %rcx
	mov %ecx, 8(%rax)
	ret

/* check_regs_kept: a NOP hypercall; eax = 0 if rbx rcx rdx rsi rdi rbp
 * r8-r15 came back unchanged and rax (the result) is 0. */
check_regs_kept:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	movabs $CANARY, %rbx
	mov %rbx, %rcx
	mov %rbx, %rdx
	mov %rbx, %rsi
	mov %rbx, %rdi
	mov %rbx, %rbp
	mov %rbx, %r8
	mov %rbx, %r9
	mov %rbx, %r10
	mov %rbx, %r11
	mov %rbx, %r12
	mov %rbx, %r13
	mov %rbx, %r14
	mov %rbx, %r15
	mov $HC_NOP, %eax
	int $VEC_HCALL
	xor %rbx, %rcx
	xor %rbx, %rdx
	xor %rbx, %rsi
	xor %rbx, %rdi
	xor %rbx, %rbp
	xor %rbx, %r8
	xor %rbx, %r9
	xor %rbx, %r10
	xor %rbx, %r11
	xor %rbx, %r12
	xor %rbx, %r13
	xor %rbx, %r14
	xor %rbx, %r15
	or %rcx, %rax
	or %rdx, %rax
	or %rsi, %rax
	or %rdi, %rax
	or %rbp, %rax
	or %r8, %rax
	or %r9, %rax
	or %r10, %rax
	or %r11, %rax
	or %r12, %rax
	or %r13, %rax
	or %r14, %rax
	or %r15, %rax
	movabs $CANARY, %rcx
	cmp %rcx, %rbx
	setne %cl
	movzbl %cl, %ecx
	or %rcx, %rax
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* check_frame: the record at rdi against a fault at rip rsi with error
 * code rdx (-1: none pushed) taken with rsp = fault_rsp: one delivery,
 * rip, cs/ss the frame selectors, rflags.IF = vif (0), rsp the
 * interrupted one, the frame right under the 16-aligned top. eax = 0 if
 * all hold, else a bit per part that does not (printed by report). */
check_frame:
	xor %eax, %eax
	cmpq $1, R_COUNT(%rdi)
	setne %al                         /* bit 0: not exactly one delivery */
	movq $0, R_COUNT(%rdi)
	xor %r8d, %r8d
	cmp %rsi, R_RIP(%rdi)
	setne %r8b
	shl $1, %r8d                      /* bit 1: rip */
	or %r8d, %eax
	xor %r8d, %r8d
	cmpq $FRAME_CS, R_CS(%rdi)
	setne %r8b
	shl $2, %r8d                      /* bit 2: cs */
	or %r8d, %eax
	xor %r8d, %r8d
	cmpq $FRAME_SS, R_SS(%rdi)
	setne %r8b
	shl $3, %r8d                      /* bit 3: ss */
	or %r8d, %eax
	xor %r8d, %r8d
	testq $RFLAGS_IF, R_RFLAGS(%rdi)
	setnz %r8b
	shl $4, %r8d                      /* bit 4: IF set while vif was off */
	or %r8d, %eax
	mov fault_rsp(%rip), %rcx
	xor %r8d, %r8d
	cmp %rcx, R_RSP(%rdi)
	setne %r8b
	shl $5, %r8d                      /* bit 5: the interrupted rsp */
	or %r8d, %eax
	and $-16, %rcx
	sub $40, %rcx                     /* ss rsp rflags cs, then rip */
	xor %r8d, %r8d
	cmp %rcx, R_RIPADDR(%rdi)
	setne %r8b
	shl $6, %r8d                      /* bit 6: where the frame is */
	or %r8d, %eax
	cmp $-1, %rdx
	je 1f
	xor %r8d, %r8d
	cmp %rdx, R_ERR(%rdi)
	setne %r8b
	shl $7, %r8d                      /* bit 7: the error code */
	or %r8d, %eax
1:	ret

/* ---- the handlers ------------------------------------------------------
 * Each records its frame in its struct rec and resumes at `resume` (a
 * fault) with the real selectors back in the frame. */
h_gp:
	push %rax
	lea gp_rec(%rip), %rax
	jmp record_err
h_pf:
	push %rax
	lea pf_rec(%rip), %rax
	jmp record_err
h_ud:
	push $-1                          /* no error code: the same layout */
	push %rax
	lea ud_rec(%rip), %rax
	jmp record_err

/* rsp: saved rax, err, rip, cs, rflags, rsp, ss; rax = the record. */
record_err:
	push %rcx
	lea 24(%rsp), %rcx                /* where the frame's rip is */
	mov %rcx, R_RIPADDR(%rax)
	mov 16(%rsp), %rcx
	mov %rcx, R_ERR(%rax)
	mov 24(%rsp), %rcx
	mov %rcx, R_RIP(%rax)
	mov 32(%rsp), %rcx
	mov %rcx, R_CS(%rax)
	mov 40(%rsp), %rcx
	mov %rcx, R_RFLAGS(%rax)
	mov 48(%rsp), %rcx
	mov %rcx, R_RSP(%rax)
	mov 56(%rsp), %rcx
	mov %rcx, R_SS(%rax)
	incq R_COUNT(%rax)
	mov resume(%rip), %rcx
	mov %rcx, 24(%rsp)
	movq $KERNEL_CS, 32(%rsp)
	movq $KERNEL_SS, 56(%rsp)
	pop %rcx
	pop %rax
	add $8, %rsp                      /* the error code */
	iretq

/* The timer: count, keep the frame's rflags, return where it came. */
h_timer:
	incq ticks(%rip)
	push %rax
	mov 24(%rsp), %rax
	mov %rax, timer_rflags(%rip)
	movq $KERNEL_CS, 16(%rsp)
	movq $KERNEL_SS, 40(%rsp)
	pop %rax
	iretq

h_kick:
	incq kick_count(%rip)
	movq $KERNEL_CS, 8(%rsp)
	movq $KERNEL_SS, 32(%rsp)
	iretq

h_kick_high:
	incq kick_high_count(%rip)
	movq $KERNEL_CS, 8(%rsp)
	movq $KERNEL_SS, 32(%rsp)
	iretq

h_spare:
	incq spare_count(%rip)
	movq $KERNEL_CS, 8(%rsp)
	movq $KERNEL_SS, 32(%rsp)
	iretq

/* ---- data ---------------------------------------------------------------- */
	.section .rodata
header:	.ascii "KTAP version 1\n1..17\n"        /* the plan: 17 checks */
	.set header_len, . - header
hello:	.ascii "cpl3: hello\n"
	.set hello_len, . - hello
expect:	.ascii "cpl3: the next event cannot be delivered: pvhv must stop (exit 70)\n"
	.set expect_len, . - expect
off_msg: .ascii "pvk: power off, status "
	.set off_msg_len, . - off_msg
not_str: .ascii "not "
diag_str: .ascii "# failed: "
	.set diag_len, . - diag_str
ok_str:	.ascii "ok "
space:	.ascii " "
nl:	.ascii "\n"
name_start:	.asciz "cpl3_mini_start_record"
name_register:	.asciz "cpl3_mini_register"
name_traps:	.asciz "cpl3_mini_trap_table"
name_console:	.asciz "cpl3_mini_console"
name_regs:	.asciz "cpl3_mini_hcall_keeps_regs"
name_gp:	.asciz "cpl3_mini_gp"
name_pf:	.asciz "cpl3_mini_pf"
name_ud:	.asciz "cpl3_mini_ud"
name_int:	.asciz "cpl3_mini_int_dpl0_gate"
name_flush:	.asciz "cpl3_mini_flush"
name_pending:	.asciz "cpl3_mini_timer_pending"
name_events:	.asciz "cpl3_mini_events"
name_halt:	.asciz "cpl3_mini_safe_halt"
name_stop:	.asciz "cpl3_mini_timer_stop"
name_mmu:	.asciz "cpl3_mini_mmu_update_replayed"
name_baseptr:	.asciz "cpl3_mini_new_baseptr"
name_priority:	.asciz "cpl3_mini_pending_priority"

	.data
	.balign PAGE_SIZE
vcpu_page:	.fill PAGE_SIZE, 1, 0
scratch_a:	.quad MARK_A
	.balign PAGE_SIZE
scratch_b:	.quad MARK_B
	.balign PAGE_SIZE
gates:		.fill NR_GATES * GATE_SIZE, 1, 0
stack:		.fill 2 * PAGE_SIZE, 1, 0
stack_top:
	.balign 8
gp_rec:		.fill R_SIZE, 1, 0
pf_rec:		.fill R_SIZE, 1, 0
ud_rec:		.fill R_SIZE, 1, 0
start_va:	.quad 0
pte_a:		.quad 0
old_pte:	.quad 0
resume:		.quad 0
fault_rsp:	.quad 0
ticks:		.quad 0
timer_rflags:	.quad 0
spare_count:	.quad 0
kick_count:	.quad 0
kick_high_count: .quad 0
first_failed:	.quad 0
start_failed:	.quad 0
numbuf:		.fill 16, 1, 0

	.section .note.GNU-stack, "", @progbits
