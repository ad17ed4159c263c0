/*
 * t_pvsites.c - pvsites on the real build/pvk.elf, and on copies of it
 * broken on purpose: the listing, the per-platform patching against
 * literal bytes and instructions, --check, exit codes.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pvops/site.h>

#ifndef PVSITES_BIN
#define PVSITES_BIN "build/pvsites"
#endif
#ifndef PVK_ELF
#define PVK_ELF "build/pvk.elf"
#endif

static char out[1 << 20];

/* Run pvsites with args, stdout and stderr into out; its exit status. */
static int run(const char *args)
{
	char cmd[512];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", PVSITES_BIN, args);
	p = popen(cmd, "r");
	cr_assert(p, "popen %s", cmd);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	st = pclose(p);
	cr_assert(WIFEXITED(st), "%s did not exit", cmd);
	return WEXITSTATUS(st);
}

/* The three lines after the first listing line naming op, or NULL. */
static const char *block_of(const char *op)
{
	char key[64];

	snprintf(key, sizeof(key), " %s ", op);
	return strstr(out, key);
}

static void expect_block(const char *op, const char *want1, const char *want2)
{
	const char *b = block_of(op);
	const char *end;

	cr_assert(b, "no site of %s in:\n%.2000s", op, out);
	end = b;
	for (int i = 0; i < 4 && end; i++)
		end = strchr(end + 1, '\n');
	cr_assert(end, "short block for %s", op);
	char blk[1024];
	size_t n = (size_t)(end - b) < sizeof(blk) - 1 ? (size_t)(end - b) : sizeof(blk) - 1;
	memcpy(blk, b, n);
	blk[n] = 0;
	cr_expect(strstr(blk, want1), "%s: want '%s' in:\n%s", op, want1, blk);
	cr_expect(strstr(blk, want2), "%s: want '%s' in:\n%s", op, want2, blk);
}

Test(pvsites, help_and_usage)
{
	cr_expect_eq(run("--help"), 0);
	cr_expect(strstr(out, "usage: pvsites"));
	cr_expect_eq(run("--bogus " PVK_ELF), 64);
	cr_expect_eq(run(""), 64);
	cr_expect_eq(run("--vendor via " PVK_ELF), 64);
	cr_expect_eq(run("--platform nosuch " PVK_ELF), 64);
	cr_expect_eq(run("/nonexistent/pvk.elf"), 66);
}

/* At CPL 3 under pvhv the interrupt flag is a word in memory: cli and
 * pushf become one store and one load at its absolute address, the whole
 * site (83 /4 ib: and r/m32, imm8 with a SIB of no base and no index;
 * 8b /r: mov r32, r/m32), and the flag's word is the same in both. */
Test(pvsites, cpl3_inlines_the_virtual_if)
{
	const char *a, *b;

	cr_assert_eq(run("--platform pvhv-cpl3 " PVK_ELF), 0, "%s", out);
	expect_block("irq.irq_disable", "after:  83 24 25 ", "andl $0, 0xffffffff");
	expect_block("irq.save_fl", "after:  8b 04 25 ", "movl 0xffffffff");
	a = strstr(block_of("irq.irq_disable"), "after:  83 24 25 ");
	b = strstr(block_of("irq.save_fl"), "after:  8b 04 25 ");
	cr_assert(a && b);
	cr_expect(!strncmp(a + 17, b + 17, 11), "not the same word: %.28s / %.28s", a, b);
}

Test(pvsites, lists_every_site)
{
	cr_assert_eq(run(PVK_ELF), 0, "%s", out);
	cr_expect(strstr(out, "ADDRESS") && strstr(out, "CLOBBERS"));
	/* a C site and its clobbers; the .S sites of entry.S are asm */
	cr_expect(strstr(out, " irq.irq_disable            C      8 rax\n"), "%.3000s", out);
	cr_expect(strstr(out, " cpu.iret                   asm    6 none\n"), "%.3000s", out);
	cr_expect(strstr(out, " mmu.read_cr2               asm    6 rax\n"));
}

Test(pvsites, native_inlines_cli)
{
	cr_assert_eq(run("--platform native " PVK_ELF), 0, "%s", out);
	cr_expect(strstr(out, "# platform native (native), every feature offered and on"));
	/* 8-byte sites (PV_SITE_MEMOP_LEN): the instruction, one long NOP */
	expect_block("irq.irq_disable", "after:  fa 0f 1f 80 00 00 00 00", "cli; nop");
	expect_block("irq.irq_disable", "before: ff 15", "callq *");
	expect_block("irq.save_fl", "after:  9c 58 66 0f 1f 44 00 00", "pushfq; popq %rax; nop");
	/* the spinlock's unlock: the byte store itself (qspinlock=native,
	 * the default), a call to the pv unlock with qspinlock=pv */
	expect_block("lock.spin_unlock", "after:  c6 07 00", "movb $0, (%rdi)");
	cr_assert_eq(run("--platform native --set qspinlock=pv " PVK_ELF), 0, "%s", out);
	expect_block("lock.spin_unlock", "direct (not native)", "after:  2e e8");
	cr_assert_eq(run("--platform native " PVK_ELF), 0, "%s", out);
	/* no hypervisor: the hypercall is a call to the C function */
	expect_block("hv.hypercall", "direct (not native)", "after:  2e e8");
}

Test(pvsites, kvm_hypercall_by_vendor)
{
	cr_assert_eq(run("--platform kvm --vendor intel " PVK_ELF), 0, "%s", out);
	cr_expect(strstr(out, "vendor=intel"));
	expect_block("hv.hypercall", "inline (backend template)", "after:  0f 01 c1");
	expect_block("hv.hypercall", "vmcall", "vmcall; nop");
	cr_assert_eq(run("--platform kvm --vendor amd " PVK_ELF), 0, "%s", out);
	expect_block("hv.hypercall", "after:  0f 01 d9", "vmmcall; nop");
	/* KVM's own inline template, and io_delay patched to nothing */
	expect_block("lock.vcpu_is_preempted", "inline (backend template)", "setne %al");
	expect_block("cpu.io_delay", "nop (no-op implementation)", "after:  66 0f 1f 44 00 00");
}

Test(pvsites, pvhv_doorbell_is_one_out)
{
	cr_assert_eq(run("--platform pvhv " PVK_ELF), 0, "%s", out);
	cr_expect(strstr(out, "(native > kvm > pvhv)"));
	expect_block("hv.doorbell", "inline (backend template)", "after:  ef ");
	expect_block("hv.doorbell", "outl %eax, %dx", "inline");
}

Test(pvsites, json)
{
	cr_assert_eq(run("--json --platform native " PVK_ELF), 0, "%s", out);
	cr_expect_eq(out[0], '{');
	cr_expect(strstr(out, "\"platform\":\"native\""));
	cr_expect(strstr(out, "\"op\":\"irq.irq_disable\",\"slot\":"));
	cr_expect(strstr(out, "\"after\":\"fa 0f 1f 80 00 00 00 00\",\"after_asm\":\"cli; nop\""));
	cr_expect(strstr(out, "\"counts\":{\"inline\":"));
}

Test(pvsites, check_passes_on_the_build)
{
	cr_expect_eq(run("--check " PVK_ELF), 0, "%s", out);
	cr_expect(strstr(out, "patch as intended"), "%s", out);
}

/* --- broken copies ------------------------------------------------------- */

static uint8_t *img;
static size_t img_size;

static void load(void)
{
	FILE *f = fopen(PVK_ELF, "rb");

	cr_assert(f, "open %s", PVK_ELF);
	fseek(f, 0, SEEK_END);
	img_size = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	img = malloc(img_size);
	cr_assert_eq(fread(img, 1, img_size, f), img_size);
	fclose(f);
}

static const Elf64_Shdr *section(const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	const char *names = (const char *)img + sh[eh->e_shstrndx].sh_offset;

	for (int i = 0; i < eh->e_shnum; i++)
		if (!strcmp(names + sh[i].sh_name, name))
			return &sh[i];
	cr_assert_fail("no section %s", name);
	return NULL;
}

static void save(const char *path, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert(f);
	cr_assert_eq(fwrite(img, 1, len, f), len);
	fclose(f);
}

/* The first site record, and the file offset of its site. */
static struct pv_site *first_site(size_t *site_off)
{
	const Elf64_Shdr *ps = section("pv_sites"), *tx = section(".text");
	struct pv_site *s = (struct pv_site *)(img + ps->sh_offset);
	uint64_t a = ps->sh_addr + (int64_t)s->addr_rel;

	*site_off = tx->sh_offset + (a - tx->sh_addr);
	return s;
}

static void tmpname(char *buf, const char *what)
{
	snprintf(buf, 64, "/tmp/pvsites-%s-%d.elf", what, (int)getpid());
}

Test(pvsites, check_fails_on_a_record_outside_the_text)
{
	char path[64], args[128];
	size_t off;

	load();
	first_site(&off)->addr_rel += 0x1000000;   /* 16 MiB on: past _etext */
	tmpname(path, "outside");
	save(path, img_size);
	snprintf(args, sizeof(args), "--check %s", path);
	cr_expect_eq(run(args), 1, "%s", out);
	cr_expect(strstr(out, "refused on native"), "%s", out);
	cr_expect(strstr(out, "site outside the text range"), "%s", out);
	/* the listing still works */
	snprintf(args, sizeof(args), "%s", path);
	cr_expect_eq(run(args), 0, "%s", out);
	unlink(path);
}

Test(pvsites, check_fails_on_changed_site_bytes)
{
	char path[64], args[128];
	size_t off;

	load();
	first_site(&off);
	cr_assert_eq(img[off], 0xff);
	cr_assert_eq(img[off + 1], 0x15);
	img[off + 1] = 0x25;                         /* call * -> jmp * */
	tmpname(path, "bytes");
	save(path, img_size);
	snprintf(args, sizeof(args), "--check %s", path);
	cr_expect_eq(run(args), 1, "%s", out);
	cr_expect(strstr(out, "site bytes are not the original call"), "%s", out);
	unlink(path);
}

Test(pvsites, malformed_elf_is_65)
{
	char path[64], args[128];

	load();
	tmpname(path, "trunc");
	save(path, 200);                             /* headers gone */
	snprintf(args, sizeof(args), "%s", path);
	cr_expect_eq(run(args), 65, "%s", out);
	cr_expect(strstr(out, "section header table beyond the end of the file"), "%s", out);
	img[0] = 'X';
	save(path, img_size);
	cr_expect_eq(run(args), 65, "%s", out);
	cr_expect(strstr(out, "not an ELF file"), "%s", out);
	unlink(path);
}
