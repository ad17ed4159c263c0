/*
 * elfimg.h - a linked ELF64 x86-64 image read into memory, checked once,
 * then read by run address (pvsites).
 */
#ifndef PVSITES_ELFIMG_H
#define PVSITES_ELFIMG_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct elfimg {
	const char *path;
	uint8_t *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;       /* eh->e_shnum entries */
	const char *shstr;          /* section names */
	size_t shstr_size;
	const Elf64_Sym *sym;       /* .symtab */
	size_t nsym;
	const char *str;            /* its string table */
	size_t str_size;
};

/* elfimg_open - read and check `path`; NULL and *why on failure, *io set
 * when the file could not be read at all (rather than being malformed). */
struct elfimg *elfimg_open(const char *path, const char **why, int *io);
void elfimg_close(struct elfimg *im);

/* The file bytes behind [addr, addr+len) of an allocated section with
 * contents; NULL when any of it is not. */
const uint8_t *elfimg_at(const struct elfimg *im, uint64_t addr, size_t len);

/* A NUL-terminated string at addr (at most 256 bytes), or NULL. */
const char *elfimg_str(const struct elfimg *im, uint64_t addr);

/* A symbol by name, or NULL. */
const Elf64_Sym *elfimg_sym(const struct elfimg *im, const char *name);
const char *elfimg_sym_name(const struct elfimg *im, const Elf64_Sym *s);

/* The function containing addr: a FUNC symbol whose [value, value+size)
 * holds it, else the nearest named symbol at or below it in the same
 * section; NULL when none. *off is addr minus its value. */
const Elf64_Sym *elfimg_func_at(const struct elfimg *im, uint64_t addr, uint64_t *off);

/* The section called name, or NULL. */
const Elf64_Shdr *elfimg_section(const struct elfimg *im, const char *name);

#endif /* PVSITES_ELFIMG_H */
