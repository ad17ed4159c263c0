/*
 * regs_harness.h - the register harness's table layout and the RFLAGS
 * bits it compares; plain #defines, for regs_harness.S and the tests.
 *
 * in[] and out[] have REGS_SLOTS entries: the 16 general registers by
 * PV_REG_* (pvops/regs.h), then RFLAGS.
 */
#ifndef TEST_REGS_HARNESS_H
#define TEST_REGS_HARNESS_H

#define REGS_FL         16  /* in: RFLAGS to load; out: RFLAGS after the call */
#define REGS_FL_BEFORE  17  /* out: RFLAGS as loaded, just before the call */
#define REGS_SLOTS      18

#define FL_CF    0x000001
#define FL_FIXED 0x000002   /* bit 1, always set */
#define FL_ZF    0x000040
#define FL_TF    0x000100   /* setting it in ring 3 single-steps: SIGTRAP */
#define FL_IF    0x000200   /* ring 3 (IOPL 0): popf leaves it as it is */
#define FL_DF    0x000400
#define FL_IOPL  0x003000   /* ring 3: popf leaves it as it is */
#define FL_NT    0x004000
#define FL_AC    0x040000   /* alignment check, settable in ring 3 */
#define FL_ID    0x200000

/* The flags no site may change; the status flags (CF, PF, AF, ZF, SF, OF)
 * are clobbered freely, as the clobber masks say. */
#define FL_KEPT (FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT | FL_AC | FL_ID)

#endif /* TEST_REGS_HARNESS_H */
