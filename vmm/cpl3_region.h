/*
 * cpl3_region.h - the monitor region of pvhv's deprivileged mode as pvhv
 * lays it out (cpl3_region.c: code, GDT, TSS, IDT, slot-510 page tables)
 * and the vCPU state that starts the kernel at CPL 3 on it
 * (cpl3_vcpu.c). The region's layout and the data shared with the
 * monitor are vmm/cpl3_monitor.h; the monitor itself is
 * vmm/cpl3_monitor.S. Included by that assembly too: the part above
 * __ASSEMBLER__ is #defines only.
 */
#ifndef PVHV_CPL3_REGION_H
#define PVHV_CPL3_REGION_H

#include "cpl3_monitor.h"

/* The monitor's code starts with one entry stub per vector, each
 * MON_STUB_SIZE bytes: the IDT gate of vector v points at
 * PVHV_CPL3_MONITOR_BASE + MON_CODE + v * MON_STUB_SIZE. */
#define MON_STUB_SIZE     16
#define MON_VECTORS       256
#define MON_STUBS_END     (MON_STUB_SIZE * MON_VECTORS)

/* The vectors for which the CPU pushes an error code (SDM 3A 6.13):
 * #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21,
 * #VC 29, #SX 30; bit v set for vector v. */
#define MON_ERRCODE_VECTORS 0x60227d00

/* The vectors that run on IST1 (#DF, NMI, #MC): the monitor's own stack
 * even when the event comes while it runs. */
#define MON_VEC_NMI       2
#define MON_VEC_DF        8
#define MON_VEC_GP        13
#define MON_VEC_PF        14
#define MON_VEC_MC        18
#define MON_FIRST_IRQ     32      /* the first vector that is not an exception */
/* The LAPIC's spurious-interrupt vector (SVR, cpl3_vcpu.c): its stub is
 * a bare iretq (a spurious interrupt takes no EOI and means nothing). */
#define MON_SPURIOUS_VECTOR 0xff
#define MON_IST_INDEX     1

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "pvhv.h"

/* The monitor's code, in pvhv's read-only data (cpl3_monitor.S): pvhv
 * copies [start, end) to the region's MON_CODE; at most MON_CODE_SIZE. */
extern const uint8_t cpl3_monitor_start[], cpl3_monitor_end[];

/*
 * cpl3_region_build - write the monitor region at `base_gpa` of gm (the
 * monitor's code, struct cpl3_mon with MOND_MAGIC, the GDT, the TSS, the
 * IDT with every vector at its stub, and the page tables of PML4 slot
 * PVHV_CPL3_MONITOR_SLOT: the region's own pages and the physmap of the
 * first `ram_bytes` of RAM in 2 MiB pages). base_gpa must be MON_SIZE
 * aligned with the whole region inside ram_bytes, ram_bytes at most
 * PVHV_CPL3_MAX_MEM_MB MiB and inside gm. Returns the PML4 entry of the
 * monitor slot (supervisor-only), or 0 with *why naming the bad value;
 * nothing is written then.
 */
uint64_t cpl3_region_build(struct guest_mem *gm, uint64_t base_gpa, uint64_t ram_bytes,
			   const char **why);

/*
 * cpl3_vcpu_setup - the start state of abi/pvhv_cpl3.h on vCPU `vcpu_fd`:
 * 64-bit mode at CPL 3 (CS PVHV_CPL3_KERNEL_CS, data PVHV_CPL3_KERNEL_SS),
 * GDTR, IDTR and TR on the monitor region's tables, paging with `cr3`
 * (SMEP when the vCPU's CPUID offers it), RIP `entry`, RDI `rdi`, RSP 0,
 * RFLAGS 0x202, the local APIC in x2APIC mode and software-enabled. Call
 * after the vCPU's CPUID is set. Returns 0, or -1 with *why naming the
 * ioctl that failed (errno kept).
 */
int cpl3_vcpu_setup(int vcpu_fd, uint64_t region_gpa, uint64_t cr3, uint64_t entry,
		    uint64_t rdi, const char **why);
#endif /* __ASSEMBLER__ */

#endif /* PVHV_CPL3_REGION_H */
