/*
 * uvm.h - user address spaces: a top-level table of its own whose upper
 * half is the kernel's (the same entries, so a kernel mapping is seen
 * from every address space), the lower half the process's. Built and
 * changed only through the pv mmu ops (kernel/arch/x86/uvm.c).
 */
#ifndef PVK_UVM_H
#define PVK_UVM_H

#include <types.h>

#define UVM_WRITE 0x1     /* writable */
#define UVM_EXEC  0x2     /* executable (else NX) */

/* uvm_create - a new address space: the kernel's upper half, an empty
 * lower one. Its root (a physical address), or 0 when memory is short. */
phys_addr_t uvm_create(void);

/*
 * uvm_map - map the user page at va (page aligned, below USER_TOP) to pa
 * with prot (UVM_*), creating tables as needed. 0, or -ENOMEM. Only for
 * a page not mapped yet.
 */
int uvm_map(phys_addr_t root, u64 va, phys_addr_t pa, unsigned prot);

/* uvm_unmap - unmap the user page at va; its page (to free), or 0 when
 * nothing was mapped there. Flushes this CPU's TLB entry for va when
 * root is the live address space (a process's lives on its CPU only). */
phys_addr_t uvm_unmap(phys_addr_t root, u64 va);

/* uvm_mapped - is the user page at va mapped in root? */
bool uvm_mapped(phys_addr_t root, u64 va);

/* uvm_destroy - free every page mapped in root's lower half, its page
 * tables and root itself. Not the live address space (switch away first). */
void uvm_destroy(phys_addr_t root);

/*
 * uvm_switch - make root (0: the kernel's own tables) this CPU's address
 * space, through the pv mmu op; nothing when it is already. With PCIDs
 * it runs as `pcid` (1..UVM_PCIDS-1; the kernel's is 0) for `owner` (a
 * number no other owner of that PCID has had, e.g. a pid): its old TLB
 * entries are kept only when this CPU last ran that PCID for the same
 * owner and has flushed no kernel translation since.
 */
#define UVM_PCIDS 64
void uvm_switch(phys_addr_t root, unsigned pcid, int owner);

/* uvm_kernel_flushed - this CPU just dropped kernel translations from
 * the live PCID only (invlpg): every other PCID here is stale. */
void uvm_kernel_flushed(void);

/* uvm_pcid_init_cpu - CPU cpu's PCIDs, none loaded yet; `on` (the boot
 * CPU's word counts) whether CR4.PCIDE is set (arch user.c). */
void uvm_pcid_init_cpu(int cpu, bool on);
bool uvm_pcid_enabled(void);

/* cr3 loads with PCIDs on: keeping the PCID's entries, or flushing them. */
struct uvm_stats {
	u64 kept, flushed;
};
extern struct uvm_stats uvm_stats;

#endif /* PVK_UVM_H */
