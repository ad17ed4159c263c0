/*
 * vsnprintf.c - a small printf for the kernel.
 *
 * The output position and limit live in two locals (len, cap) so the
 * compiler keeps them in registers: under an emulating hypervisor every instruction of
 * the per-character path costs about a microsecond, and the boot report
 * is a few thousand characters.
 */
#include <printk.h>
#include <string.h>

/* Emit one character; count it even when the buffer is full. */
#define PUT(c)                                                             \
	do {                                                                \
		char c_ = (c);    /* evaluated once, written or not */      \
		if (len < cap)                                              \
			buf[len] = c_;                                      \
		len++;                                                      \
	} while (0)

#define PAD(c, n)                                                          \
	do {                                                                \
		for (int k_ = (n); k_ > 0; k_--)                            \
			PUT(c);                                             \
	} while (0)

/* Digits of v in `base`, last digit first; returns how many. */
static int digits(char *tmp, unsigned long long v, unsigned base, bool upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		tmp[n++] = d[v % base];
		v /= base;
	} while (v);
	return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t len = 0, cap = size ? size - 1 : 0;

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			PUT(*fmt);
			continue;
		}
		bool left = false, zero = false, alt = false;
		int width = 0, prec = -1, lng = 0;

		for (;; fmt++) {
			if (fmt[1] == '-')
				left = true;
			else if (fmt[1] == '0')
				zero = true;
			else if (fmt[1] == '#')
				alt = true;
			else
				break;
		}
		fmt++;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}

		char tmp[24];
		const char *prefix = "";
		unsigned long long u = 0;
		bool neg = false;
		int n;

		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v = lng ? va_arg(ap, long long) : va_arg(ap, int);
			neg = v < 0;
			u = neg ? -(unsigned long long)v : (unsigned long long)v;
			n = digits(tmp, u, 10, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			u = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
			n = digits(tmp, u, *fmt == 'u' ? 10 : 16, *fmt == 'X');
			if (alt && *fmt != 'u')
				prefix = "0x";
			break;
		case 'p':
			u = (unsigned long)va_arg(ap, void *);
			n = digits(tmp, u, 16, false);
			prefix = "0x";
			zero = true;
			width = 18;
			break;
		case 'c':
			if (!left)
				PAD(' ', width - 1);
			PUT((char)va_arg(ap, int));
			if (left)
				PAD(' ', width - 1);
			continue;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int sn = (int)strnlen(s, prec < 0 ? (size_t)-1 : (size_t)prec);
			if (!left)
				PAD(' ', width - sn);
			for (int i = 0; i < sn; i++)
				PUT(s[i]);
			if (left)
				PAD(' ', width - sn);
			continue;
		}
		case '%':
			PUT('%');
			continue;
		case '\0':
			fmt--;
			continue;
		default:
			PUT('%');
			PUT(*fmt);
			continue;
		}

		/* a number: [pad] [-] [0x] [zeros] digits [pad] */
		size_t start = len;
		int plen = (int)strlen(prefix) + neg;
		if (!left && !zero)
			PAD(' ', width - n - plen);
		if (neg)
			PUT('-');
		for (const char *q = prefix; *q; q++)
			PUT(*q);
		if (!left && zero)
			PAD('0', width - n - plen);
		while (n)
			PUT(tmp[--n]);
		if (left)
			PAD(' ', width - (int)(len - start));
	}
	if (size)
		buf[len < cap ? len : cap] = 0;
	return (int)len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
