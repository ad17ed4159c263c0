/*
 * elfimg.c - read an ELF64 x86-64 file with <elf.h>, checking every
 * offset and size it will use before anything reads through them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfimg.h"

/* Does [off, off+len) lie inside a file of `size` bytes? */
static int in_file(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

static const char *check(struct elfimg *im)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)im->data;

	if (im->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return "not an ELF file";
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return "not ELF64 little-endian";
	if (eh->e_machine != EM_X86_64)
		return "not an x86-64 ELF";
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0)
		return "no section headers (a stripped or truncated file?)";
	if (!in_file(im->size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		return "section header table beyond the end of the file";
	if (eh->e_shoff % 8)
		return "section header table misaligned";
	im->eh = eh;
	im->sh = (const Elf64_Shdr *)(im->data + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *s = &im->sh[i];

		if (s->sh_type != SHT_NOBITS && s->sh_type != SHT_NULL &&
		    !in_file(im->size, s->sh_offset, s->sh_size))
			return "a section's contents lie beyond the end of the file";
		if (s->sh_link >= eh->e_shnum)
			return "a section links to a section that does not exist";
	}
	if (eh->e_shstrndx >= eh->e_shnum)
		return "section name table index out of range";
	const Elf64_Shdr *ss = &im->sh[eh->e_shstrndx];
	if (ss->sh_type != SHT_STRTAB || !ss->sh_size ||
	    im->data[ss->sh_offset + ss->sh_size - 1])
		return "section name table is not a string table";
	im->shstr = (const char *)im->data + ss->sh_offset;
	im->shstr_size = ss->sh_size;
	for (unsigned i = 0; i < eh->e_shnum; i++)
		if (im->sh[i].sh_name >= im->shstr_size)
			return "a section name lies outside the name table";
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *s = &im->sh[i], *l;

		if (s->sh_type != SHT_SYMTAB)
			continue;
		l = &im->sh[s->sh_link];
		if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_offset % 8 ||
		    l->sh_type != SHT_STRTAB || !l->sh_size ||
		    im->data[l->sh_offset + l->sh_size - 1])
			return "symbol table malformed";
		im->sym = (const Elf64_Sym *)(im->data + s->sh_offset);
		im->nsym = s->sh_size / sizeof(Elf64_Sym);
		im->str = (const char *)im->data + l->sh_offset;
		im->str_size = l->sh_size;
		for (size_t k = 0; k < im->nsym; k++)
			if (im->sym[k].st_name >= im->str_size)
				return "a symbol name lies outside the string table";
		break;
	}
	if (!im->sym)
		return "no symbol table (stripped?)";
	return NULL;
}

struct elfimg *elfimg_open(const char *path, const char **why, int *io)
{
	struct elfimg *im = calloc(1, sizeof(*im));
	FILE *f = fopen(path, "rb");
	long n;

	*io = 0;
	if (!im || !f)
		goto io_fail;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto io_fail;
	im->size = (size_t)n;
	im->data = malloc(im->size ? im->size : 1);
	if (!im->data || fread(im->data, 1, im->size, f) != im->size)
		goto io_fail;
	fclose(f);
	im->path = path;
	*why = check(im);
	if (*why) {
		elfimg_close(im);
		return NULL;
	}
	return im;
io_fail:
	*why = strerror(errno ? errno : EIO);
	*io = 1;
	if (f)
		fclose(f);
	elfimg_close(im);
	return NULL;
}

void elfimg_close(struct elfimg *im)
{
	if (im)
		free(im->data);
	free(im);
}

const uint8_t *elfimg_at(const struct elfimg *im, uint64_t addr, size_t len)
{
	for (unsigned i = 0; i < im->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &im->sh[i];

		if (!(s->sh_flags & SHF_ALLOC) || s->sh_type == SHT_NOBITS ||
		    s->sh_type == SHT_NULL)
			continue;
		if (addr >= s->sh_addr && addr - s->sh_addr <= s->sh_size &&
		    len <= s->sh_size - (addr - s->sh_addr))
			return im->data + s->sh_offset + (addr - s->sh_addr);
	}
	return NULL;
}

const char *elfimg_str(const struct elfimg *im, uint64_t addr)
{
	for (size_t n = 1; n <= 256; n++) {
		const uint8_t *p = elfimg_at(im, addr, n);

		if (!p)
			return NULL;
		if (!p[n - 1])
			return (const char *)p;
	}
	return NULL;
}

const char *elfimg_sym_name(const struct elfimg *im, const Elf64_Sym *s)
{
	return im->str + s->st_name;
}

const Elf64_Sym *elfimg_sym(const struct elfimg *im, const char *name)
{
	for (size_t i = 0; i < im->nsym; i++)
		if (im->sym[i].st_shndx != SHN_UNDEF && !strcmp(im->str + im->sym[i].st_name, name))
			return &im->sym[i];
	return NULL;
}

const Elf64_Sym *elfimg_func_at(const struct elfimg *im, uint64_t addr, uint64_t *off)
{
	const Elf64_Sym *best = NULL;

	for (size_t i = 0; i < im->nsym; i++) {
		const Elf64_Sym *s = &im->sym[i];

		if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_size &&
		    addr >= s->st_value && addr - s->st_value < s->st_size) {
			best = s;
			break;
		}
	}
	/* nearest named symbol at or below addr, in the section holding addr */
	if (!best) {
		for (size_t i = 0; i < im->nsym; i++) {
			const Elf64_Sym *s = &im->sym[i];
			int t = ELF64_ST_TYPE(s->st_info);

			if ((t != STT_FUNC && t != STT_NOTYPE) || !im->str[s->st_name] ||
			    s->st_shndx == SHN_UNDEF || s->st_shndx >= im->eh->e_shnum ||
			    s->st_value > addr)
				continue;
			const Elf64_Shdr *sec = &im->sh[s->st_shndx];
			if (!(sec->sh_flags & SHF_EXECINSTR) || addr < sec->sh_addr ||
			    addr - sec->sh_addr >= sec->sh_size)
				continue;
			if (!best || s->st_value > best->st_value)
				best = s;
		}
	}
	if (best && off)
		*off = addr - best->st_value;
	return best;
}

const Elf64_Shdr *elfimg_section(const struct elfimg *im, const char *name)
{
	for (unsigned i = 0; i < im->eh->e_shnum; i++)
		if (!strcmp(im->shstr + im->sh[i].sh_name, name))
			return &im->sh[i];
	return NULL;
}
