/*
 * abi/pvhv.h - the guest/host interface of pvhv, the project's small
 * hypervisor on /dev/kvm (vmm/). Shared word for word by pvk
 * (kernel/pv/pvhv.c) and pvhv (vmm/), so it lives in neither's tree and is
 * plain C99 over <stdint.h> (include/abi/: what both sides compile, as
 * Linux's uapi).
 * docs/pvhv-abi.md tells the story and gives the measurements behind it.
 *
 * Discovery: CPUID. PVHV_CPUID_BASE holds the 12-byte signature
 * "PVHVPVHVPVHV" in EBX:ECX:EDX and the highest pvhv leaf in EAX;
 * base+1 the feature bits (EAX), the ABI version (EBX) and the first
 * doorbell port (ECX); base+2 the TSC and APIC bus frequencies in kHz.
 * KVM's own leaves move to PVHV_CPUID_KVM_BASE so a guest can use both.
 *
 * Calling: each vCPU registers a 4 KiB page (struct pvhv_vcpu_page) by
 * writing its frame number with a 32-bit OUT to PVHV_PORT_REGISTER and
 * reads the outcome back with a 32-bit IN from the same port (0, or a
 * negative errno). A hypercall is: write the arguments to page->args,
 * then a 32-bit OUT of the operation number to PVHV_PORT_DOORBELL; when
 * the OUT instruction retires, page->ret holds the result: >= 0 on
 * success, a negative errno (PVHV_E*) on failure. One VM exit per call.
 * Every address and length a guest passes is checked against guest RAM.
 */
#ifndef ABI_PVHV_H
#define ABI_PVHV_H

#include <stdint.h>

/* ---- CPUID ------------------------------------------------------------ */
#define PVHV_SIGNATURE       "PVHVPVHVPVHV"       /* 12 bytes, no NUL used */
#define PVHV_SIGNATURE_LEN   12
#define PVHV_CPUID_BASE      0x40000000u
#define PVHV_CPUID_FEATURES  (PVHV_CPUID_BASE + 1) /* EAX feats, EBX abi, ECX port */
#define PVHV_CPUID_TIMING    (PVHV_CPUID_BASE + 2) /* EAX TSC kHz, EBX APIC bus kHz */
#define PVHV_CPUID_MAX       PVHV_CPUID_TIMING
#define PVHV_CPUID_KVM_BASE  0x40000100u          /* where KVM's leaves move */
#define PVHV_ABI_VERSION     1u

/* Feature bits in CPUID base+1 EAX: one per operation group. */
#define PVHV_FEAT_CONSOLE    (1u << 0)   /* PVHV_HC_CONSOLE_WRITE */
#define PVHV_FEAT_POWER      (1u << 1)   /* PVHV_HC_POWER_OFF, PVHV_HC_REBOOT */
#define PVHV_FEAT_MULTICALL  (1u << 2)   /* PVHV_HC_MULTICALL */
#define PVHV_FEAT_STATS      (1u << 3)   /* PVHV_HC_GET_STATS */
#define PVHV_FEAT_KICK       (1u << 4)   /* PVHV_HC_KICK */
#define PVHV_FEAT_SEND_IPI   (1u << 5)   /* PVHV_HC_SEND_IPI */
#define PVHV_FEAT_YIELD      (1u << 6)   /* PVHV_HC_YIELD */
#define PVHV_FEAT_ALL        0x7fu

/* ---- Ports ------------------------------------------------------------ */
#define PVHV_PORT_BASE       0x5650u     /* "VP": clear of ISA/PCI legacy ports */
#define PVHV_PORT_REGISTER   (PVHV_PORT_BASE + 0)   /* OUT: page frame; IN: result */
#define PVHV_PORT_DOORBELL   (PVHV_PORT_BASE + 4)   /* OUT: operation number */
#define PVHV_PORT_COUNT      8
#define PVHV_PAGE_SIZE       4096u
#define PVHV_PAGE_SHIFT      12
#define PVHV_PFN_NONE        0u          /* register frame 0: unregister */

/* ---- Operations (the value OUT to PVHV_PORT_DOORBELL) ------------------ */
enum pvhv_op {
	PVHV_HC_NOP = 0,          /* () -> 0: the bare cost of a call */
	PVHV_HC_CONSOLE_WRITE,    /* (gpa, len) -> len written */
	PVHV_HC_POWER_OFF,        /* (status 0..255) -> does not return */
	PVHV_HC_REBOOT,           /* (status 0..255) -> does not return */
	PVHV_HC_MULTICALL,        /* (gpa of entries, count) -> entries run */
	PVHV_HC_GET_STATS,        /* (gpa, len, vcpu|PVHV_ALL_VCPUS) -> bytes */
	PVHV_HC_KICK,             /* (vcpu, vector) -> 0: wake it with vector */
	PVHV_HC_SEND_IPI,         /* (mask, first vcpu, vector) -> vCPUs sent to */
	PVHV_HC_YIELD,            /* (vcpu|PVHV_ALL_VCPUS) -> 0: give up the host CPU */
	/* 9..16: deprivileged mode only, abi/pvhv_cpl3.h */
	PVHV_HC_NR = 17
};

#define PVHV_HC_ARGS         6
#define PVHV_ALL_VCPUS       0xffffffffu
#define PVHV_CONSOLE_MAX     (64u * 1024)  /* bytes per CONSOLE_WRITE */
#define PVHV_MULTICALL_MAX   64            /* entries per MULTICALL */
#define PVHV_STATUS_MAX      255           /* power-off/reboot status range */
#define PVHV_VECTOR_MIN      16            /* lowest vector KICK/SEND_IPI send */
#define PVHV_VECTOR_MAX      255
#define PVHV_IPI_MASK_BITS   64            /* vCPUs one SEND_IPI can name */

/* Errors: negative Linux errno values. */
#define PVHV_EPERM           1             /* not the guest's to touch */
#define PVHV_EIO             5             /* the host failed (pvhv says why) */
#define PVHV_E2BIG           7
#define PVHV_EFAULT          14
#define PVHV_EBUSY           16
#define PVHV_EINVAL          22
#define PVHV_ENOSYS          38

/* ---- The per-vCPU shared page ------------------------------------------ */
#define PVHV_PAGE_MAGIC      0x50564856u   /* "PVHV", written by pvhv */

struct pvhv_vcpu_page {
	uint32_t magic;              /* pvhv: PVHV_PAGE_MAGIC once registered */
	uint32_t abi_version;        /* pvhv: PVHV_ABI_VERSION */
	uint32_t vcpu;               /* pvhv: this vCPU's index */
	uint32_t apic_id;            /* pvhv: its APIC ID */
	uint64_t args[PVHV_HC_ARGS]; /* guest: the arguments of the next call */
	int64_t ret;                 /* pvhv: the result of the last call */
	uint64_t calls;              /* pvhv: hypercalls made by this vCPU */
	/* Deprivileged mode only (abi/pvhv_cpl3.h); unused elsewhere. */
	uint32_t vif;                /* kernel: PVHV_CPL3_VIF_ON (events on) or 0 */
	uint8_t pending_any;         /* monitor: some bit of pending[] is set */
	uint8_t pad0[3];
	uint64_t cr2;                /* monitor: the last page fault's address */
	uint64_t pending[4];         /* monitor: vectors held back while !vif */
	uint64_t delivered;          /* monitor: events bounced to the kernel */
	uint64_t deferred;           /* monitor: events held back */
	uint8_t reserved[PVHV_PAGE_SIZE - 144];
};
_Static_assert(sizeof(struct pvhv_vcpu_page) == PVHV_PAGE_SIZE, "one page");
_Static_assert(__builtin_offsetof(struct pvhv_vcpu_page, vif) == 80 &&
	       __builtin_offsetof(struct pvhv_vcpu_page, pending_any) == 84 &&
	       __builtin_offsetof(struct pvhv_vcpu_page, cr2) == 88 &&
	       __builtin_offsetof(struct pvhv_vcpu_page, pending) == 96 &&
	       __builtin_offsetof(struct pvhv_vcpu_page, delivered) == 128,
	       "abi/pvhv_cpl3.h's PVHV_CPL3_PAGE_* offsets");

/* One entry of PVHV_HC_MULTICALL; ret is written back per entry. Entries
 * run in order; a MULTICALL inside a MULTICALL fails with -EINVAL. */
struct pvhv_multicall_entry {
	uint64_t op;
	uint64_t args[PVHV_HC_ARGS - 1];
	int64_t ret;
};

/* ---- Exit counters (PVHV_HC_GET_STATS, --stats, --stats-json) ----------
 * Counted by pvhv in user space (PVHV_STAT_RUN_* and below) and read from
 * KVM's binary statistics (PVHV_STAT_KVM_*; 0 when the host has none). */
enum pvhv_stat {
	PVHV_STAT_RUN_EXITS = 0,  /* KVM_RUN returned to user space */
	PVHV_STAT_IO,             /* KVM_EXIT_IO, all ports */
	PVHV_STAT_IO_UART,        /* ... on COM1 */
	PVHV_STAT_IO_DEBUG_EXIT,  /* ... on the isa-debug-exit port */
	PVHV_STAT_IO_PVHV,        /* ... on pvhv's ports (hypercalls, register) */
	PVHV_STAT_IO_OTHER,       /* ... anywhere else (reads as all ones) */
	PVHV_STAT_MMIO,           /* KVM_EXIT_MMIO */
	PVHV_STAT_INTR,           /* KVM_EXIT_INTR or EINTR (signals) */
	PVHV_STAT_SHUTDOWN,       /* KVM_EXIT_SHUTDOWN (triple fault) */
	PVHV_STAT_SYSTEM_EVENT,   /* KVM_EXIT_SYSTEM_EVENT */
	PVHV_STAT_OTHER,          /* any other exit reason */
	PVHV_STAT_HYPERCALLS,     /* operations run (multicall entries included) */
	PVHV_STAT_HC_ERRORS,      /* ... that returned an error */
	PVHV_STAT_UART_BYTES,     /* bytes written to the UART's THR */
	PVHV_STAT_CONSOLE_BYTES,  /* bytes written by PVHV_HC_CONSOLE_WRITE */
	PVHV_STAT_KVM_EXITS,      /* KVM stats: exits (all, in-kernel too) */
	PVHV_STAT_KVM_HALT_EXITS,
	PVHV_STAT_KVM_IO_EXITS,
	PVHV_STAT_KVM_MMIO_EXITS,
	PVHV_STAT_KVM_IRQ_WINDOW_EXITS,
	PVHV_STAT_KVM_IRQ_EXITS,
	PVHV_STAT_KVM_SIGNAL_EXITS,
	PVHV_STAT_KVM_INSN_EMULATION,
	PVHV_STAT_KVM_HALT_WAKEUP,
	PVHV_STAT_NR
};

/* What PVHV_HC_GET_STATS writes (truncated to the guest's length). */
struct pvhv_stats {
	uint32_t nr;                 /* PVHV_STAT_NR as pvhv knows it */
	uint32_t vcpus;              /* how many vCPUs were summed */
	uint64_t count[PVHV_STAT_NR];
};

#endif /* ABI_PVHV_H */
