/*
 * user.c - the architecture's half of user mode: SYSCALL's MSRs, SMEP
 * and SMAP, the TSS's rsp0, and the C end of entry.S's paths to and from
 * ring 3 (the process model itself is generic: kernel/proc.c).
 */
#include <paravirt.h>
#include <printk.h>
#include <proc.h>
#include <syscall.h>
#include <uvm.h>
#include <abi/syscall.h>
#include <asm/segment.h>
#include <asm/smp.h>
#include <asm/trap_frame.h>
#include <asm/user.h>
#include <asm/x86_bits.h>

/* What SYSCALL clears in rflags: interrupts (entry.S turns them on once
 * on the kernel stack), single-step, direction, AC (SMAP holds in the
 * kernel until a stac), nested task. */
#define SYSCALL_RFLAGS_MASK (X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_DF | \
			     X86_EFLAGS_AC | X86_EFLAGS_NT)

static u32 cpuid7_ebx(void)
{
	struct cpuid_regs r;

	cpuid(0, 0, &r);
	if (r.eax < CPUID_LEAF_EXT_FEATURES)
		return 0;
	cpuid(CPUID_LEAF_EXT_FEATURES, 0, &r);
	return r.ebx;
}

bool cpu_has_smap(void) { return (cpuid7_ebx() & CPUID_7_EBX_SMAP) != 0; }
bool cpu_has_smep(void) { return (cpuid7_ebx() & CPUID_7_EBX_SMEP) != 0; }

struct user_exits user_exits;

/* PARAVIRT=0's stac/clac look here (nopv paravirt.h). */
bool nopv_smap;

void native_load_sp0(unsigned long sp0)
{
	cpu_tss[this_cpu()->cpu].rsp[0] = sp0;
}

static bool cpu_has_pcid(void)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	return (r.ecx & CPUID_1_ECX_PCID) != 0;
}

static cpumask_t user_ready;          /* CPUs where user_mode_init_cpu ran */

bool user_mode_ready(int cpu)
{
	return cpu >= 0 && cpu < SMP_MAX_CPUS && (user_ready >> cpu & 1);
}

void user_mode_init_cpu(int cpu)
{
	unsigned long cr4 = read_cr4();
	bool pcid;

	if (entry_syscall_stubs_end - entry_syscall_stubs != SMP_MAX_CPUS * SYSCALL_STUB_SIZE)
		panic("user_mode_init_cpu: entry.S has %ld bytes of syscall stubs, not %d",
		      (long)(entry_syscall_stubs_end - entry_syscall_stubs),
		      SMP_MAX_CPUS * SYSCALL_STUB_SIZE);
	wrmsr(MSR_STAR, (u64)KERNEL_CS << STAR_SYSCALL_CS_SHIFT |
			(u64)USER32_CS << STAR_SYSRET_BASE_SHIFT);
	wrmsr(MSR_LSTAR, (u64)entry_syscall_stubs + (u64)cpu * SYSCALL_STUB_SIZE);
	wrmsr(MSR_SYSCALL_MASK, SYSCALL_RFLAGS_MASK);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	if (cpu_has_smep())
		cr4 |= CR4_SMEP;
	if (cpu_has_smap()) {
		cr4 |= CR4_SMAP;
		nopv_smap = true;
	}
	write_cr4(cr4);
	/* PCIDs: CR4.PCIDE may be set only while cr3's PCID bits are 0 */
	pcid = cpu_has_pcid() && !(read_cr3() & (PAGE_SIZE - 1));
	if (pcid)
		write_cr4(cr4 | CR4_PCIDE);
	uvm_pcid_init_cpu(cpu, pcid);
	__atomic_or_fetch(&user_ready, 1u << cpu, __ATOMIC_RELEASE);
}

void syscall_dispatch(struct trap_frame *f)
{
	f->rax = (u64)syscall_do(f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
}

/* Is va canonical in the lower half, where a user rip may be? */
static bool user_canonical(u64 va)
{
	return va < USER_TOP;
}

/*
 * The last C on the way out to ring 3, interrupts off: switch while a
 * tick asked for it, end the process if the kernel asked for that. Then
 * say whether sysretq may return: only for a system call's frame, as
 * entry.S built it (user CS and SS); any other goes out through iretq.
 * A non-canonical rip goes out through neither: sysretq would fault in
 * ring 0 on Intel with the user's rsp loaded, iretq in ring 0 with the
 * user's GS. The process is killed with the #GP ring 3 would have seen.
 */
int exit_to_user_mode(struct trap_frame *f)
{
	bool sysret;

	proc_return_to_user();
	if (!user_canonical(f->rip)) {
		__atomic_fetch_add(&user_exits.noncanonical, 1, __ATOMIC_RELAXED);
		/* only a syscall at the very top of user space gets here
		 * (its return address is USER_TOP): what the CPU would do
		 * in ring 3 with that rip, #GP */
		proc_kill_fault(X86_TRAP_GP, "general protection (return rip not canonical)",
				f->rip, 0, false, 0);
	}
	sysret = f->vector == SYSCALL_FRAME_VECTOR && f->cs == USER_CS && f->ss == USER_DS;
	__atomic_fetch_add(sysret ? &user_exits.sysret : &user_exits.iret, 1,
			   __ATOMIC_RELAXED);
	return sysret;
}

noreturn void arch_enter_user(u64 rip, u64 rsp)
{
	struct trap_frame f = {
		.rip = rip,
		.cs = USER_CS,
		.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF,
		.rsp = rsp,
		.ss = USER_DS,
	};

	enter_user_mode(&f);
}

bool user_demand_fault(struct trap_frame *f)
{
	bool from_user = (f->cs & SEL_RPL_MASK) != 0;

	if (f->cr2 >= USER_TOP || (f->error & PF_PRESENT))
		return false;
	if (!from_user && !probe_at(f->rip))
		return false;             /* the kernel itself: a bug, reported */
	return proc_demand_fault(f->cr2, (f->error & PF_WRITE) != 0,
				 (f->error & PF_INSTR) != 0);
}

noreturn void user_fault_kill(struct trap_frame *f, const char *name)
{
	proc_kill_fault((int)f->vector, name, f->rip, f->cr2,
			f->vector == X86_TRAP_PF, f->error);
}

long copy_from_user(void *dst, const void *usrc, u64 n)
{
	long r;

	if (!user_range_ok((u64)usrc, n))
		return -SYS_EFAULT;
	stac();
	r = __copy_user(dst, usrc, n);
	clac();
	return r ? -SYS_EFAULT : 0;
}

long copy_to_user(void *udst, const void *src, u64 n)
{
	long r;

	if (!user_range_ok((u64)udst, n))
		return -SYS_EFAULT;
	stac();
	r = __copy_user(udst, src, n);
	clac();
	return r ? -SYS_EFAULT : 0;
}

long strncpy_from_user(char *dst, const char *usrc, u64 n)
{
	u64 room = USER_TOP - (u64)usrc;
	long r;

	if ((u64)usrc >= USER_TOP)
		return -SYS_EFAULT;
	stac();
	r = __strncpy_user(dst, usrc, n < room ? n : room);
	clac();
	if (r < 0)
		return -SYS_EFAULT;
	if ((u64)r == room && room < n)
		return -SYS_EFAULT;       /* ran into the end of user memory */
	return r;
}
