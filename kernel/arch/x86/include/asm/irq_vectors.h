/*
 * irq_vectors.h - the interrupt vectors pvk uses, in one place. Plain
 * #defines: entry.S includes it too.
 *
 * Vectors 0..31 are the CPU's exceptions (X86_NR_EXCEPTIONS); entry.S
 * has a stub for each, for every vector up to LAST_STUB_VECTOR, and for
 * SPURIOUS_VECTOR.
 */
#ifndef ASM_IRQ_VECTORS_H
#define ASM_IRQ_VECTORS_H

#define NR_VECTORS      256   /* the IDT's size: every vector x86 has */
#define TIMER_VECTOR    32    /* the local APIC timer */
#define TEST_IPI_VECTOR 33    /* raised by self-tests only (kick, IPI) */
#define CALL_FUNCTION_VECTOR 34 /* smp_call_function's IPI (smp.c) */
#define RESCHEDULE_VECTOR 35  /* a wake for a halted CPU (sched.c) */
#define TLB_FLUSH_VECTOR 36   /* a TLB shootdown's IPI (tlb.c) */
#define LAST_STUB_VECTOR TLB_FLUSH_VECTOR /* entry.S: stubs 0..this */
#define SPURIOUS_VECTOR 255   /* the APIC's spurious vector (SVR) */

#endif /* ASM_IRQ_VECTORS_H */
