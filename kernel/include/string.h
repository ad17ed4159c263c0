/* string.h - the few string and memory functions the kernel has. */
#ifndef PVK_STRING_H
#define PVK_STRING_H

#include <types.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif /* PVK_STRING_H */
