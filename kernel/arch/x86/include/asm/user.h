/*
 * user.h - the architecture's half of user mode: the TSS each CPU enters
 * ring 0 through, the SYSCALL entry stubs (entry.S), the MSRs and CR4
 * bits user mode needs, and the hooks entry.S calls (kernel/arch/x86/user.c).
 */
#ifndef ASM_USER_H
#define ASM_USER_H

/* The vector a system call's frame carries: no IDT vector has it, so a
 * frame says whether it came from `syscall` or from the IDT. */
#define SYSCALL_FRAME_VECTOR 0x100

/* Each CPU's SYSCALL entry stub (entry.S) is this long, the stubs one
 * after the other from entry_syscall_stubs: LSTAR = the CPU's own. */
#define SYSCALL_STUB_SIZE 32

#ifndef __ASSEMBLER__
#include <types.h>

struct trap_frame;

/* The 64-bit TSS (SDM 3A 8.7): rsp[0] is where ring 3 enters ring 0;
 * entry.S's SYSCALL stubs read it too, and keep the user's rsp in rsp[2]
 * a moment (ring 2 is never used), as Linux does with its sp2. */
struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3, iomap_base;
} __attribute__((packed));

extern struct tss cpu_tss[];

/* native_load_sp0 - the native cpu.load_sp0: this CPU's TSS rsp0. */
void native_load_sp0(unsigned long sp0);

/* cpu_has_smap, cpu_has_smep - what CPUID leaf 7 says. */
bool cpu_has_smap(void);
bool cpu_has_smep(void);

/*
 * user_mode_init_cpu - make CPU `cpu` ready for ring 3: SYSCALL on
 * (EFER.SCE; STAR's selectors, LSTAR its own entry stub, the rflags mask
 * IF TF DF AC NT), the user GS base swapgs brings in zero, and SMEP and
 * SMAP on where CPUID has them (CR4 through the pv op). Every CPU,
 * from trap_init and trap_init_cpu.
 */
void user_mode_init_cpu(int cpu);

/* user_mode_ready - has user_mode_init_cpu run on `cpu`? Not where the
 * kernel does not own ring 3 (at CPL 3 under pvhv, where it runs there
 * itself): processes cannot be started on that CPU. */
bool user_mode_ready(int cpu);

/* What entry.S calls (never C): */
void syscall_dispatch(struct trap_frame *f);
int exit_to_user_mode(struct trap_frame *f);
noreturn void enter_user_mode(struct trap_frame *f);
extern const char entry_syscall_stubs[], entry_syscall_stubs_end[];

/* What trap_dispatch asks (user.c): a page fault on a demand-zero page
 * of the running process (from ring 3, or from a user copy) is mended,
 * true; any exception from ring 3 that is not ends its process. */
bool user_demand_fault(struct trap_frame *f);
noreturn void user_fault_kill(struct trap_frame *f, const char *name);
/* probe_at - traps.c: has a fault at rip a fixup (a probe, a user copy)? */
bool probe_at(u64 rip);

/* User copies with an exception-table fixup (entry.S): 0, or -1 when a
 * byte faulted. __strncpy_user returns the string's length when its NUL
 * is among the first n bytes, n when not, -1 on a fault. */
long __copy_user(void *dst, const void *src, u64 n);
long __strncpy_user(char *dst, const char *src, u64 n);
#endif

#endif /* ASM_USER_H */
