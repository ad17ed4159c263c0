/*
 * x86_insn.c - encoders for NOP fill, call rel32, ud2 and the check of an
 * unpatched indirect call. Freestanding: no libc.
 */
#include <pvops/errno.h>
#include <pvops/x86_insn.h>

/*
 * The recommended multi-byte NOPs, by length (Intel SDM Vol. 2B, "NOP"):
 * 0f 1f /0 with growing ModRM/SIB/displacement, and a 66 prefix for 2, 6
 * and 9 bytes.
 */
static const uint8_t nops[X86_NOP_MAX_LEN + 1][X86_NOP_MAX_LEN] = {
	[1] = { 0x90 },
	[2] = { 0x66, 0x90 },
	[3] = { 0x0f, 0x1f, 0x00 },
	[4] = { 0x0f, 0x1f, 0x40, 0x00 },
	[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	[9] = { 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

void x86_fill_nops(uint8_t *buf, size_t len)
{
	while (len) {
		size_t n = len < X86_NOP_MAX_LEN ? len : X86_NOP_MAX_LEN;
		for (size_t i = 0; i < n; i++)
			buf[i] = nops[n][i];
		buf += n;
		len -= n;
	}
}

/* x86 is little-endian: a 4-byte builtin copy is one unaligned move. */
static void put_le32(uint8_t *p, uint32_t v)
{
	__builtin_memcpy(p, &v, 4);
}

static int32_t get_le32(const uint8_t *p)
{
	int32_t v;

	__builtin_memcpy(&v, p, 4);
	return v;
}

int x86_encode_call_rel32(uint8_t *buf, uintptr_t at, uintptr_t target)
{
	int64_t rel = (int64_t)(target - (at + X86_CALL_REL32_LEN));

	if (rel < INT32_MIN || rel > INT32_MAX)
		return -ERANGE;
	buf[0] = X86_OP_CALL_REL32;
	put_le32(buf + 1, (uint32_t)rel);
	return 0;
}

int x86_encode_call_site(uint8_t *buf, size_t len, uintptr_t at,
			 uintptr_t target)
{
	size_t pre = len == X86_CALL_REL32_LEN + 1;
	int r = x86_encode_call_rel32(buf + pre, at + pre, target);

	if (r)
		return r;
	if (pre)
		buf[0] = X86_PREFIX_CS;
	x86_fill_nops(buf + pre + X86_CALL_REL32_LEN, len - pre - X86_CALL_REL32_LEN);
	return 0;
}

int x86_encode_jmp_site(uint8_t *buf, size_t len, uintptr_t at,
			uintptr_t target)
{
	int r = x86_encode_call_rel32(buf, at, target);

	if (r)
		return r;
	buf[0] = X86_OP_JMP_REL32;    /* same rel32 from the same length */
	x86_fill_nops(buf + X86_CALL_REL32_LEN, len - X86_CALL_REL32_LEN);
	return 0;
}

void x86_encode_ud2(uint8_t *buf)
{
	buf[0] = X86_OP_0F;
	buf[1] = X86_OP_UD2;
}

int x86_is_call_rip(const uint8_t *buf, uintptr_t at, uintptr_t slot_addr)
{
	if (buf[0] != X86_OP_GRP5 || buf[1] != X86_MODRM_CALL_RIP)
		return 0;
	return at + X86_CALL_RIP_LEN + (intptr_t)get_le32(buf + 2) == slot_addr;
}

int x86_is_jmp_rip(const uint8_t *buf, uintptr_t at, uintptr_t slot_addr)
{
	if (buf[0] != X86_OP_GRP5 || buf[1] != X86_MODRM_JMP_RIP)
		return 0;
	return at + X86_CALL_RIP_LEN + (intptr_t)get_le32(buf + 2) == slot_addr;
}
