/*
 * bench_compute.c - bench=compute: ordinary computation in the kernel,
 * with no privileged operation in the loop, so it costs the same on every
 * platform unless the platform slows the kernel's own instructions down
 * (PVM emulates ring 0; at CPL 3 the same loop would run natively).
 *
 * A round: Adler-32 of a 4 MiB buffer, the buffer copied to a second one,
 * Adler-32 of the copy, the copy copied back. The buffers are 1024 pages
 * each from the page allocator (it has no contiguous allocation), used
 * through the direct map. Each round is timed by sched_clock and the TSC;
 * the checksum is checked against the one zlib gives for the same bytes,
 * so a wrong loop, or one the compiler dropped, shows.
 */
#include <bench.h>
#include <mm.h>
#include <paravirt.h>
#include <printk.h>
#include <string.h>
#include <trap.h>
#include <asm/x86_bits.h>

#define COMPUTE_BYTES  (4u << 20)
#define COMPUTE_PAGES  ((u32)(COMPUTE_BYTES / PAGE_SIZE))
#define COMPUTE_ROUNDS 5

/* Adler-32 (RFC 1950): two sums modulo the largest prime below 2^16. */
#define ADLER_MOD  65521u
#define ADLER_INIT 1u
#define ADLER_S2_SHIFT 16          /* the value: s2 << 16 | s1 */
#define ADLER_S1_MASK  0xffffu
/* The most bytes whose sums fit in 32 bits before the modulo (zlib's
 * NMAX: 255 n (n + 1) / 2 + (n + 1) (ADLER_MOD - 1) < 2^32). */
#define ADLER_NMAX 5552u

/* The fill: xorshift32 (Marsaglia's 13, 17, 5) from PATTERN_SEED, each
 * state stored as 4 bytes, little-endian: irregular enough that a wrong
 * byte anywhere changes the sum (a simpler pattern of multiples had
 * colliding sums). */
#define PATTERN_SEED 0x2545f491u
#define XS_A 13
#define XS_B 17
#define XS_C 5

/* Known answers, from Python's zlib.adler32 over the same bytes:
 * "Wikipedia" (RFC 1950's example word in many texts), the first page of
 * the pattern, and the whole 4 MiB of it. */
#define KAT_TEXT        "Wikipedia"
#define KAT_TEXT_ADLER  0x11e60398u
#define KAT_PAGE_ADLER  0x0f6cf98eu
#define KAT_BUF_ADLER   0x1386705cu

static u8 *buf_a[COMPUTE_PAGES], *buf_b[COMPUTE_PAGES];

/* Adler-32 carried on over n more bytes, the modulo deferred. */
static u32 adler32_update(u32 adler, const u8 *p, size_t n)
{
	u32 s1 = adler & ADLER_S1_MASK, s2 = adler >> ADLER_S2_SHIFT;

	while (n) {
		size_t chunk = n < ADLER_NMAX ? n : ADLER_NMAX;

		n -= chunk;
		while (chunk--) {
			s1 += *p++;
			s2 += s1;
		}
		s1 %= ADLER_MOD;
		s2 %= ADLER_MOD;
	}
	return s2 << ADLER_S2_SHIFT | s1;
}

/* The same sum the slow way, the modulo at every byte: the reference the
 * deferred one is checked against. */
static u32 adler32_bytewise(const u8 *p, size_t n)
{
	u32 s1 = ADLER_INIT, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		s1 = (s1 + p[i]) % ADLER_MOD;
		s2 = (s2 + s1) % ADLER_MOD;
	}
	return s2 << ADLER_S2_SHIFT | s1;
}

static u32 adler32_pages(u8 *const *pages)
{
	u32 a = ADLER_INIT;

	for (u32 i = 0; i < COMPUTE_PAGES; i++)
		a = adler32_update(a, pages[i], PAGE_SIZE);
	return a;
}

static void copy_pages(u8 *const *dst, u8 *const *src)
{
	for (u32 i = 0; i < COMPUTE_PAGES; i++)
		memcpy(dst[i], src[i], PAGE_SIZE);
}

/* The two buffers' pages, buf_a filled with the pattern; false (and the
 * pages given back) when memory ran short. */
static bool buffers_get(void)
{
	u32 x = PATTERN_SEED;

	for (u32 i = 0; i < COMPUTE_PAGES; i++) {
		phys_addr_t a = try_alloc_page(), b = try_alloc_page();

		buf_a[i] = a ? __va(a) : NULL;
		buf_b[i] = b ? __va(b) : NULL;
		if (!a || !b) {
			printk("bench: compute: out of memory after %u of %u pages\n",
			       i, COMPUTE_PAGES);
			return false;
		}
		for (u32 j = 0; j < PAGE_SIZE; j += sizeof(x)) {
			x ^= x << XS_A;
			x ^= x >> XS_B;
			x ^= x << XS_C;
			memcpy(&buf_a[i][j], &x, sizeof(x));    /* x86: little-endian */
		}
	}
	return true;
}

static void buffers_put(void)
{
	for (u32 i = 0; i < COMPUTE_PAGES; i++) {
		if (buf_a[i])
			free_page(__pa(buf_a[i]));
		if (buf_b[i])
			free_page(__pa(buf_b[i]));
		buf_a[i] = buf_b[i] = NULL;
	}
}

/* The checksum against the known answers, both ways; one line per miss. */
static bool adler32_known_answers(void)
{
	static const char text[] = KAT_TEXT;
	bool ok = true;
	u32 v;

	if ((v = adler32_update(ADLER_INIT, (const u8 *)text, sizeof(text) - 1)) != KAT_TEXT_ADLER ||
	    (v = adler32_bytewise((const u8 *)text, sizeof(text) - 1)) != KAT_TEXT_ADLER) {
		printk("bench: compute: adler32(\"%s\") = %#x, want %#x\n", text, v, KAT_TEXT_ADLER);
		ok = false;
	}
	if ((v = adler32_update(ADLER_INIT, buf_a[0], PAGE_SIZE)) != KAT_PAGE_ADLER ||
	    (v = adler32_bytewise(buf_a[0], PAGE_SIZE)) != KAT_PAGE_ADLER) {
		printk("bench: compute: adler32 of the first page = %#x, want %#x\n", v, KAT_PAGE_ADLER);
		ok = false;
	}
	return ok;
}

/* One round; its two checksums in *sa, *sb. */
static void compute_round(u32 *sa, u32 *sb)
{
	*sa = adler32_pages(buf_a);
	copy_pages(buf_b, buf_a);
	*sb = adler32_pages(buf_b);
	copy_pages(buf_a, buf_b);
}

/* The smallest of n values: the round with the fewest interruptions. */
static u64 min_u64(const u64 *v, int n)
{
	u64 m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

void bench_compute(void)
{
	u64 ns[COMPUTE_ROUNDS], cyc[COMPUTE_ROUNDS];
	u32 sa = 0, sb = 0, bad = 0;

	if (!buffers_get() || !adler32_known_answers()) {
		buffers_put();
		printk("bench: compute: not run\n");
		return;
	}
	for (int r = 0; r < COMPUTE_ROUNDS; r++) {
		u64 t0 = sched_clock(), c0 = cycles_ordered();

		compute_round(&sa, &sb);
		cyc[r] = cycles_ordered() - c0;
		ns[r] = sched_clock() - t0;
		bad += sa != KAT_BUF_ADLER || sb != KAT_BUF_ADLER;
		printk("# bench: compute: round %d: %llu ns, %llu cycles, adler32 %#x %#x\n",
		       r + 1, (unsigned long long)ns[r], (unsigned long long)cyc[r], sa, sb);
	}
	buffers_put();
	printk("bench: compute: round %llu ns, %llu cycles (best of %d rounds: "
	       "adler32 of %u bytes, copied, adler32, copied back); adler32 %#x %#x, "
	       "want %#x: %u rounds wrong\n",
	       (unsigned long long)min_u64(ns, COMPUTE_ROUNDS),
	       (unsigned long long)min_u64(cyc, COMPUTE_ROUNDS), COMPUTE_ROUNDS,
	       COMPUTE_BYTES, sa, sb, KAT_BUF_ADLER, bad);
}
