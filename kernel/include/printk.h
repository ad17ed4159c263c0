/* printk.h - formatted output to the console, and panic. */
#ifndef PVK_PRINTK_H
#define PVK_PRINTK_H

#include <stdarg.h>
#include <types.h>

/*
 * vsnprintf - format into buf (always NUL-terminated when size > 0).
 * Knows %s %c %d %i %u %x %X %p %% with '-', '0', '#', width, precision for
 * %s, and the l, ll and z length modifiers. Returns the length the whole
 * output would have had.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * console_out - write n bytes to the console (pv console_write) whole:
 * no other CPU's output lands inside them. Interrupts are off meanwhile;
 * usable before per-CPU data exists and from interrupt handlers.
 */
void console_out(const char *s, size_t n);

/* printk - format and write to the console through console_out. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * panic - print "panic: <message>", where it was called (arch_dump_stack),
 * then power off with status STATUS_PANIC (kernel.h). Never returns.
 * Use as panic("fn: reason") for broken invariants.
 */
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * arch_dump_stack - print where the caller is (its registers as far as
 * they mean anything) and a backtrace. The architecture supplies it
 * (arch/x86/traps.c); panic calls it.
 */
void arch_dump_stack(void);

/* BUG_ON - panic naming the function and the condition. */
#define BUG_ON(cond)                                                       \
	do {                                                                \
		if (__builtin_expect(!!(cond), 0))                          \
			panic("%s: BUG_ON(%s)", __func__, #cond);           \
	} while (0)

#endif /* PVK_PRINTK_H */
