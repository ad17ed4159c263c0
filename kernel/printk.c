/*
 * printk.c - console output through the pv console_write op, and panic.
 */
#include <kernel.h>
#include <paravirt.h>
#include <printk.h>
#include <asm/processor.h>

/*
 * One writer at a time: a UART console writes byte by byte, so two CPUs
 * printing at once (a user program on one, a KTAP line on another) would
 * mix their bytes. A plain test-and-set byte, not a spinlock_t: printk
 * runs before per-CPU data exists and in interrupt handlers, so it keeps
 * interrupts off and counts no preemption. A holder that never lets go
 * (a CPU that died printing) is waited for a bounded number of spins,
 * then overridden: output mixed beats output lost.
 */
#define CONSOLE_LOCK_SPINS 10000000ul
static u8 console_busy;

void console_out(const char *s, size_t n)
{
	unsigned long flags = arch_local_irq_save();
	unsigned long spins = 0;
	bool mine;

	while (!(mine = !__atomic_exchange_n(&console_busy, 1, __ATOMIC_ACQUIRE)) &&
	       spins++ < CONSOLE_LOCK_SPINS)
		cpu_relax();
	console_write(s, n);
	if (mine)              /* an override leaves the holder's flag alone */
		__atomic_store_n(&console_busy, 0, __ATOMIC_RELEASE);
	arch_local_irq_restore(flags);
}

void printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	console_out(buf, (size_t)n);
}

noreturn void panic(const char *fmt, ...)
{
	static int nested;
	char buf[256];
	va_list ap;

	arch_local_irq_disable();
	if (nested++) {
		console_write("panic: nested panic\n", 20);
		power_off(STATUS_PANIC);
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("panic: %s\n", buf);
	arch_dump_stack();
	printk("pvk: power off, status %d\n", STATUS_PANIC);
	power_off(STATUS_PANIC);
}
