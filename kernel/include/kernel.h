/*
 * kernel.h - the generic kernel's entry and exit.
 */
#ifndef PVK_KERNEL_H
#define PVK_KERNEL_H

#include <boot_info.h>
#include <paravirt.h>

/* Exit statuses pvk powers off with (pvrun reads them back). */
#define STATUS_OK        0   /* booted, every self-test passed */
#define STATUS_TESTS     1   /* a self-test failed */
#define STATUS_BAD_BOOT  2   /* the loader's information was unusable */
#define STATUS_PANIC     3   /* panic(): an invariant broke */

/*
 * kernel_main - the generic kernel: choose the platform, patch, set up
 * memory and the timer, report, run the self-tests, power off. Called
 * once by the arch entry (boot_main, which has loaded the GDT, TSS and
 * IDT) with interrupts off; never returns.
 */
noreturn void kernel_main(struct boot_info *bi);

#endif /* PVK_KERNEL_H */
