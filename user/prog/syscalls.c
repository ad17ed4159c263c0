/*
 * syscalls: every system call's plain answer, and the register contract
 * of abi/syscall.h: the result in %rax, the return address in %rcx and
 * RFLAGS in %r11 (what `syscall` put there), every other register as it
 * was. Exits 0, or 1 + k when check k failed.
 */
#include <ulib.h>

/* What regs_across_syscall saw just after `syscall`. Its assembly below
 * fills the registers in this order: keep them together. */
struct regs_seen {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rflags_before;      /* pushfq's RFLAGS just before `syscall` */
	u64 ret_addr;           /* the address of the instruction after it */
};
_Static_assert(__builtin_offsetof(struct regs_seen, r15) == 14 * 8, "regs_seen");
_Static_assert(__builtin_offsetof(struct regs_seen, rflags_before) == 120, "regs_seen");
_Static_assert(__builtin_offsetof(struct regs_seen, ret_addr) == 128, "regs_seen");

/* The values loaded before `syscall`: every byte differs from the other
 * registers' and the high halves are set, so a register truncated, swapped
 * or zeroed by the kernel shows. */
#define PAT_RBX 0xb1b2b3b4b5b6b7b8
#define PAT_RDX 0xd1d2d3d4d5d6d7d8
#define PAT_RSI 0x5152535455565758
#define PAT_RDI 0x6162636465666768
#define PAT_RBP 0xbabbbcbdbebfb0b9
#define PAT_R8  0x8182838485868788
#define PAT_R9  0x9192939495969798
#define PAT_R10 0xa1a2a3a4a5a6a7a8
#define PAT_R12 0xc1c2c3c4c5c6c7c8
#define PAT_R13 0xe1e2e3e4e5e6e7e8
#define PAT_R14 0xf1f2f3f4f5f6f7f8
#define PAT_R15 0x7172737475767778
#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * void regs_across_syscall(struct regs_seen *out, u64 nr): loads the
 * patterns into every register but %rax (nr), %rcx, %r11 and %rsp, makes
 * system call nr, and stores all fifteen registers as they came back,
 * with RFLAGS from just before the call and the address the call returns
 * to. Only moves between pushfq and `syscall`, so RFLAGS is what the CPU
 * copies into %r11. The stack holds out while the patterns are loaded.
 */
void regs_across_syscall(struct regs_seen *out, u64 nr);
__asm__(
	"	.text\n"
	"	.globl regs_across_syscall\n"
	"	.type regs_across_syscall, @function\n"
	"regs_across_syscall:\n"
	"	push %rbx\n"
	"	push %rbp\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	push %rdi\n"
	"	mov %rsi, %rax\n"
	"	movabs $" STR(PAT_RBX) ", %rbx\n"
	"	movabs $" STR(PAT_RDX) ", %rdx\n"
	"	movabs $" STR(PAT_RSI) ", %rsi\n"
	"	movabs $" STR(PAT_RDI) ", %rdi\n"
	"	movabs $" STR(PAT_RBP) ", %rbp\n"
	"	movabs $" STR(PAT_R8) ", %r8\n"
	"	movabs $" STR(PAT_R9) ", %r9\n"
	"	movabs $" STR(PAT_R10) ", %r10\n"
	"	movabs $" STR(PAT_R12) ", %r12\n"
	"	movabs $" STR(PAT_R13) ", %r13\n"
	"	movabs $" STR(PAT_R14) ", %r14\n"
	"	movabs $" STR(PAT_R15) ", %r15\n"
	"	pushfq\n"
	"	syscall\n"
	"1:	push %r15\n"
	"	push %r14\n"
	"	push %r13\n"
	"	push %r12\n"
	"	push %r11\n"
	"	push %r10\n"
	"	push %r9\n"
	"	push %r8\n"
	"	push %rbp\n"
	"	push %rdi\n"
	"	push %rsi\n"
	"	push %rdx\n"
	"	push %rcx\n"
	"	push %rbx\n"
	"	push %rax\n"
	/* 15 registers at 0..112(%rsp), RFLAGS at 120, out at 128 */
	"	mov 128(%rsp), %rdi\n"
	"	popq 0(%rdi)\n"
	"	popq 8(%rdi)\n"
	"	popq 16(%rdi)\n"
	"	popq 24(%rdi)\n"
	"	popq 32(%rdi)\n"
	"	popq 40(%rdi)\n"
	"	popq 48(%rdi)\n"
	"	popq 56(%rdi)\n"
	"	popq 64(%rdi)\n"
	"	popq 72(%rdi)\n"
	"	popq 80(%rdi)\n"
	"	popq 88(%rdi)\n"
	"	popq 96(%rdi)\n"
	"	popq 104(%rdi)\n"
	"	popq 112(%rdi)\n"
	"	popq 120(%rdi)\n"
	"	lea 1b(%rip), %rax\n"
	"	mov %rax, 128(%rdi)\n"
	"	pop %rdi\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbp\n"
	"	pop %rbx\n"
	"	ret\n"
	"	.size regs_across_syscall, . - regs_across_syscall\n");

struct reg_check {
	const char *what;
	size_t offset;
	u64 pattern;
};

#define REG(name, pat) { #name " preserved across syscall", \
			 __builtin_offsetof(struct regs_seen, name), pat }
static const struct reg_check callee_saved[] = {
	REG(rbx, PAT_RBX), REG(rbp, PAT_RBP), REG(r12, PAT_R12),
	REG(r13, PAT_R13), REG(r14, PAT_R14), REG(r15, PAT_R15),
};
static const struct reg_check arguments[] = {
	REG(rdi, PAT_RDI), REG(rsi, PAT_RSI), REG(rdx, PAT_RDX),
	REG(r10, PAT_R10), REG(r8, PAT_R8), REG(r9, PAT_R9),
};

static u64 seen_reg(const struct regs_seen *r, size_t offset)
{
	return *(const u64 *)((const u8 *)r + offset);
}

/* Check k: every register of set[] came back as loaded. */
static void check_regs(int k, const struct regs_seen *r,
		       const struct reg_check *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (seen_reg(r, set[i].offset) != set[i].pattern)
			check_failed(PROG_NAME, k, set[i].what,
				     seen_reg(r, set[i].offset));
}

int main(void)
{
	static const char five[5] = { 'f', 'i', 'v', 'e', '\n' };
	/* The register contract on three paths: a plain call, one that
	 * switches threads, and an unknown number (pid: getpid's result). */
	static const struct { u64 nr; s64 result; } calls[] = {
		{ SYS_getpid, 0 }, { SYS_yield, 0 }, { SYS_NR, -SYS_ENOSYS },
	};
	struct regs_seen r;
	s64 pid = sys_getpid();

	CHECK(1, pid > 0, pid);
	CHECK_EQ(2, sys_yield(), 0);
	CHECK_EQ(3, sys_sleep(1), 0);
	CHECK_EQ(4, sys_getpid(), pid);

	/* %rax is the number, all 64 bits of it */
	CHECK_EQ(5, syscall0(SYS_NR), -SYS_ENOSYS);
	CHECK_EQ(6, syscall0(0x7fffffff), -SYS_ENOSYS);
	CHECK_EQ(7, syscall0(~0ul), -SYS_ENOSYS);
	CHECK_EQ(8, syscall0((1ul << 32) | SYS_getpid), -SYS_ENOSYS);

	CHECK_EQ(9, sys_write(five, 0), 0);
	CHECK_EQ(10, sys_write(five, sizeof(five)), sizeof(five));

	for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
		regs_across_syscall(&r, calls[i].nr);
		CHECK_EQ(11, r.rax, calls[i].nr == SYS_getpid ? pid : calls[i].result);
		check_regs(12, &r, callee_saved, ARRAY_SIZE(callee_saved));
		check_regs(13, &r, arguments, ARRAY_SIZE(arguments));
		CHECK_EQ(14, r.rcx, r.ret_addr);
		CHECK_EQ(15, r.r11, r.rflags_before);
	}

	printf("syscalls: ok, pid %ld\n", (long)pid);
	return 0;
}
