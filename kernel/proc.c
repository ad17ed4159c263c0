/*
 * proc.c - user processes (proc.h has the model).
 *
 * The table is guarded by proc_lock, taken with interrupts off. A
 * process's memory (its regions, page count and address space) is its
 * own thread's alone: only that thread maps, unmaps and frees it, so it
 * needs no lock; the spawner builds it before the thread exists.
 */
#include <mm.h>
#include <paravirt.h>
#include <printk.h>
#include <proc.h>
#include <sched.h>
#include <spinlock.h>
#include <string.h>
#include <syscall.h>
#include <uvm.h>
#include <asm/processor.h>
#include <asm/user.h>
#include <asm/smp.h>

enum proc_state {
	PROC_FREE,          /* a slot nobody uses */
	PROC_LIVE,          /* spawned, not ended */
	PROC_ZOMBIE,        /* ended: its status waits for its parent */
};

struct region {
	u64 start, end;     /* page aligned; end == start: unused slot */
	unsigned prot;      /* UVM_* */
};

struct process {
	enum proc_state state;
	int pid;
	int parent;                  /* 0: the kernel */
	bool waited;                 /* a wait has claimed it */
	bool orphan;                 /* its parent ended: reaped by spawn */
	volatile bool kill;          /* proc_kill asked it to end */
	int status;
	struct thread *thread;
	struct thread *waiter;       /* in proc_wait for it */
	const struct user_program *prog;
	phys_addr_t root;            /* its address space */
	struct region regions[PROC_MAX_REGIONS];
	u64 pages;                   /* pages mapped */
	u64 mmap_next;               /* where the next mmap goes */
	char wbuf[SYS_WRITE_MAX];    /* SYS_write's copy */
};

static struct process procs[PROC_MAX];
static spinlock_t proc_lock = SPINLOCK_INIT;
static int next_pid = 1;
static int next_cpu;

const struct user_program *proc_find_program(const char *name)
{
	for (u32 i = 0; i < user_programs_count; i++)
		if (!strcmp(user_programs[i].name, name))
			return &user_programs[i];
	return NULL;
}

int proc_next_cpu(void)
{
	cpumask_t online = smp_online_mask();
	int cpu;

	for (;;) {
		cpu = __atomic_fetch_add(&next_cpu, 1, __ATOMIC_RELAXED) % SMP_MAX_CPUS;
		if (online & (1u << cpu))
			return cpu;
	}
}

struct process *proc_current(void)
{
	struct thread *t = thread_current();

	return t ? t->proc : NULL;
}

int proc_pid(const struct process *p)
{
	return p->pid;
}

/* Free the slot of a waited-for or orphaned zombie whose thread is off
 * its stack. Under proc_lock. */
static void reap_orphans(void)
{
	for (int i = 0; i < PROC_MAX; i++) {
		struct process *p = &procs[i];

		if (p->state == PROC_ZOMBIE && p->orphan && thread_try_join(p->thread))
			p->state = PROC_FREE;
	}
}

int proc_live(void)
{
	unsigned long flags = spin_lock_irqsave(&proc_lock);
	int n = 0;

	for (int i = 0; i < PROC_MAX; i++)
		n += procs[i].state == PROC_LIVE;
	spin_unlock_irqrestore(&proc_lock, flags);
	return n;
}

/* ---- memory ---------------------------------------------------------- */

static struct region *region_of(struct process *p, u64 va)
{
	for (int i = 0; i < PROC_MAX_REGIONS; i++)
		if (va >= p->regions[i].start && va < p->regions[i].end)
			return &p->regions[i];
	return NULL;
}

static struct region *region_add(struct process *p, u64 start, u64 end, unsigned prot)
{
	for (int i = 0; i < PROC_MAX_REGIONS; i++) {
		struct region *r = &p->regions[i];

		if (r->start == r->end) {
			*r = (struct region){ start, end, prot };
			return r;
		}
	}
	return NULL;
}

/* A zero page at va (in a region of p) with the region's rights. */
static bool map_zero_page(struct process *p, u64 va, unsigned prot)
{
	phys_addr_t pa;

	if (p->pages >= PROC_MAX_PAGES)
		return false;
	pa = try_alloc_page();
	if (!pa)
		return false;
	if (uvm_map(p->root, va, pa, prot)) {
		free_page(pa);
		return false;
	}
	p->pages++;
	return true;
}

bool proc_demand_fault(u64 va, bool write, bool exec)
{
	struct process *p = proc_current();
	struct region *r;
	u64 page = ALIGN_DOWN(va, PAGE_SIZE);

	if (!p)
		return false;
	r = region_of(p, va);
	if (!r || (write && !(r->prot & UVM_WRITE)) || (exec && !(r->prot & UVM_EXEC)))
		return false;
	if (uvm_mapped(p->root, page))
		return false;
	return map_zero_page(p, page, r->prot);
}

/* Map the program's image: text R+X, the rest R+W+NX, copied through
 * the kernel's map of each new page. */
static int load_image(struct process *p, const struct user_program *prog)
{
	u64 size = ALIGN_UP(prog->size, PAGE_SIZE);

	if (!prog->size || prog->text_size > size || (prog->text_size & (PAGE_SIZE - 1)) ||
	    USER_TEXT_BASE + size > USER_MMAP_BASE)
		return -SYS_EINVAL;
	if (size / PAGE_SIZE > PROC_MAX_PAGES / 2)
		return -SYS_ENOMEM;
	if (prog->text_size)
		region_add(p, USER_TEXT_BASE, USER_TEXT_BASE + prog->text_size, UVM_EXEC);
	if (size > prog->text_size)
		region_add(p, USER_TEXT_BASE + prog->text_size, USER_TEXT_BASE + size, UVM_WRITE);
	for (u64 off = 0; off < size; off += PAGE_SIZE) {
		u64 n = prog->size - off < PAGE_SIZE ? prog->size - off : PAGE_SIZE;
		phys_addr_t pa = try_alloc_page();

		if (off >= prog->size)
			n = 0;
		if (!pa)
			return -SYS_ENOMEM;
		memcpy(__va(pa), prog->image + off, n);
		if (uvm_map(p->root, USER_TEXT_BASE + off, pa,
			    off < prog->text_size ? UVM_EXEC : UVM_WRITE)) {
			free_page(pa);
			return -SYS_ENOMEM;
		}
		p->pages++;
	}
	region_add(p, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_TOP, UVM_WRITE);
	return 0;
}

/* ---- life ------------------------------------------------------------ */

static void kill_if_asked(struct process *p);

/* The thread of a new process: its address space live, then ring 3 (or
 * its end, when it was killed before it ever ran). */
static void proc_thread_main(void *arg)
{
	struct process *p = arg;
	struct thread *me = thread_current();

	arch_local_irq_disable();
	me->proc = p;               /* from now on every switch to it loads both */
	proc_switch_to(me);
	kill_if_asked(p);
	arch_enter_user(USER_TEXT_BASE, USER_STACK_TOP);
}

int proc_spawn(const struct user_program *prog, int cpu, int parent)
{
	struct process *p = NULL;
	unsigned long flags;
	int live = 0, r;

	if (cpu < 0 || cpu >= SMP_MAX_CPUS || !(smp_online_mask() & (1u << cpu)))
		return -SYS_EINVAL;
	if (!user_mode_ready(cpu))
		return -SYS_ENOSYS;
	flags = spin_lock_irqsave(&proc_lock);
	reap_orphans();
	for (int i = 0; i < PROC_MAX; i++) {
		if (procs[i].state != PROC_FREE)
			live++;
		else if (!p)
			p = &procs[i];
	}
	if (!p || live >= PROC_MAX) {
		spin_unlock_irqrestore(&proc_lock, flags);
		return -SYS_EAGAIN;
	}
	memset(p, 0, offsetof(struct process, wbuf));
	p->state = PROC_LIVE;        /* the slot is taken; not yet running */
	p->pid = next_pid++;
	p->parent = parent;
	p->prog = prog;
	p->mmap_next = USER_MMAP_BASE;
	spin_unlock_irqrestore(&proc_lock, flags);

	p->root = uvm_create();
	r = p->root ? load_image(p, prog) : -SYS_ENOMEM;
	if (!r) {
		p->thread = thread_create(proc_thread_main, p, cpu);
		if (!p->thread)
			r = -SYS_EAGAIN;
	}
	if (r) {
		if (p->root)
			uvm_destroy(p->root);
		flags = spin_lock_irqsave(&proc_lock);
		p->state = PROC_FREE;
		spin_unlock_irqrestore(&proc_lock, flags);
		return r;
	}
	p->thread->name = prog->name;
	return p->pid;
}

/* A process's PCID: its slot's, so at most PROC_MAX of them. */
static unsigned pcid_of(const struct process *p)
{
	return (unsigned)(p - procs) + 1;
}
_Static_assert(PROC_MAX + 1 <= UVM_PCIDS, "a PCID for every process slot");

void proc_switch_to(struct thread *t)
{
	uvm_switch(t->proc->root, pcid_of(t->proc), t->proc->pid);
	load_sp0(thread_stack_top(t));
}

noreturn void proc_exit(int status)
{
	struct process *p = proc_current();
	struct thread *waiter;
	unsigned long flags;

	if (!p)
		panic("proc_exit: not a process's thread");
	/* leave the address space, then free it */
	flags = arch_local_irq_save();
	uvm_switch(0, 0, 0);
	uvm_destroy(p->root);
	p->root = 0;
	arch_local_irq_restore(flags);

	flags = spin_lock_irqsave(&proc_lock);
	p->status = status;
	p->state = PROC_ZOMBIE;
	if (p->parent && !p->waited) {
		/* a parent that has ended already reaps nothing: spawn will */
		bool parent_live = false;

		for (int i = 0; i < PROC_MAX; i++)
			if (procs[i].pid == p->parent && procs[i].state == PROC_LIVE)
				parent_live = true;
		p->orphan = !parent_live;
	}
	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].state != PROC_FREE && procs[i].parent == p->pid &&
		    !procs[i].waited)
			procs[i].orphan = true;
	waiter = p->waiter;
	spin_unlock_irqrestore(&proc_lock, flags);
	if (waiter)
		thread_wake(waiter);
	thread_exit();
}

/* The process pid, child of parent, claimed for the calling waiter (it
 * may still be running); NULL when there is none to wait for: not such a
 * child, claimed already, or an orphan. */
static struct process *claim(int pid, int parent)
{
	unsigned long flags = spin_lock_irqsave(&proc_lock);
	struct process *p = NULL;

	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].state != PROC_FREE && procs[i].pid == pid &&
		    procs[i].parent == parent && !procs[i].waited && !procs[i].orphan) {
			p = &procs[i];
			p->waited = true;
			p->waiter = thread_current();
		}
	spin_unlock_irqrestore(&proc_lock, flags);
	return p;
}

static bool ended(struct process *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_SEQ_CST) == PROC_ZOMBIE;
}

/* The claimed zombie p's status; its thread joined, its slot freed. */
static long reap(struct process *p)
{
	unsigned long flags;
	long status;

	thread_join(p->thread);
	flags = spin_lock_irqsave(&proc_lock);
	status = p->status;
	p->state = PROC_FREE;
	spin_unlock_irqrestore(&proc_lock, flags);
	return status;
}

/* A waiter being killed gives the claimed p back, unless p has ended
 * (then it is reaped as usual): p, not waited for, becomes an orphan when
 * its parent exits. True when given back. */
static bool unclaim(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&proc_lock);
	bool back = p->state != PROC_ZOMBIE;

	if (back) {
		p->waited = false;
		p->waiter = NULL;
	}
	spin_unlock_irqrestore(&proc_lock, flags);
	return back;
}

long proc_wait(int pid, int parent)
{
	struct process *p = claim(pid, parent);

	if (!p)
		return -SYS_ECHILD;
	while (!ended(p)) {
		/* killed meanwhile: the caller never sees this answer, it
		 * ends on its way back to ring 3 */
		if (thread_interrupted() && unclaim(p))
			return -SYS_ECHILD;
		thread_block();
	}
	return reap(p);
}

long proc_wait_timeout(int pid, u64 timeout_ns)
{
	u64 deadline = sched_clock() + timeout_ns;
	struct process *p = NULL;
	unsigned long flags = spin_lock_irqsave(&proc_lock);

	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].state != PROC_FREE && procs[i].pid == pid && procs[i].parent == 0)
			p = &procs[i];
	spin_unlock_irqrestore(&proc_lock, flags);
	if (!p)
		return -SYS_ECHILD;
	while (!ended(p)) {
		unsigned long flags;

		if (sched_clock() > deadline)
			return -SYS_EAGAIN;
		/* the caller may run with interrupts off ("main"): let this
		 * CPU's tick in, which wakes its sleepers and preempts */
		flags = arch_local_irq_save();
		arch_local_irq_enable();
		cpu_relax();
		arch_local_irq_restore(flags);
		yield();
	}
	p->waited = true;
	return reap(p);
}

int proc_map_page(int pid, u64 va, phys_addr_t pa, unsigned prot)
{
	struct process *p = NULL;
	unsigned long flags = spin_lock_irqsave(&proc_lock);
	int r;

	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].state == PROC_LIVE && procs[i].pid == pid)
			p = &procs[i];
	spin_unlock_irqrestore(&proc_lock, flags);
	if (!p || va >= USER_TOP || (va & (PAGE_SIZE - 1)))
		return -SYS_EINVAL;
	r = uvm_map(p->root, va, pa, prot);
	if (!r)
		p->pages++;
	return r;
}

bool proc_kill(int pid)
{
	unsigned long flags = spin_lock_irqsave(&proc_lock);
	bool found = false;

	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].state == PROC_LIVE && procs[i].pid == pid) {
			procs[i].kill = true;
			found = true;
			/* a wait or a sleep it is blocked in gives up; the lock
			 * order is proc_lock, then a run queue's */
			if (procs[i].thread)
				thread_interrupt(procs[i].thread);
		}
	spin_unlock_irqrestore(&proc_lock, flags);
	return found;
}

/* A kill takes effect here, on the way (back) to ring 3. */
static void kill_if_asked(struct process *p)
{
	if (p && __atomic_load_n(&p->kill, __ATOMIC_ACQUIRE)) {
		printk("user: pid %d (%s) killed by the kernel\n", p->pid, p->prog->name);
		proc_exit(PROC_STATUS_KILLED_BY_KERNEL);
	}
}

void proc_return_to_user(void)
{
	while (this_cpu()->need_resched)
		schedule();
	kill_if_asked(proc_current());
}

noreturn void proc_kill_fault(int vector, const char *name, u64 rip, u64 cr2,
			      bool has_cr2, u64 error)
{
	struct process *p = proc_current();

	if (!p)
		panic("proc_kill_fault: %s in ring 3 without a process", name);
	if (has_cr2)
		printk("user: pid %d (%s) killed: %s (vector %d) at rip %#lx, cr2 %#lx, error %#lx\n",
		       p->pid, p->prog->name, name, vector, (unsigned long)rip,
		       (unsigned long)cr2, (unsigned long)error);
	else
		printk("user: pid %d (%s) killed: %s (vector %d) at rip %#lx, error %#lx\n",
		       p->pid, p->prog->name, name, vector, (unsigned long)rip,
		       (unsigned long)error);
	proc_exit(SYS_KILLED_BY(vector));
}

/* ---- what the system calls need of a process ------------------------- */

long proc_mmap(u64 len)
{
	struct process *p = proc_current();
	u64 size;

	if (!len)
		return -SYS_EINVAL;
	if (len > USER_MMAP_END - USER_MMAP_BASE)
		return -SYS_ENOMEM;
	size = ALIGN_UP(len, PAGE_SIZE);
	if (size > USER_MMAP_END - p->mmap_next ||
	    p->pages + size / PAGE_SIZE > PROC_MAX_PAGES)
		return -SYS_ENOMEM;
	if (!region_add(p, p->mmap_next, p->mmap_next + size, UVM_WRITE))
		return -SYS_ENOMEM;
	p->mmap_next += size;
	return (long)(p->mmap_next - size);
}

long proc_munmap(u64 addr, u64 len)
{
	struct process *p = proc_current();
	struct { u64 start, end; } gone[PROC_MAX_REGIONS];
	int ngone = 0, splits = 0, free_slots = 0;
	u64 end;

	if (!len || (addr & (PAGE_SIZE - 1)) || addr < USER_MMAP_BASE ||
	    addr >= USER_MMAP_END || len > USER_MMAP_END - addr)
		return -SYS_EINVAL;
	end = ALIGN_UP(addr + len, PAGE_SIZE);
	/* All or nothing: a region cut in the middle needs a free slot for
	 * its tail, so count them before anything changes. */
	for (int i = 0; i < PROC_MAX_REGIONS; i++) {
		struct region *r = &p->regions[i];

		if (r->start == r->end)
			free_slots++;
		else if (r->start >= USER_MMAP_BASE && r->start < addr && r->end > end)
			splits++;
	}
	if (splits > free_slots)
		return -SYS_ENOMEM;
	for (int i = 0; i < PROC_MAX_REGIONS; i++) {
		struct region *r = &p->regions[i];

		if (r->start == r->end || r->end <= addr || r->start >= end ||
		    r->start < USER_MMAP_BASE)
			continue;
		/* pages exist only inside regions: only the overlap is walked,
		 * never the whole (up to 1 TiB) range asked for */
		gone[ngone].start = r->start > addr ? r->start : addr;
		gone[ngone].end = r->end < end ? r->end : end;
		ngone++;
		if (r->start < addr && r->end > end) {
			/* the middle goes: the tail becomes a region of its own */
			if (!region_add(p, end, r->end, r->prot))
				panic("proc_munmap: no region slot after counting one free");
			r->end = addr;
		} else if (r->start < addr) {
			r->end = addr;
		} else if (r->end > end) {
			r->start = end;
		} else {
			r->start = r->end = 0;
		}
	}
	for (int g = 0; g < ngone; g++)
		for (u64 va = gone[g].start; va < gone[g].end; va += PAGE_SIZE) {
			phys_addr_t pa = uvm_unmap(p->root, va);   /* and its TLB entry */

			if (pa) {
				free_page(pa);
				p->pages--;
			}
		}
	return 0;
}

char *proc_write_buf(void)
{
	return proc_current()->wbuf;
}
