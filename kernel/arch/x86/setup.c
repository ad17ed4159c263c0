/*
 * setup.c - from head.S to kernel_main: bring up the console, the
 * exception handlers, and read what the loader passed.
 */
#include <boot_info.h>
#include <kernel.h>
#include <printk.h>
#include <trap.h>
#include <asm/smp.h>
#include <asm/uart.h>
#include "boot/boot.h"

static struct boot_info boot_info;

/* Loader memory is readable through the early map, below 1 GiB only. */
static const void *early_map(u64 pa, size_t len)
{
	if (pa >= BOOT_MAP_SIZE || len > BOOT_MAP_SIZE - pa)
		return NULL;
	return boot_phys_to_virt(pa);
}

void boot_main(unsigned proto, unsigned long info_phys)
{
	uart_init();
	printk("\npvk: booting\n");
	trap_init();           /* from here on a fault is reported, not a triple fault */
	boot_common(proto, info_phys);
}

noreturn void boot_common(unsigned proto, unsigned long info_phys)
{
	const char *why = "";
	int r;

	smp_boot_cpu_early();  /* GS: this CPU's area: per-CPU records, the preempt count */
	if (proto == BOOT_PROTO_PVH)
		r = boot_info_parse_pvh(info_phys, early_map, &boot_info, &why);
	else if (proto == BOOT_PROTO_MB2)
		r = boot_info_parse_mb2(info_phys, early_map, &boot_info, &why);
	else
		r = -1, why = "unknown boot protocol";
	if (r) {
		printk("boot: bad boot information from the loader: %s\n", why);
		printk("pvk: power off, status %d\n", STATUS_BAD_BOOT);
		power_off(STATUS_BAD_BOOT);
	}
	kernel_main(&boot_info);
}
