/*
 * user_programs_none.c - an empty built-in program table, weak: the
 * build that links user/'s programs (user_programs[]) replaces it.
 */
#include <user_programs.h>

__attribute__((weak)) const struct user_program user_programs[1];
__attribute__((weak)) const u32 user_programs_count = 0;
