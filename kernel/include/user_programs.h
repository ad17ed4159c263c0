/*
 * user_programs.h - the built-in user programs, linked into pvk's image
 * as flat binaries (user/, built by user/user.mk; the table is generated
 * into build/.../user-programs.S). No file system: SYS_spawn names one.
 *
 * Each image is linked at USER_TEXT_BASE (abi/syscall.h) and starts
 * executing at its first byte; its bss is part of the image (zeros), so
 * mapping `size` bytes from USER_TEXT_BASE is the whole program. Its
 * writable part starts on a page boundary (user/user.ld), text_size.
 */
#ifndef USER_PROGRAMS_H
#define USER_PROGRAMS_H

#include <types.h>

struct user_program {
	const char *name;       /* what SYS_spawn and the kernel's tests name */
	const u8 *image;        /* in the kernel's rodata */
	u64 size;               /* bytes, text + data + bss */
	u64 text_size;          /* the first text_size bytes (a multiple of
				   4 KiB) are code and read-only data: mapped
				   R+X; the rest R+W+NX */
};

extern const struct user_program user_programs[];
extern const u32 user_programs_count;

#endif /* USER_PROGRAMS_H */
