/*
 * pvrun - boot pvk in a named environment, collect its serial output,
 * parse its KTAP results, and say whether the boot went all the way.
 *
 *   pvrun --env ENV [--cmdline "..."] [--timeout S] [--log FILE]
 *         [--tap FILE] [--quiet] [--kernel ELF] [--iso ISO]
 *         [--pvhv-arg OPT]... [--pvhv-bin PATH] [--expect-platform NAME]
 *   pvrun --batch FILE --results DIR      (nested jobs in one L1 boot)
 *
 * Exit status: 0 the kernel powered off with status 0 and every KTAP
 * test passed; 1 a test failed (or the wrong platform was chosen); 2 the
 * boot failed (panic, bad boot information, hang, emulator error,
 * truncated output, or pvrun could not start it); 77 the environment
 * cannot run on this machine (the reason is printed, and written to the
 * TAP file as a skip); 64 bad usage. Every exit but 0 and 77 leaves a
 * `not ok` line in the TAP file, so a result can never silently vanish.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvrun.h"

#define MAX_ARGS 64
#define PVHV_DEFAULT "build/pvhv"
#define TAIL_LINES 25
#define LABEL_MAX 80

/* The CPU QEMU-KVM gives the guest. On this machine's own /dev/kvm (PVM)
 * VMCALL/VMMCALL never return, so KVM's hypercall features are hidden;
 * in the nested L1 (real SVM) they work and are all offered. */
#define KVM_CPU_HOST "host,-arch-capabilities,-kvm-pv-unhalt,-kvm-pv-ipi,-kvm-pv-sched-yield"
#define KVM_CPU_NESTED "host,-arch-capabilities"

struct result {
	int planned, passed, failed, skipped;
	int status;                 /* from "pvk: power off, status N"; -1 none */
	bool ktap, panic, emu_error, bad_boot;
	char platform[32];          /* from "pv: platform NAME" */
	char tail[TAIL_LINES][256];
	int tail_n;
	FILE *tap, *log;
	bool echo;
	const char *label;
};

static bool in_l1;                  /* inside the nested L1 (PVRUN_IN_L1) */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pvrun --env ENV [options]\n"
		"       pvrun --batch FILE --results DIR [--nested-dir DIR] [--kernel ELF]\n"
		"Boot build/pvk.elf in ENV, show its serial output, check its KTAP self-tests.\n\n"
		"  --env ENV         native  QEMU TCG, -cpu max,-hypervisor (a bare machine)\n"
		"                    tcg     QEMU TCG, default CPU (hypervisor TCGTCGTCGTCG)\n"
		"                    iso     GRUB rescue ISO (Multiboot2, BIOS), QEMU TCG\n"
		"                    kvm     QEMU -accel kvm -M microvm on this machine's\n"
		"                            /dev/kvm, KVM's hypercall features hidden\n"
		"                    pvhv    build/pvhv on this machine's /dev/kvm, no QEMU\n"
		"                    nested-pvhv  pvhv inside L1: Debian's Linux with kvm_amd\n"
		"                            under QEMU TCG's emulated SVM (a real KVM on any\n"
		"                            machine; make nested builds L1)\n"
		"                    nested-kvm   QEMU -accel kvm -M microvm inside L1, every\n"
		"                            KVM paravirt feature offered, hypercalls included\n"
		"  --cmdline STR     kernel command line (e.g. \"pv=nopatch\")\n"
		"  --timeout S       give up after S seconds (default 60; nested: per boot,\n"
		"                    L1's own start-up on top)\n"
		"  --log FILE        save the serial log\n"
		"  --tap FILE        write the results as TAP (one line per test)\n"
		"  --quiet           do not echo the serial output\n"
		"  --kernel ELF      kernel image (default build/pvk.elf)\n"
		"  --iso ISO         ISO for --env iso (default build/pvk.iso)\n"
		"  --pvhv-arg OPT    pass OPT to pvhv (repeatable: --pvhv-arg --no-pv)\n"
		"  --pvhv-bin PATH   the pvhv binary (default " PVHV_DEFAULT "; nested:\n"
		"                    build/pvhv or build/pvhv-asan)\n"
		"  --expect-platform NAME  fail unless pvk chose platform NAME\n"
		"  --batch FILE      run every line \"NAME PVRUN-ARGS\" of FILE (nested\n"
		"                    environments only) in one L1 boot; with --results DIR\n"
		"                    write DIR/NAME.tap, NAME.log and NAME.rc\n"
		"  --nested-dir DIR  L1's kernel and archives (default " NESTED_DIR_DEFAULT ")\n\n"
		"exit: 0 passed, 1 a test failed, 2 boot failed, 77 environment\n"
		"unavailable (skipped), 64 usage\n");
}

static void tap_line(struct result *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->tap)
		return;
	va_start(ap, fmt);
	vfprintf(r->tap, fmt, ap);
	va_end(ap);
	fputc('\n', r->tap);
	fflush(r->tap);
}

/* Skip: the environment cannot run here. Says why, records a TAP skip.
 * Inside the nested L1 nothing may be skipped: L1 exists to run it. */
static int skip(struct result *r, const char *why)
{
	if (in_l1) {
		fprintf(stderr, "pvrun: %s: cannot run inside the nested L1: %s\n", r->label, why);
		tap_line(r, "not ok - %s: boot (cannot run inside the nested L1: %s)", r->label, why);
		return EXIT_BOOT;
	}
	fprintf(stderr, "pvrun: %s: skipped: %s\n", r->label, why);
	tap_line(r, "ok - %s: boot # SKIP %s", r->label, why);
	return EXIT_SKIP;
}

/* An early exit (bad usage, a file missing, a start that failed): said on
 * stderr and left in the TAP file as a failed boot. */
static int fail_early(struct result *r, int code, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pvrun: %s\n", why);
	tap_line(r, "not ok - %s: boot (pvrun: %s)", r->label, why);
	if (r->tap)
		fclose(r->tap);
	return code;
}

/* Why /dev/kvm cannot be used, or NULL when it can. */
static const char *kvm_unusable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	return errno == ENOENT ? "/dev/kvm does not exist (no KVM on this machine)"
			       : "/dev/kvm cannot be opened read-write (permission?)";
}

/* Build an ISO whose grub.cfg passes `cmdline`; returns its path. */
static const char *iso_with_cmdline(const struct opts *o, char *path, size_t n)
{
	char dir[] = "/tmp/pvrun-iso-XXXXXX", cmd[4096];

	if (!mkdtemp(dir))
		return NULL;
	snprintf(path, n, "%s.iso", dir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/boot/grub && cp '%s' %s/boot/pvk.elf && "
		 "printf '%%s\\n' 'serial --unit=0 --speed=115200' "
		 "'terminal_input serial' 'terminal_output serial' 'set timeout=0' "
		 "'menuentry \"pvk\" {' '  multiboot2 /boot/pvk.elf %s' '  boot' '}' "
		 "> %s/boot/grub/grub.cfg && grub-mkrescue -o %s %s >/dev/null 2>&1; "
		 "r=$?; rm -rf %s; exit $r",
		 dir, o->kernel, dir, o->cmdline, dir, path, dir, dir);
	return system(cmd) == 0 ? path : NULL;
}

/* One line of serial output: KTAP, the power-off line, failure marks. */
static bool parse_line(void *ctx, const char *l)
{
	struct result *r = ctx;
	int n, status;
	char name[200];

	if (r->echo)
		printf("%s\n", l), fflush(stdout);
	if (r->log)
		fprintf(r->log, "%s\n", l);
	snprintf(r->tail[r->tail_n++ % TAIL_LINES], sizeof(r->tail[0]), "%.255s", l);

	if (strstr(l, "KVM internal error") || strstr(l, "emulation failure"))
		r->emu_error = true;
	if (!strncmp(l, "panic:", 6))
		r->panic = true;
	if (!strncmp(l, "boot: bad boot information", 26))
		r->bad_boot = true;
	if (!strcmp(l, "KTAP version 1"))
		r->ktap = true;
	if (sscanf(l, "pvk: power off, status %d", &status) == 1)
		r->status = status;
	sscanf(l, "pv: platform %31s", r->platform);
	if (!r->ktap)
		return r->emu_error;         /* QEMU would sit there forever */
	if (sscanf(l, "1..%d", &n) == 1) {
		r->planned = n;
	} else if (sscanf(l, "not ok %d %199[^\n]", &n, name) == 2) {
		r->failed++;
		tap_line(r, "not ok - %s: %s", r->label, name);
	} else if (sscanf(l, "ok %d %199[^\n]", &n, name) == 2) {
		char *hash = strstr(name, " # SKIP");
		if (hash) {
			r->skipped++;
			*hash = 0;
			tap_line(r, "ok - %s: %s # SKIP%s", r->label, name, hash + 7);
		} else {
			r->passed++;
			tap_line(r, "ok - %s: %s", r->label, name);
		}
	}
	return r->emu_error;
}

/* The label of a boot in TAP and messages: env, the pvhv build when not
 * the default, pvhv options, command line. */
static void make_label(const struct opts *o, char *label, size_t n)
{
	size_t ln = snprintf(label, n, "%s", o->env);
	const char *bin = strrchr(o->pvhv, '/') ? strrchr(o->pvhv, '/') + 1 : o->pvhv;

	if (strcmp(bin, "pvhv") && ln < n)          /* another pvhv build: name it */
		ln += snprintf(label + ln, n - ln, " %s", bin);
	for (int i = 0; i < o->n_pvhv_args && ln < n; i++)
		ln += snprintf(label + ln, n - ln, " %s", o->pvhv_args[i]);
	if (o->cmdline[0] && ln < n)
		snprintf(label + ln, n - ln, " %s", o->cmdline);
	/* a label is for reading: a very long command line is shortened */
	if (strlen(label) > LABEL_MAX)
		strcpy(label + LABEL_MAX - 3, "...");
}

/* The --tap FILE of argv, opened before anything can fail. */
static FILE *open_tap_early(int argc, char **argv, const char **path)
{
	*path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tap") && i + 1 < argc)
			*path = argv[i + 1];
		else if (!strncmp(argv[i], "--tap=", 6))
			*path = argv[i] + 6;
	}
	return *path ? fopen(*path, "w") : NULL;
}

/* Boot o->env here (not nested): QEMU or pvhv as a child. */
static int boot_local(const struct opts *o, struct result *r)
{
	const char *args[MAX_ARGS];
	int na = 0;
	char isobuf[256];
	const char *tmp_iso = NULL;
	const char *env = o->env;

	if (in_l1 && is_nested_env(env))
		env += strlen("nested-");          /* inside L1 it is the local one */
	bool pvhv = !strcmp(env, "pvhv");
	if (!strcmp(env, "iso")) {
		/* the ISO is checked below */
	} else if (!strcmp(env, "native") || !strcmp(env, "tcg") ||
		   !strcmp(env, "kvm") || pvhv) {
		if (access(o->kernel, R_OK))
			return fail_early(r, EXIT_USAGE, "%s: %s (run make first)",
					  o->kernel, strerror(errno));
	} else {
		return fail_early(r, EXIT_USAGE, "unknown environment '%s' (native, tcg, iso, "
				  "kvm, pvhv, nested-pvhv, nested-kvm)", o->env);
	}
	args[na++] = QEMU;
	if (pvhv) {
		/* pvhv [--pvhv-arg...] --cmdline STR KERNEL: no QEMU */
		if (access(o->pvhv, X_OK))
			return fail_early(r, EXIT_USAGE, "%s: %s (run make first)",
					  o->pvhv, strerror(errno));
		const char *why = kvm_unusable();
		if (why)
			return skip(r, why);
		na = 0;
		args[na++] = o->pvhv;
		for (int i = 0; i < o->n_pvhv_args; i++)
			args[na++] = o->pvhv_args[i];
		args[na++] = "--cmdline";
		args[na++] = o->cmdline;
		args[na++] = o->kernel;
		args[na] = NULL;
	} else if (!have_qemu()) {
		return skip(r, QEMU " is not installed (apt-get install qemu-system-x86)");
	} else if (!strcmp(env, "native")) {
		const char *a[] = { "-M", "pc", "-accel", "tcg", "-cpu", "max,-hypervisor",
				    "-kernel", o->kernel, "-append", o->cmdline };
		for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++) args[na++] = a[i];
	} else if (!strcmp(env, "tcg")) {
		const char *a[] = { "-M", "pc", "-accel", "tcg", "-kernel", o->kernel,
				    "-append", o->cmdline };
		for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++) args[na++] = a[i];
	} else if (!strcmp(env, "kvm")) {
		const char *why = kvm_unusable();
		if (why)
			return skip(r, why);
		const char *a[] = { "-M", "microvm", "-accel", "kvm", "-cpu",
				    in_l1 ? KVM_CPU_NESTED : KVM_CPU_HOST,
				    "-kernel", o->kernel, "-append", o->cmdline };
		for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++) args[na++] = a[i];
	} else {                                   /* iso */
		const char *iso = o->iso;
		if (o->cmdline[0]) {
			iso = tmp_iso = iso_with_cmdline(o, isobuf, sizeof(isobuf));
			if (!iso)
				return fail_early(r, EXIT_BOOT, "could not build an ISO with "
						  "the command line (grub-mkrescue)");
		} else if (access(iso, R_OK)) {
			return fail_early(r, EXIT_USAGE, "%s: %s (run make iso)", iso,
					  strerror(errno));
		}
		const char *a[] = { "-M", "pc", "-accel", "tcg", "-cpu", "max,-hypervisor",
				    "-cdrom", iso, "-boot", "d" };
		for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++) args[na++] = a[i];
	}
	if (!pvhv) {
		const char *common[] = { "-m", "128", "-smp", "1", "-display", "none",
					 "-monitor", "none", "-serial", "stdio", "-no-reboot",
					 "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04" };
		for (size_t i = 0; i < sizeof(common) / sizeof(*common); i++)
			args[na++] = common[i];
		args[na] = NULL;
	}

	if (o->log && !(r->log = fopen(o->log, "w")))
		return fail_early(r, EXIT_USAGE, "%s: %s", o->log, strerror(errno));
	r->echo = !o->quiet;

	struct child_end end;
	bool started = run_child(args, o->timeout, parse_line, NULL, r, &end);
	if (r->log)
		fclose(r->log);
	if (tmp_iso)
		unlink(tmp_iso);
	if (!started)
		return fail_early(r, EXIT_BOOT, "could not start %s", args[0]);

	/* isa-debug-exit makes QEMU exit with (status << 1) | 1; pvhv exits
	 * with the status itself. */
	int want_rc = pvhv ? r->status : ((r->status << 1) | 1);
	const char *why = NULL;
	if (r->emu_error)
		why = "the hypervisor could not emulate an instruction (KVM internal error)";
	else if (end.timed_out)
		why = "timed out (hang?)";
	else if (r->panic)
		why = "kernel panic";
	else if (r->bad_boot)
		why = "the kernel refused its boot information";
	else if (r->status < 0)
		why = "the kernel never reached power-off";
	else if (end.exit_code != want_rc)
		why = pvhv ? "pvhv's exit status does not match the kernel's"
			   : "QEMU's exit status does not match the kernel's";
	else if (r->status == 0 && (!r->ktap || r->passed + r->failed + r->skipped != r->planned) &&
		 !strstr(o->cmdline, "tests=off"))
		why = "KTAP output incomplete";

	if (why) {
		tap_line(r, "not ok - %s: boot (%s)", r->label, why);
		fprintf(stderr, "\npvrun: %s: FAILED after %.2f s: %s (%s exit %d)\n",
			r->label, end.secs, why, pvhv ? "pvhv" : "QEMU", end.exit_code);
		fprintf(stderr, "pvrun: last lines of the serial log:\n");
		int from = r->tail_n > TAIL_LINES ? r->tail_n - TAIL_LINES : 0;
		for (int i = from; i < r->tail_n; i++)
			fprintf(stderr, "  | %s\n", r->tail[i % TAIL_LINES]);
		if (r->tap)
			fclose(r->tap);
		return EXIT_BOOT;
	}
	tap_line(r, "ok - %s: boot reached power-off in %.2f s", r->label, end.secs);
	bool wrong_platform = false;
	if (o->expect_platform) {
		wrong_platform = strcmp(r->platform, o->expect_platform) != 0;
		tap_line(r, "%s - %s: platform %s chosen%s%s", wrong_platform ? "not ok" : "ok",
			 r->label, r->platform[0] ? r->platform : "(none reported)",
			 wrong_platform ? ", expected " : "",
			 wrong_platform ? o->expect_platform : "");
		if (wrong_platform)
			fprintf(stderr, "pvrun: %s: platform '%s' chosen, expected '%s'\n",
				r->label, r->platform, o->expect_platform);
	}
	if (r->tap)
		fclose(r->tap);
	fprintf(stderr, "pvrun: %s: %d passed, %d failed, %d skipped; status %d in %.2f s\n",
		r->label, r->passed, r->failed, r->skipped, r->status, end.secs);
	return r->failed || r->status || wrong_platform ? EXIT_TESTS : EXIT_PASS;
}

int main(int argc, char **argv)
{
	struct opts o = { .cmdline = "", .timeout = 60, .kernel = "build/pvk.elf",
			  .iso = "build/pvk.iso", .pvhv = PVHV_DEFAULT,
			  .nested_dir = NESTED_DIR_DEFAULT };
	static const struct option lo[] = {
		{ "env", 1, 0, 'e' }, { "cmdline", 1, 0, 'c' },
		{ "timeout", 1, 0, 't' }, { "log", 1, 0, 'l' },
		{ "tap", 1, 0, 'T' }, { "quiet", 0, 0, 'q' },
		{ "kernel", 1, 0, 'k' }, { "iso", 1, 0, 'i' },
		{ "pvhv-arg", 1, 0, 'P' }, { "pvhv-bin", 1, 0, 'B' },
		{ "expect-platform", 1, 0, 'X' }, { "batch", 1, 0, 'b' },
		{ "results", 1, 0, 'R' }, { "nested-dir", 1, 0, 'N' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct result r = { .status = -1, .label = "pvrun" };
	const char *tap_path;
	char label[256], why[320] = "";
	int c;

	in_l1 = getenv(PVRUN_IN_L1_ENV) != NULL;
	r.tap = open_tap_early(argc, argv, &tap_path);
	if (tap_path && !r.tap) {
		fprintf(stderr, "pvrun: %s: %s\n", tap_path, strerror(errno));
		return EXIT_USAGE;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'e': o.env = optarg; break;
		case 'c': o.cmdline = optarg; break;
		case 't': {
			char *end;
			o.timeout = strtod(optarg, &end);
			if ((*end || o.timeout <= 0) && !why[0])
				snprintf(why, sizeof(why), "--timeout %s: not a positive "
					 "number of seconds", optarg);
			break;
		}
		case 'l': o.log = optarg; break;
		case 'T': o.tap = optarg; break;
		case 'q': o.quiet = true; break;
		case 'k': o.kernel = optarg; break;
		case 'i': o.iso = optarg; break;
		case 'P':
			if (o.n_pvhv_args == MAX_PVHV_ARGS) {
				if (!why[0])
					snprintf(why, sizeof(why), "at most %d --pvhv-arg", MAX_PVHV_ARGS);
				break;
			}
			o.pvhv_args[o.n_pvhv_args++] = optarg;
			break;
		case 'B': o.pvhv = optarg; break;
		case 'X': o.expect_platform = optarg; break;
		case 'b': o.batch = optarg; break;
		case 'R': o.results = optarg; break;
		case 'N': o.nested_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			if (!why[0])
				snprintf(why, sizeof(why), "unknown option or missing value: '%s'",
					 argv[optind - 1]);
			break;
		}
	}
	if (!why[0] && optind < argc)
		snprintf(why, sizeof(why), "unexpected argument '%s'", argv[optind]);
	if (!why[0] && !o.env && !o.batch)
		snprintf(why, sizeof(why), "--env or --batch is required");
	if (!why[0] && o.batch && (o.env || !o.results))
		snprintf(why, sizeof(why), "--batch takes --results DIR and no --env");
	if (!why[0] && strpbrk(o.cmdline, "'\""))
		snprintf(why, sizeof(why), "--cmdline may not contain quotes");
	if (o.env) {
		make_label(&o, label, sizeof(label));
		r.label = label;
	}
	if (why[0]) {
		usage(stderr);
		return fail_early(&r, EXIT_USAGE, "%s", why);
	}

	if (o.batch) {
		if (r.tap)
			fclose(r.tap);
		return run_batch(&o);
	}
	if (is_nested_env(o.env) && !in_l1) {
		if (r.tap)
			fclose(r.tap);
		return run_nested(&o);
	}
	return boot_local(&o, &r);
}
