/*
 * proc.h - user processes (kernel/proc.c): a process is a kernel thread
 * (sched.h, pinned to its CPU) with a user context: a pid, its parent, an
 * exit status, and its own address space (uvm.h) that every switch to
 * the thread makes live, with the TSS's rsp0 at the thread's stack top.
 */
#ifndef PVK_PROC_H
#define PVK_PROC_H

#include <types.h>
#include <user_programs.h>

struct thread;

/* Processes alive or not yet waited for, at most: SYS_spawn beyond
 * gives -SYS_EAGAIN (each takes a thread of the pool, sched.h). */
#define PROC_MAX        16
/* Pages a process may have mapped (image, stack, mmap), at most: a
 * demand fault beyond kills it as a #PF, mmap is refused -SYS_ENOMEM. */
#define PROC_MAX_PAGES  1024
/* Regions (image text, image data, stack, mmaps) a process may have. */
#define PROC_MAX_REGIONS 16
/* The status of a process the kernel ended (proc_kill), not a fault. */
#define PROC_STATUS_KILLED_BY_KERNEL (SYS_STATUS_KILLED | 0xff)

/*
 * proc_spawn - a new process running `prog` on CPU `cpu` (online), child
 * of process `parent` (0: the kernel). Its pid, or a negative SYS_E*:
 * -SYS_ENOSYS where the CPU has no user mode (user_mode_ready),
 * -SYS_EAGAIN at PROC_MAX or with no thread left, -SYS_ENOMEM without
 * memory for its image, -SYS_EINVAL for a CPU not online or a program
 * that does not fit.
 */
int proc_spawn(const struct user_program *prog, int cpu, int parent);

/* proc_find_program - the built-in program called `name`, or NULL. */
const struct user_program *proc_find_program(const char *name);

/* proc_next_cpu - the next online CPU, round robin (SYS_spawn's placement). */
int proc_next_cpu(void);

/*
 * proc_wait - wait (blocked) until process `pid`, a child of `parent`
 * not waited for yet, has ended; its status, the process gone. -SYS_ECHILD
 * when pid is no such child.
 */
long proc_wait(int pid, int parent);

/*
 * proc_wait_timeout - for the kernel (parent 0): proc_wait, giving up
 * after timeout_ns (yielding meanwhile): -SYS_EAGAIN then, the process
 * left as it is (kill it and wait again).
 */
long proc_wait_timeout(int pid, u64 timeout_ns);

/* proc_kill - ask process pid to end: it does on its next way out to
 * ring 3, with status PROC_STATUS_KILLED_BY_KERNEL. false: no such
 * process alive. */
bool proc_kill(int pid);

/* proc_map_page - for the self-tests: map page pa at user address va of
 * process pid (alive, and not yet running: spawned on a CPU that has not
 * switched to it), which then owns pa. 0, -SYS_EINVAL, -ENOMEM. */
int proc_map_page(int pid, u64 va, phys_addr_t pa, unsigned prot);

/* proc_live - processes alive now (not ended). */
int proc_live(void);

/* The running thread's process (NULL for a kernel thread). */
struct process *proc_current(void);
int proc_pid(const struct process *p);

/* ---- for the system calls (the running process's) ---- */

/* proc_mmap - len bytes (rounded up to pages) of demand-zero RW NX
 * memory from USER_MMAP_BASE up: its address, -SYS_EINVAL for len 0,
 * -SYS_ENOMEM when the window, the regions or PROC_MAX_PAGES are used up. */
long proc_mmap(u64 len);
/* proc_munmap - unmap the pages of [addr, addr + len) (addr page
 * aligned, inside the mmap window; -SYS_EINVAL if not) and drop their
 * TLB entries: 0. */
long proc_munmap(u64 addr, u64 len);
/* proc_write_buf - the running process's SYS_WRITE_MAX-byte buffer. */
char *proc_write_buf(void);

/* ---- for the scheduler and the architecture ---- */

/* proc_switch_to - the switch to t (a process's thread) is being made:
 * its address space and its kernel stack as rsp0. Interrupts off. */
void proc_switch_to(struct thread *t);

/* proc_return_to_user - the last generic work before ring 3, interrupts
 * off: switch while a switch is due, end the process if it was killed. */
void proc_return_to_user(void);

/* proc_demand_fault - a fault at user address va of the running process:
 * true when va lies in a demand-zero region that allows the access and
 * a zero page is now mapped there. */
bool proc_demand_fault(u64 va, bool write, bool exec);

/* proc_kill_fault - the running process took exception `vector` in
 * ring 3: one line naming it, then the process ends with status
 * SYS_KILLED_BY(vector). */
noreturn void proc_kill_fault(int vector, const char *name, u64 rip, u64 cr2,
			      bool has_cr2, u64 error);

/* proc_exit - end the running process with `status`. */
noreturn void proc_exit(int status);

/* Ways out to ring 3 taken so far (arch user.c): sysretq after a
 * system call, iretq after an interrupt or exception (or a first entry). */
struct user_exits {
	u64 sysret, iret;
	u64 noncanonical;    /* returns refused: the rip not canonical */
};
extern struct user_exits user_exits;

/* arch_enter_user - to ring 3 at rip with rsp, for good (arch user.c). */
noreturn void arch_enter_user(u64 rip, u64 rsp);

#endif /* PVK_PROC_H */
