/*
 * ioport.c - the port I/O pvhv handles in user space, as kvmtool's
 * ioport table: each device is {base, count, handler}, and one lookup
 * finds the device of a port. The PIT, the PICs and the rest of the PC
 * live in KVM; a port no device claims reads all ones and ignores writes.
 */
#include "pvhv.h"

/* QEMU's isa-debug-exit: an OUT ends the VM with the value as status. */
static void debug_exit_io(struct io_ctx *c, uint16_t off, bool out, int size,
			  uint32_t *data)
{
	(void)off, (void)size;
	if (out && c->env->power)
		c->env->power(c->env->ctx, false,
			      *data > PVHV_STATUS_MAX ? PVHV_STATUS_MAX : (int)*data);
	else if (!out)
		*data = PORT_NONE;
}

static const struct pvhv_ioport ioports[] = {
	{ "uart", COM1_BASE, UART_PORTS, PVHV_STAT_IO_UART, false, uart_io },
	{ "debug-exit", PORT_DEBUG_EXIT, DEBUG_EXIT_PORTS, PVHV_STAT_IO_DEBUG_EXIT, false,
	  debug_exit_io },
	{ "cmos", PORT_CMOS_INDEX, CMOS_PORTS, PVHV_STAT_IO_OTHER, false, cmos_io },
	{ "acpi-pm", PORT_ACPI_PM, ACPI_PM_PORTS, PVHV_STAT_IO_OTHER, false, acpi_pm_io },
	{ "pci-conf", PORT_PCI_CONF, PCI_CONF_PORTS, PVHV_STAT_IO_OTHER, false, pci_conf_io },
	{ "pvhv", PVHV_PORT_BASE, PVHV_PORT_COUNT, PVHV_STAT_IO_PVHV, true, pvhv_port_io },
};

const struct pvhv_ioport *pvhv_ioport_find(uint16_t port, bool pv)
{
	for (size_t i = 0; i < sizeof(ioports) / sizeof(ioports[0]); i++) {
		const struct pvhv_ioport *d = &ioports[i];

		/* port < base wraps to a large unsigned: no match */
		if ((unsigned)(port - d->base) < d->count && (pv || !d->pv_only))
			return d;
	}
	return NULL;
}

void io_access(struct io_ctx *c, uint16_t port, bool out, int size, uint32_t *data)
{
	const struct pvhv_ioport *d = pvhv_ioport_find(port, c->pv);

	c->st->count[PVHV_STAT_IO]++;
	if (!d) {
		c->st->count[PVHV_STAT_IO_OTHER]++;
		if (!out)
			*data = PORT_NONE;
		return;
	}
	c->st->count[d->stat]++;
	d->handler(c, (uint16_t)(port - d->base), out, size, data);
}
