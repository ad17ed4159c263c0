/* utypes.h - the basic types of pvk's user programs (freestanding: from
 * the compiler's own headers, nothing of a C library). */
#ifndef UTYPES_H
#define UTYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define noreturn __attribute__((__noreturn__))
#define noinline __attribute__((__noinline__))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* UTYPES_H */
