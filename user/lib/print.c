/* print.c - console output of the user runtime: print, a printf for
 * numbers and strings, and the report of a failed self-check. */
#include <ulib.h>

void print(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		size_t chunk = n < SYS_WRITE_MAX ? n : SYS_WRITE_MAX;

		sys_write(s, chunk);
		s += chunk;
		n -= chunk;
	}
}

/* printf's output: a buffer written out when full and at the end. */
struct out {
	char buf[PRINTF_BUF];
	size_t used;
	int total;
};

static void out_flush(struct out *o)
{
	if (o->used)
		sys_write(o->buf, o->used);
	o->used = 0;
}

static void out_char(struct out *o, char c)
{
	if (o->used == sizeof(o->buf))
		out_flush(o);
	o->buf[o->used++] = c;
	o->total++;
}

static void out_str(struct out *o, const char *s)
{
	while (*s)
		out_char(o, *s++);
}

/* v in base 10 or 16, at least width digits, padded with pad. */
static void out_num(struct out *o, u64 v, unsigned base, bool negative,
		    int width, char pad)
{
	char digits[24];        /* 2^64 has 20 decimal digits */
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (negative && pad == '0')
		out_char(o, '-');
	for (int i = n + negative; i < width; i++)
		out_char(o, pad);
	if (negative && pad != '0')
		out_char(o, '-');
	while (n)
		out_char(o, digits[--n]);
}

/* The value of a d/i (is_signed) or u/x argument of the given length
 * (0: int, 1: long, 2: long long; z is long here). */
static u64 arg_value(va_list *ap, int length, bool is_signed)
{
	if (is_signed) {
		if (length == 0)
			return (u64)(s64)va_arg(*ap, int);
		return (u64)(length == 1 ? va_arg(*ap, long) : va_arg(*ap, long long));
	}
	if (length == 0)
		return va_arg(*ap, unsigned int);
	return length == 1 ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned long long);
}

int printf(const char *fmt, ...)
{
	struct out o = { .used = 0, .total = 0 };
	va_list ap;

	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		int width = 0, length = 0;
		char pad = ' ';

		if (*p != '%') {
			out_char(&o, *p);
			continue;
		}
		p++;
		if (*p == '0')
			pad = *p++;
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (*p++ - '0');
		while (*p == 'l' || *p == 'z')
			length = *p++ == 'z' ? 1 : length + 1;
		switch (*p) {
		case 'd':
		case 'i': {
			s64 v = (s64)arg_value(&ap, length, true);

			out_num(&o, v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
			out_num(&o, arg_value(&ap, length, false), 10, false, width, pad);
			break;
		case 'x':
			out_num(&o, arg_value(&ap, length, false), 16, false, width, pad);
			break;
		case 'p':
			out_str(&o, "0x");
			out_num(&o, (u64)va_arg(ap, void *), 16, false, width, pad);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			out_str(&o, s ? s : "(null)");
			break;
		}
		case 'c':
			out_char(&o, (char)va_arg(ap, int));
			break;
		case '%':
			out_char(&o, '%');
			break;
		default:
			/* Not a conversion printf-lite knows: show it, loudly. */
			out_str(&o, "<bad format %");
			if (*p)
				out_char(&o, *p);
			out_char(&o, '>');
			if (!*p)
				p--;    /* the loop's p++ must not step over the NUL */
			break;
		}
	}
	va_end(ap);
	out_flush(&o);
	return o.total;
}

noreturn void check_failed(const char *prog, int k, const char *what, u64 seen)
{
	printf("%s: check %d failed: %s (seen %ld = 0x%lx)\n", prog, k, what,
	       (s64)seen, seen);
	sys_exit(1 + k);
}
