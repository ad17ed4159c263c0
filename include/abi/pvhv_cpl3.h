/*
 * abi/pvhv_cpl3.h - pvhv's deprivileged mode: the same pvk binary run at
 * CPL 3, every privileged operation through pvhv (the model of Xen PV and
 * lguest). Shared word for word by pvk (kernel/pv/pvhv_cpl3.c) and pvhv
 * (vmm/cpl3*.c); docs/pvhv-abi.md, "Deprivileged mode", tells the story.
 *
 * The pieces:
 *
 *  - The image announces the mode with an ELF note of pvhv's own (name
 *    "PVHV", type PVHV_ELFNOTE_CPL3): a 64-bit virtual entry point and the
 *    virtual address at which the kernel wants guest-physical 0 mapped.
 *    `pvhv --deprivileged` needs it; every other loader ignores it.
 *  - pvhv keeps the top of guest RAM for itself (the reserved region, E820
 *    reserved): a small ring-0 monitor, its stack, GDT, IDT and TSS, its
 *    own page tables, and the kernel's initial page tables. The kernel can
 *    never map the monitor's frames; the initial tables are its own,
 *    pinned, and change only through MMU_UPDATE like any other.
 *  - The kernel starts in 64-bit mode at CPL 3 (struct pvhv_cpl3_start in
 *    RDI). All of RAM is mapped at virt_base with 4 KiB pages, user,
 *    writable, not executable, but the image's executable segments
 *    (executable and writable, as the native early map) and the initial
 *    page tables (read-only). There is no identity map.
 *  - The monitor lives in PML4 slot PVHV_CPL3_MONITOR_SLOT of every
 *    address space (pvhv puts it there when a top-level table is pinned);
 *    its pages are supervisor-only. It owns the IDT: every interrupt and
 *    exception enters it, and it bounces the event to the handler the
 *    kernel registered (SET_TRAP_TABLE) on the kernel's own stack, with a
 *    frame like the CPU's (below), or keeps it pending while the kernel's
 *    virtual interrupt flag is clear.
 *  - The kernel reaches the monitor only through the software-interrupt
 *    gates PVHV_CPL3_VEC_* (DPL 3). Port I/O from CPL 3 is #GP (IOPL 0, an
 *    I/O bitmap that allows nothing), so every hypercall passes the
 *    monitor: it rings pvhv's doorbell, then carries out what pvhv asks of
 *    it (the page-table writes pvhv validated, a cr3 load, a TLB flush).
 */
#ifndef ABI_PVHV_CPL3_H
#define ABI_PVHV_CPL3_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* ---- The ELF note -------------------------------------------------------
 * In a PT_NOTE segment: namesz 5, name "PVHV\0", type PVHV_ELFNOTE_CPL3,
 * descsz 16, the descriptor a struct pvhv_cpl3_note. */
#define PVHV_ELFNOTE_NAME    "PVHV"
#define PVHV_ELFNOTE_CPL3    1

#ifndef __ASSEMBLER__
struct pvhv_cpl3_note {
	uint64_t entry;              /* 64-bit virtual entry, inside virt_base's map */
	uint64_t virt_base;          /* VA of guest-physical 0: canonical, 1 GiB
	                              * aligned, in the top PML4 slot (511) */
};
#endif

/* ---- Start state --------------------------------------------------------
 * 64-bit mode, CPL 3: CS = PVHV_CPL3_KERNEL_CS, SS/DS/ES/FS/GS =
 * PVHV_CPL3_KERNEL_SS (bases 0), RIP = note.entry, RSP = 0 (the kernel
 * takes a stack of its own), RDI = virt_base + gpa of the start record,
 * RFLAGS = 0x202 (the real IF is always 1 at CPL 3; the kernel's is the
 * virtual one, clear until it sets it). CR0 PE MP ET NE WP PG, CR4 PAE
 * (+SMEP where the CPU has it; no PGE: pvhv refuses global mappings),
 * EFER LME LMA NXE. The kernel's per-vCPU page (abi/pvhv.h) is not yet
 * registered: REGISTER comes first. */
#define PVHV_CPL3_KERNEL_CS  0x2b    /* GDT entry 5: 64-bit code, DPL 3 */
#define PVHV_CPL3_KERNEL_SS  0x23    /* GDT entry 4: data, DPL 3 */
#define PVHV_CPL3_START_MAGIC 0x33535650u  /* "PVS3" */
#define PVHV_CPL3_START_GPA  0x7000u       /* beside hvm_start_info (0x6000) */
#define PVHV_CPL3_MAX_MEM_MB 1024u         /* all of RAM under one PUD at virt_base */

#ifndef __ASSEMBLER__
struct pvhv_cpl3_start {
	uint32_t magic;              /* PVHV_CPL3_START_MAGIC */
	uint32_t version;            /* 1 */
	uint64_t hvm_start_info;     /* gpa of the PVH start info: memory map,
	                              * command line, modules, RSDP, as always */
	uint64_t virt_base;          /* the note's */
	uint64_t pt_base;            /* gpa of the initial page tables, just
	                              * below the reserved region; the first
	                              * frame is the PML4 (the cr3) */
	uint64_t nr_pt_frames;       /* frames from pt_base, all pinned; the
	                              * kernel's, E820 reserved so that its
	                              * allocator leaves them alone */
	uint64_t reserved_base;      /* gpa and length of pvhv's own region at
	                              * the top of RAM (the monitor): never */
	uint64_t reserved_len;       /* mappable, E820 reserved */
};
#endif

/* ---- The monitor's gates (INT n from CPL 3) ------------------------------
 * Registers not named are preserved; flags are not. */
#define PVHV_CPL3_VEC_HCALL    0xf8  /* eax = op (abi/pvhv.h PVHV_HC_*), the
                                      * arguments in the vCPU page; rax = the
                                      * page's ret when the call is done */
#define PVHV_CPL3_VEC_REGISTER 0xf9  /* ebx = frame of the vCPU page (0:
                                      * none); rax = 0 or -errno */
#define PVHV_CPL3_VEC_EVENTS   0xfa  /* deliver what is pending now (the
                                      * kernel just set vif) */
#define PVHV_CPL3_VEC_HALT     0xfb  /* wait for an event. vif set: deliver
                                      * it (the kernel's safe_halt); vif
                                      * clear: leave it pending (halt) */
#define PVHV_CPL3_VEC_FLUSH    0xfc  /* rbx = 0: flush the whole TLB; else
                                      * invlpg rbx. No exit: the monitor
                                      * does it */

/* ---- Event delivery -----------------------------------------------------
 * What the kernel's handler for vector v finds (and returns through with
 * a plain iretq, CPL 3 to CPL 3, after putting back the real selectors):
 * at rsp, aligned to 16 below the interrupted rsp as the CPU does,
 * [error code, where the CPU pushes one], rip, cs, rflags, rsp, ss, where
 * cs and ss are the selectors the kernel named in SET_TRAP_TABLE (its
 * ring-0 ones, so its entry code sees "from the kernel") and rflags.IF is
 * the interrupted vif. vif is 0 when the handler starts. For a page fault
 * the vCPU page's cr2 holds the faulting address. External interrupts
 * (vectors >= 32) are acknowledged (EOI) by the monitor before delivery:
 * the kernel's EOI is a no-op. A vector with no handler, or a fault the
 * monitor cannot deliver (the kernel's stack not writable), stops the VM:
 * pvhv names it, dumps the registers and exits 70. */
/* vif holds the value of RFLAGS.IF (lguest's irq_enabled): the kernel's
 * pushf is one load of it, its cli one store; the monitor reads any
 * non-zero value as on. */
#define PVHV_CPL3_VIF_ON     0x200

/* ---- Hypercalls of the mode (PVHV_HC_*, abi/pvhv.h numbering goes on) ----
 * Only in deprivileged mode (elsewhere -ENOSYS). Page-table frames are
 * guest frame numbers; an entry is the 8-byte PTE format of x86-64. */
#define PVHV_HC_CPL3_FIRST       9
#define PVHV_HC_MMU_UPDATE       9   /* (gpa of an entry of a pinned table,
                                      * new value) -> 0 */
#define PVHV_HC_PIN              10  /* (frame, level 1..4) -> 0: from now
                                      * on a page table, read-only to the
                                      * kernel, its entries validated */
#define PVHV_HC_UNPIN            11  /* (frame) -> 0: ordinary memory again */
#define PVHV_HC_NEW_BASEPTR      12  /* (frame of a pinned level-4 table)
                                      * -> 0: loaded as cr3 */
#define PVHV_HC_SET_TRAP_TABLE   13  /* (gpa of an IDT-format gate array,
                                      * gates <= 256, frame cs, frame ss) -> 0 */
#define PVHV_HC_RDMSR            14  /* (msr) -> 0, value in args[1] */
#define PVHV_HC_WRMSR            15  /* (msr, value) -> 0 */
#define PVHV_HC_SET_TIMER        16  /* (vector 32..255, period ns >= 10 us;
                                      * period 0 stops it) -> 0 */
#define PVHV_HC_CPL3_LAST        16

/* Validation (docs/pvhv-abi.md): an entry may map only guest RAM outside
 * the reserved region; a writable level-1 entry never a pinned frame; a
 * level 2-4 entry only a frame pinned one level down; never PS (large
 * pages), never G (global), no reserved bits; PML4 slot
 * PVHV_CPL3_MONITOR_SLOT is pvhv's. A frame is pinned only when no
 * writable mapping of it exists; unpinned only when no pinned table links
 * it and it is not cr3. Refusals: -EINVAL (a malformed value or level),
 * -EFAULT (outside RAM), -EPERM (pvhv's frame or slot, a writable map of
 * a table), -EBUSY (pinned twice, unpin of a linked or live table, pin of
 * a writably mapped frame). A refused call changes nothing. */
#define PVHV_CPL3_MONITOR_SLOT   510
#define PVHV_CPL3_MONITOR_BASE   0xffffff0000000000ull  /* slot 510's start */
#define PVHV_CPL3_PHYSMAP        0xffffff4000000000ull  /* the monitor's view of RAM */

/* The vCPU page's fields of the mode: struct pvhv_vcpu_page (abi/pvhv.h)
 * at these offsets. */
#define PVHV_CPL3_PAGE_VIF       80   /* u32, kernel: PVHV_CPL3_VIF_ON: events on */
#define PVHV_CPL3_PAGE_PENDING_ANY 84 /* u8, monitor: some bit of pending set */
#define PVHV_CPL3_PAGE_CR2       88   /* u64, monitor: the last #PF's address */
#define PVHV_CPL3_PAGE_PENDING   96   /* u64[4], monitor: vectors held back */
#define PVHV_CPL3_PAGE_DELIVERED 128  /* u64, monitor: events delivered */
#define PVHV_CPL3_PAGE_DEFERRED  136  /* u64, monitor: events held back */

#endif /* ABI_PVHV_CPL3_H */
