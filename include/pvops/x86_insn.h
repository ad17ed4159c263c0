/*
 * pvops/x86_insn.h - the few x86 encodings the patch engine writes.
 *
 * Opcodes are named once here; nothing else in libpvops spells them.
 */
#ifndef PVOPS_X86_INSN_H
#define PVOPS_X86_INSN_H

#include <stddef.h>
#include <stdint.h>

#define X86_OP_CALL_REL32    0xe8  /* call rel32 */
#define X86_OP_JMP_REL32     0xe9  /* jmp rel32 */
#define X86_OP_GRP5          0xff  /* group 5: /2 is call r/m64 */
#define X86_MODRM_CALL_RIP   0x15  /* mod 00, reg /2 (call), rm 101 (rip+disp32) */
#define X86_MODRM_JMP_RIP    0x25  /* mod 00, reg /4 (jmp), rm 101 (rip+disp32) */
#define X86_OP_NOP           0x90
#define X86_OP_0F            0x0f
#define X86_OP_UD2           0x0b  /* 0f 0b */
#define X86_PREFIX_CS        0x2e  /* segment override, ignored in 64-bit mode */

#define X86_CALL_REL32_LEN   5
#define X86_CALL_RIP_LEN     6
#define X86_UD2_LEN          2
/* Longest of the recommended multi-byte NOPs (Intel SDM Vol. 2B, NOP). */
#define X86_NOP_MAX_LEN      9

/*
 * x86_fill_nops - fill buf[0..len) with the fewest recommended NOPs:
 * as many 9-byte NOPs as fit, then one NOP of the remaining length.
 */
void x86_fill_nops(uint8_t *buf, size_t len);

/*
 * x86_encode_call_rel32 - write `call target` for an instruction at `at`.
 * Returns 0, or -ERANGE when target is beyond the reach of rel32 (±2 GiB)
 * and buf is untouched.
 */
int x86_encode_call_rel32(uint8_t *buf, uintptr_t at, uintptr_t target);

/*
 * x86_encode_call_site - fill a len-byte site (len >= 5) with a call to
 * target and padding. A 6-byte site gets one instruction, `cs call rel32`:
 * the redundant prefix costs nothing, where a call followed by a one-byte
 * NOP is a second instruction and measurably slower after popf
 * (bench/results/host.md). Longer sites get the call and NOPs.
 * Returns 0, or -ERANGE (buf untouched) when target is out of reach.
 */
int x86_encode_call_site(uint8_t *buf, size_t len, uintptr_t at,
			 uintptr_t target);

/*
 * x86_encode_jmp_site - fill a len-byte site (len >= 5) with `jmp target`
 * and padding (never executed: the jump does not come back). Returns 0,
 * or -ERANGE (buf untouched) when target is out of reach.
 */
int x86_encode_jmp_site(uint8_t *buf, size_t len, uintptr_t at,
			uintptr_t target);

/* x86_encode_ud2 - write ud2 (2 bytes). */
void x86_encode_ud2(uint8_t *buf);

/*
 * x86_is_call_rip - does buf hold `call *disp32(%rip)` for an instruction
 * at `at` whose memory operand is `slot_addr`?
 */
int x86_is_call_rip(const uint8_t *buf, uintptr_t at, uintptr_t slot_addr);

/* x86_is_jmp_rip - the same for `jmp *disp32(%rip)` (ff 25, 6 bytes). */
int x86_is_jmp_rip(const uint8_t *buf, uintptr_t at, uintptr_t slot_addr);

#endif /* PVOPS_X86_INSN_H */
