/*
 * processor.h - what generic code may ask of the CPU directly: nothing
 * privileged, nothing a hypervisor would want to replace.
 */
#ifndef ASM_PROCESSOR_H
#define ASM_PROCESSOR_H

/* cpu_relax - in a spin-wait loop: `pause` tells the CPU (and a
 * hypervisor's pause-loop exiting) that this is a spin. */
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

#endif /* ASM_PROCESSOR_H */
