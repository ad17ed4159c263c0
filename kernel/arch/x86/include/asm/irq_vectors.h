/*
 * irq_vectors.h - the interrupt vectors pvk uses, in one place. Plain
 * #defines: entry.S includes it too.
 *
 * Vectors 0..31 are the CPU's exceptions (X86_NR_EXCEPTIONS); entry.S
 * has a stub for each, for every vector up to LAST_STUB_VECTOR, and for
 * PV_KICK_VECTOR and SPURIOUS_VECTOR.
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
/* A pv lock waiter's wake-up (pvhv's PVHV_HC_KICK injects it; its
 * handler only EOIs). In a priority class (vector >> 4) above every other
 * interrupt's: a waiter may halt inside the handler of one of those
 * (a lock taken in a call-function round), and the local APIC delivers
 * nothing of the in-service vector's class or lower. Like the spurious
 * vector, outside the contiguous stubs. */
#define PV_KICK_VECTOR  240
#define SPURIOUS_VECTOR 255   /* the APIC's spurious vector (SVR) */

#endif /* ASM_IRQ_VECTORS_H */
