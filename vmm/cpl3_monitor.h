/*
 * cpl3_monitor.h - the ring-0 monitor of pvhv's deprivileged mode: where
 * its pages are, and the data it shares with pvhv. Included by C (vmm/)
 * and by the monitor's assembly (vmm/cpl3_monitor.S), so only #defines.
 *
 * The monitor region is MON_SIZE bytes at the top of guest RAM (gpa
 * `base`, E820 reserved, never mappable by the kernel) and appears at
 * PVHV_CPL3_MONITOR_BASE in PML4 slot PVHV_CPL3_MONITOR_SLOT of every
 * address space, supervisor-only. Offsets are the same in both.
 */
#ifndef PVHV_CPL3_MONITOR_H
#define PVHV_CPL3_MONITOR_H

#include <abi/pvhv_cpl3.h>

/* ---- The region, page by page (offsets from its start) ----------------- */
#define MON_CODE        0x0000  /* 2 pages: the monitor's code, RX */
#define MON_CODE_SIZE   0x2000
#define MON_DATA        0x2000  /* struct cpl3_mon, MOND_* below, RW NX */
#define MON_TRAPS       0x3000  /* u64[256]: the kernel's handler per vector (0: none) */
#define MON_WRITES      0x4000  /* struct cpl3_write[MON_MAX_WRITES]: {gpa, val} */
#define MON_MAX_WRITES  255
#define MON_STACK       0x5000  /* 2 pages: entry stack (TSS rsp0 = MON_STACK_TOP) */
#define MON_STACK_TOP   0x7000
#define MON_IST_TOP     0x8000  /* 1 page below: IST1 for #DF, NMI, #MC */
#define MON_GDT         0x8000  /* 8 descriptors (GDT entries below) */
#define MON_TSS         0x8100  /* 104-byte TSS, no I/O bitmap (all ports #GP) */
#define MON_IDT         0x9000  /* 256 16-byte gates */
#define MON_PDPT        0xa000  /* slot 510's PDPT */
#define MON_PD          0xb000  /* PD of the monitor's own pages (entry 0) */
#define MON_PT          0xc000  /* PT mapping this region's pages */
#define MON_PHYS_PD     0xd000  /* PD of the physmap: RAM in 2 MiB pages */
#define MON_SIZE        0x10000 /* 64 KiB, 64 KiB aligned */

/* GDT entries (selector = index * 8 | RPL). 4 and 5 are the kernel's:
 * PVHV_CPL3_KERNEL_SS and PVHV_CPL3_KERNEL_CS. */
#define MON_GDT_CS      1       /* 0x08: 64-bit code, DPL 0 */
#define MON_GDT_DS      2       /* 0x10: data, DPL 0 */
#define MON_GDT_KDS     4       /* 0x23 */
#define MON_GDT_KCS     5       /* 0x2b */
#define MON_GDT_TSS     6       /* 0x30: 16 bytes, entries 6 and 7 */
#define MON_SEL_CS      0x08
#define MON_SEL_DS      0x10
#define MON_SEL_TSS     0x30

/* ---- struct cpl3_mon at MON_DATA: offsets of its u64 fields ------------ */
#define MOND_MAGIC        0x00  /* MON_MAGIC, written by pvhv */
#define MOND_PAGE_GPA     0x08  /* pvhv: the registered vCPU page (0: none yet) */
#define MOND_FRAME_CS     0x10  /* pvhv (SET_TRAP_TABLE): cs put in bounce frames */
#define MOND_FRAME_SS     0x18  /* ... and ss */
#define MOND_NR_WRITES    0x20  /* pvhv, after each hypercall: entries in MON_WRITES */
#define MOND_FLAGS        0x28  /* pvhv, after each hypercall: MON_F_* */
#define MOND_NEW_CR3      0x30  /* pvhv: the cr3 to load with MON_F_LOAD_CR3 */
#define MOND_FAIL_VECTOR  0x38  /* monitor, before a MON_PORT report: the vector */
#define MOND_FAIL_ERR     0x40  /* ... its error code */
#define MOND_FAIL_RIP     0x48  /* ... the rip of the frame it could not handle */
#define MOND_FAIL_CR2     0x50  /* ... cr2 */
#define MOND_DELIVERED    0x58  /* monitor: events bounced to the kernel */
#define MOND_DEFERRED     0x60  /* monitor: events held pending */
#define MOND_HCALLS       0x68  /* monitor: hypercall gates taken */
#define MON_MAGIC         0x4e4f4d33565650ull  /* "PVV3MON" */

#define MON_F_FLUSH       1     /* reload cr3 (no global pages: all of the TLB) */
#define MON_F_LOAD_CR3    2     /* load MOND_NEW_CR3 */

/* The monitor reports what it cannot handle with a 32-bit OUT of a reason
 * to this port; pvhv prints it with the MOND_FAIL_* fields and a register
 * dump and exits 70. */
#define MON_PORT          0x5656
#define MON_FAIL_RING0    1     /* an exception in the monitor itself */
#define MON_FAIL_NO_HANDLER 2   /* an exception with no kernel handler */
#define MON_FAIL_BOUNCE   3     /* the kernel's stack took no frame */
#define MON_FAIL_NO_PAGE  4     /* an event before the vCPU page was registered */

#endif /* PVHV_CPL3_MONITOR_H */
