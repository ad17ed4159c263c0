/*
 * processor.h - what any kernel code may ask of the CPU without a pv op:
 * nothing privileged here (asm/x86.h has those, for the platforms).
 */
#ifndef ASM_PROCESSOR_H
#define ASM_PROCESSOR_H

/* cpu_relax - in a spin-wait loop: PAUSE, which eases the pipeline and
 * lets a hypervisor's pause-loop exiting see the vCPU spin. */
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

#endif /* ASM_PROCESSOR_H */
