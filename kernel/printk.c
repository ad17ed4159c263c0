/*
 * printk.c - console output through the pv console_write op, and panic.
 */
#include <kernel.h>
#include <paravirt.h>
#include <printk.h>

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
	console_write(buf, (size_t)n);
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
