/*
 * pvhv.h - pvhv's internal interfaces.
 *
 * The layers, kvmtool style, from the bottom:
 *   error.c        pvhv_err(): the one report of a failed call
 *   guest_mem.c   guest RAM as one host mapping; every guest address and
 *                 length goes through gm_ptr(), which checks it
 *   loader.c      the ELF64 kernel and the PVH start info (pure)
 *   acpi.c        the ACPI tables: RSDP, XSDT, MADT, FADT, DSDT (pure)
 *   hypercall.c   the paravirt operations (pure over guest_mem + hc_env)
 *   cpl3_*.c      deprivileged mode (cpl3.h): layout and initial tables
 *                 (cpl3_boot.c), hypercalls 9..16 (cpl3_hc.c), the
 *                 validator (cpl3_mm.c), the monitor's region (cpl3_region.c,
 *                 cpl3_monitor.S); kvm-cpl3.c and cpl3_vcpu.c its KVM side
 *   ioport.c      the port I/O table {base, count, handler} and its lookup;
 *                 isa-debug-exit
 *   uart.c        the 16550A on COM1, its THR-empty interrupt (a port device)
 *   pc.c          RTC/CMOS, ACPI PM block and timer, PCI config + reset (port devices)
 *   doorbell.c    pvhv's register and doorbell ports (a port device)
 *   stats.c       exit counters, KVM's binary stats, table and JSON
 *   x86.c         the arch hooks: CPUID, entry state, MSI, register dump
 *   kvm-cpu.c     a vCPU: its creation, its thread, the one exit switch
 *   kvm.c         the VM: image, /dev/kvm, memory, the end of the run
 *   main.c        options
 * Everything below x86.c (and x86.c's pure helpers) runs without /dev/kvm
 * and is what the host tests (tests/unit/t_pvhv_*.c) drive with hostile
 * input. The interface pvhv shares with pvk is include/abi/; pvhv's own
 * names are pvhv_*, apart from the kernel's pv_*.
 */
#ifndef PVHV_H
#define PVHV_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <abi/pc_ports.h>
#include <abi/pvhv.h>
#include <abi/pvhv_cpl3.h>

#define PVHV_MAX_VCPUS     64
#define PVHV_MIB           (1024ull * 1024)
#define PVHV_MIN_MEM_MIB   2
#define PVHV_MAX_MEM_MIB   3072ull   /* one memslot from 0, below the 3 GiB MMIO hole */

/* pvhv's own exit statuses (a guest's status is 0..255 and passes through). */
#define PVHV_EXIT_USAGE    64    /* bad options (EX_USAGE) */
#define PVHV_EXIT_IMAGE    65    /* the kernel image was refused (EX_DATAERR) */
#define PVHV_EXIT_NOKVM    69    /* /dev/kvm missing or denied (EX_UNAVAILABLE) */
#define PVHV_EXIT_FAULT    70    /* an ioctl failed or an unexpected exit (EX_SOFTWARE) */
#define PVHV_EXIT_TIMEOUT  124   /* --timeout expired (like timeout(1)) */
/* The guest ended through the PC's own paths, which carry no status. */
#define PVHV_EXIT_POWER_OFF 0    /* ACPI S5 through PM1a_CNT (pc.c) */
#define PVHV_EXIT_RESET    75    /* a reset: 0xcf9, the FADT's reset register (EX_TEMPFAIL) */

/* ---- error.c ------------------------------------------------------------- */
/*
 * pvhv_err - the one report of a failed call (an ioctl, mmap, allocation,
 * thread creation, ...), kvmtool's way: "pvhv: CALL failed: errno N
 * (text)" on stderr, CALL naming the call and what it was for. Returns
 * -1. pvhv_err_num takes the error number (pthread_* return it).
 */
int pvhv_err_num(const char *call, int err);
#define pvhv_err(call) pvhv_err_num((call), errno)

/*
 * pvhv_why - a refusal's message: formats it into this thread's buffer
 * (rewritten by the next refusal), points *why at it and returns err.
 * For the pure checkers (loader, deprivileged layout) that answer
 * "no, because ..." instead of printing.
 */
__attribute__((format(printf, 3, 4)))
int pvhv_why(const char **why, int err, const char *fmt, ...);

/* pvhv_zalloc - zeroed memory, or NULL after pvhv_err() naming `what`. */
void *pvhv_zalloc(size_t size, const char *what);

/* ---- guest_mem.c -------------------------------------------------------- */
struct guest_mem {
	uint8_t *host;               /* host mapping of guest physical 0 */
	uint64_t size;               /* bytes of RAM from guest physical 0 */
};

/*
 * gm_ptr - the host address of guest range [gpa, gpa+len), or NULL when
 * any byte of it is outside guest RAM (overflow-safe). len 0 is valid
 * anywhere up to and including the end of RAM.
 */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);


/* ---- loader.c ----------------------------------------------------------- */
/* The guest physical layout pvhv gives a PVH kernel (as Firecracker). */
#define PVHV_START_INFO_GPA  0x6000ull    /* hvm_start_info, then the map */
#define PVHV_CMDLINE_GPA     0x20000ull   /* the command line */
#define PVHV_CMDLINE_MAX     4096         /* bytes including the NUL */
#define PVHV_LOW_RAM_END     0x9fc00ull   /* RAM below the EBDA/VGA hole */
#define PVHV_HIGH_RAM_START  0x100000ull  /* RAM again from 1 MiB */
#define PVHV_KERNEL_MIN_GPA  PVHV_HIGH_RAM_START
#define PVHV_ACPI_GPA        0xe0000ull   /* the ACPI tables (acpi.c) ... */
#define PVHV_ACPI_SIZE       0x20000ull   /* ... to 1 MiB, E820_ACPI */

#define PVHV_MAX_EXEC_SEGMENTS 8     /* PF_X segments the loader records */

struct kernel_image {
	bool has_pvh;                /* a Xen PVH entry note: `entry` */
	uint64_t entry;              /* PVH 32-bit entry (physical) */
	uint64_t lowest, highest;    /* physical extent of the loaded segments */
	int nr_segments;
	bool has_cpl3;               /* a PVHV note (abi/pvhv_cpl3.h): `cpl3` */
	struct pvhv_cpl3_note cpl3;  /* checked: virt_base and entry usable */
	int nr_exec;                 /* the PF_X PT_LOAD segments, physical */
	struct { uint64_t start, end; } exec[PVHV_MAX_EXEC_SEGMENTS];
};

/*
 * load_elf_kernel - check the ELF64 image `img` of `len` bytes and copy
 * its PT_LOAD segments to their physical addresses in gm (zeroing each
 * memsz tail); find the PVH entry note, whose entry must be a file-backed
 * byte (within p_filesz) of an executable (PF_X) PT_LOAD segment, and
 * pvhv's own PVHV note (deprivileged mode, abi/pvhv_cpl3.h): descsz 16,
 * virt_base 1 GiB aligned in PML4 slot 511, entry - virt_base such a byte
 * too. Either note may be missing (not both: the image is no PVH kernel);
 * a malformed one is always refused, used or not. Returns
 * 0, or a negative errno with *why naming what is wrong and the bad value
 * (truncated, not ELF64 x86-64, a segment outside RAM or below 1 MiB,
 * overlapping segments, no PVH note, an entry the guest could not run).
 * *why stays valid until the loader's next refusal in the same thread.
 * Nothing is written to guest memory unless the image is accepted.
 */
int load_elf_kernel(struct guest_mem *gm, const void *img, size_t len,
		    struct kernel_image *ki, const char **why);

/*
 * build_start_info - write hvm_start_info (version 1), its E820 memory
 * map and `cmdline` into gm at the fixed PVHV_* addresses; rsdp_paddr is
 * `rsdp` (0: no ACPI tables). The map is RAM below PVHV_LOW_RAM_END,
 * reserved to PVHV_ACPI_GPA, E820_ACPI to 1 MiB, RAM from 1 MiB. Returns
 * the start info's guest physical address, or 0 with *why set (command
 * line too long, RAM too small).
 */
uint64_t build_start_info(struct guest_mem *gm, const char *cmdline,
			  uint64_t rsdp, const char **why);

/* A guest-physical range. */
struct pvhv_range {
	uint64_t base, len;
};

/*
 * build_start_info_top - build_start_info() with pvhv's own pages at the
 * top of RAM: `top` (nr_top <= PVHV_TOP_RESERVED_MAX ranges, ascending,
 * contiguous, the last ending at the end of RAM, each page aligned) are
 * E820_RESERVED and the RAM from 1 MiB ends below the first. 0 with *why
 * for ranges that break those rules.
 */
#define PVHV_TOP_RESERVED_MAX 2
uint64_t build_start_info_top(struct guest_mem *gm, const char *cmdline, uint64_t rsdp,
			      const struct pvhv_range *top, int nr_top, const char **why);

/*
 * place_module - copy a boot module (an initrd) of `len` bytes to the top
 * of guest RAM, PVHV_MODULE_ALIGN aligned, clear of the kernel `ki` and of
 * everything below 1 MiB (start info, command line, ACPI tables). It stays
 * E820_RAM, as QEMU and Firecracker leave an initrd: Linux reserves it
 * (memblock) and frees it once unpacked; pvk's pmm reserves every module.
 * Returns 0 and *gpa, or a negative errno with *why (empty, or too large
 * for the RAM above the kernel, naming a --mem that would hold it);
 * nothing is written then.
 */
#define PVHV_MODULE_ALIGN   0x1000ull
#define PVHV_MAX_MODULES    4
int place_module(struct guest_mem *gm, const struct kernel_image *ki, const void *data,
		 size_t len, uint64_t *gpa, const char **why);

/* place_module_below - place_module() under `top` instead of the end of
 * RAM (deprivileged mode keeps the top for itself). */
int place_module_below(struct guest_mem *gm, const struct kernel_image *ki, uint64_t top,
		       const void *data, size_t len, uint64_t *gpa, const char **why);

/*
 * add_start_info_module - append module [paddr, paddr+size) to the module
 * list of the start info at si_gpa (the list follows the memory map, so
 * it lies in the same page below the command line); at most
 * PVHV_MAX_MODULES. 0, or a negative errno with *why.
 */
int add_start_info_module(struct guest_mem *gm, uint64_t si_gpa, uint64_t paddr,
			  uint64_t size, const char **why);

/* ---- acpi.c ------------------------------------------------------------- */
/*
 * build_acpi_tables - write an RSDP (revision 2), an XSDT, a FADT (pc.c's
 * PM block and reset register) with its DSDT (\_S5), and a MADT for
 * `nr_vcpus` vCPUs (1..PVHV_MAX_VCPUS; local APIC i has APIC ID i) into
 * [PVHV_ACPI_GPA, +PVHV_ACPI_SIZE). Returns the RSDP's guest physical
 * address, or 0 with *why set (vCPU count out of range, RAM too small);
 * nothing is written then.
 */
uint64_t build_acpi_tables(struct guest_mem *gm, int nr_vcpus, const char **why);

/* acpi_checksum - the byte that makes [p, p+len) sum to 0 with it. */
uint8_t acpi_checksum(const void *p, size_t len);

/*
 * break_start_info - for tests of the guest's boot checks: spoil the start
 * info at `si_gpa` the way `kind` says: "no-memmap" (no entries),
 * "modules" (more modules than any kernel takes), "cmdline" (a command
 * line with no terminator in 4095 bytes). Returns 0, or -1 for an unknown
 * kind. BAD_START_INFO_KINDS lists the kinds for messages.
 */
#define BAD_START_INFO_KINDS "no-memmap, modules, cmdline"
int break_start_info(struct guest_mem *gm, uint64_t si_gpa, const char *kind);

/* ---- stats.c ------------------------------------------------------------ */
struct vcpu_stats {
	uint64_t count[PVHV_STAT_NR];
};

/* stat_name - the snake_case name of counter `s` (also the JSON key). */
const char *stat_name(enum pvhv_stat s);

/* ---- hypercall.c -------------------------------------------------------- */
struct cpl3_vm;
struct cpl3_timer;

/* What a hypercall may do to the world: the VMM fills these in; the tests
 * fill them with recorders. All may be called from any vCPU thread. */
struct hc_env {
	struct guest_mem *mem;
	int nr_vcpus;
	void *ctx;
	/* write guest console bytes (already checked) */
	void (*console)(void *ctx, const void *buf, size_t len);
	/* the guest ends: reboot false = power off */
	void (*power)(void *ctx, bool reboot, int status);
	/* deliver `vector` to vCPU `vcpu` (fixed, physical); 0 or -errno */
	int (*send_vector)(void *ctx, uint32_t vcpu, uint32_t vector);
	/* set ISA interrupt line `irq` to `level` (0 or 1); may be NULL */
	void (*set_irq)(void *ctx, uint32_t irq, int level);
	/* give up the host CPU */
	void (*yield)(void *ctx);
	/* sum the counters of one vCPU (or PVHV_ALL_VCPUS) into *out */
	void (*stats)(void *ctx, uint32_t vcpu, struct pvhv_stats *out);
	/* ---- deprivileged mode (cpl3.h); cpl3 NULL elsewhere ---- */
	struct cpl3_vm *cpl3;
	/* read (write false) or write MSR `index` of vCPU `vcpu`: 0 or -PVHV_EIO */
	int (*msr)(void *ctx, uint32_t vcpu, bool write, uint32_t index, uint64_t *val);
	/* program vCPU `vcpu`'s LAPIC timer: 0 or -PVHV_EIO */
	int (*lapic_timer)(void *ctx, uint32_t vcpu, const struct cpl3_timer *t);
	/* a fatal report about vCPU `vcpu`: print `what`, its registers, exit 70 */
	void (*fatal)(void *ctx, uint32_t vcpu, const char *what);
};

/*
 * hc_dispatch - run operation `op` for vCPU `vcpu` with `args`. Returns
 * the result for page->ret: >= 0, or -PVHV_E*; an operation may leave a
 * result in args too (RDMSR: args[1]). Never touches memory outside
 * env->mem; `st` (may be NULL) gets the hypercall counters. With
 * env->cpl3 (deprivileged mode) operations 9..16 run (else -ENOSYS) and
 * the monitor learns after each call what to replay (cpl3_hc_end).
 */
int64_t hc_dispatch(const struct hc_env *env, uint32_t vcpu, uint64_t op,
		    uint64_t args[PVHV_HC_ARGS], struct vcpu_stats *st);

/* ---- ioport.c, uart.c, doorbell.c: port I/O ---------------------------- */
#define PORT_NONE          0xffffffffu   /* what an undecoded port reads */

struct uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo;                   /* FCR enabled the FIFOs: IIR says 16550A */
	bool thri_pending;           /* THR empty, not yet taken by an IIR read */
	bool irq_level;              /* the level pvhv last put on UART_IRQ */
	char out[256];               /* line buffer before stdout */
	size_t out_len;
};

/* The PC's shared devices (pc.c): RTC/CMOS, ACPI PM block, reset control.
 * wall and mono_ns are the clocks (NULL: the host's; tests set them). */
struct pcdev {
	pthread_mutex_t lock;
	uint8_t index;               /* CMOS register selected at 0x70 */
	uint8_t cmos[CMOS_SIZE];     /* registers A-D and the RAM; not the time */
	uint16_t pm1_en, pm1_cnt;
	uint8_t rst_cnt;
	int64_t (*wall)(void);       /* seconds since 1970, UTC */
	uint64_t (*mono_ns)(void);   /* a monotonic clock in ns */
};

/* pcdev_init - the devices at power-on: RTC 24-hour BCD, time valid,
 * ACPI mode on, nothing pending. Keeps d->wall and d->mono_ns. */
void pcdev_init(struct pcdev *d);

/* Per-vCPU pvhv state the port handlers need. */
struct pvhv_cpu {
	uint32_t index, apic_id;
	uint64_t page_gpa;           /* registered shared page, 0 none */
	int32_t register_result;     /* what IN from PVHV_PORT_REGISTER reads */
};

/* What a port access may touch: one vCPU's view of the devices. */
struct io_ctx {
	const struct hc_env *env;    /* the world (power off for 0xf4 too) */
	bool pv;                     /* pvhv's ports answer (false: --no-pv) */
	struct uart *uart;           /* shared; uart_io takes uart_lock */
	pthread_mutex_t *uart_lock;
	struct pcdev *pc;            /* shared; its handlers take pc->lock */
	struct pvhv_cpu *cpu;
	struct vcpu_stats *st;
	FILE *out;                   /* where the UART's bytes go */
};

/* A port device's handler: `off` is the port minus the device's base. An
 * OUT of *data, or an IN that fills *data; size 1, 2 or 4. */
typedef void (*pvhv_io_fn)(struct io_ctx *c, uint16_t off, bool out, int size,
			   uint32_t *data);

struct pvhv_ioport {
	const char *name;
	uint16_t base, count;        /* ports [base, base + count) */
	enum pvhv_stat stat;         /* the counter of its accesses */
	bool pv_only;                /* pvhv's interface: absent with --no-pv */
	pvhv_io_fn handler;
};

/* pvhv_ioport_find - the device that owns `port` (pv: pvhv's own ports
 * are there), or NULL. */
const struct pvhv_ioport *pvhv_ioport_find(uint16_t port, bool pv);

/*
 * io_access - one port access of `size` (1, 2 or 4) bytes: an OUT of
 * *data, or an IN that fills *data, handed to the port's device; a port
 * no device owns reads all ones and ignores writes. Counts into ctx->st.
 */
void io_access(struct io_ctx *ctx, uint16_t port, bool out, int size,
	       uint32_t *data);

/* The devices (the table in ioport.c). */
void uart_io(struct io_ctx *c, uint16_t off, bool out, int size, uint32_t *data);
void pvhv_port_io(struct io_ctx *c, uint16_t off, bool out, int size, uint32_t *data);
/* pc.c: RTC/CMOS at 0x70; ACPI PM1a/PM timer at PORT_ACPI_PM (S5 powers
 * off: env->power(false, PVHV_EXIT_POWER_OFF)); PCI config 0xcf8 with
 * the reset register 0xcf9 (env->power(true, PVHV_EXIT_RESET)). */
void cmos_io(struct io_ctx *c, uint16_t off, bool out, int size, uint32_t *data);
void acpi_pm_io(struct io_ctx *c, uint16_t off, bool out, int size, uint32_t *data);
void pci_conf_io(struct io_ctx *c, uint16_t off, bool out, int size, uint32_t *data);

/* uart_flush - write the buffered UART bytes to `out`. */
void uart_flush(struct uart *u, FILE *out);

/* pvhv_register_page - register (or with PVHV_PFN_NONE unregister) cpu's
 * shared page; returns 0 or -PVHV_E*, also left in cpu->register_result. */
int pvhv_register_page(const struct hc_env *env, struct pvhv_cpu *cpu, uint32_t pfn);

/* pvhv_doorbell - run operation `op` with the args in cpu's page and write
 * the result there; -PVHV_EINVAL (nowhere to write) without a page. */
int64_t pvhv_doorbell(const struct hc_env *env, struct pvhv_cpu *cpu, uint32_t op,
		      struct vcpu_stats *st);

#endif /* PVHV_H */
