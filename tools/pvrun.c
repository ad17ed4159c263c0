/*
 * pvrun - boot pvk in a named environment, collect its serial output,
 * parse its KTAP results, and say whether the boot went all the way.
 *
 *   pvrun --env ENV [--cmdline "..."] [--timeout S] [--log FILE]
 *         [--tap FILE] [--quiet] [--kernel ELF] [--iso ISO]
 *         [--pvhv-arg OPT]... [--pvhv-bin PATH] [--expect-platform NAME]
 *         [--smp N]
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
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvrun.h"

#define MAX_ARGS 64
#define PVHV_DEFAULT "build/pvhv"
#define TAIL_LINES 25
#define LABEL_MAX 80

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
		"       pvrun --list-envs\n"
		"Boot build/pvk.elf in ENV, show its serial output, check its KTAP self-tests.\n\n"
		"  --env ENV         one of (name, the platform pvk must choose, what it is):\n");
	env_list(f, "                      ");
	fprintf(f,
		"                    the nested-* ones run on every machine: make nested\n"
		"                    builds L1 (README, \"The nested environments\")\n"
		"  --cmdline STR     kernel command line (e.g. \"pv=nopatch\")\n"
		"  --smp N           N CPUs (default 1): QEMU -smp N, pvhv --smp N\n"
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
		"  --print-cmd       print the command that would start ENV, one argument\n"
		"                    a line, and exit (tools/gdb.sh, count-insns.sh use it)\n"
		"  --batch FILE      run every line \"NAME PVRUN-ARGS\" of FILE (nested\n"
		"                    environments only) in one L1 boot; with --results DIR\n"
		"                    write DIR/NAME.tap, NAME.log and NAME.rc\n"
		"  --nested-dir DIR  L1's kernel and archives (default " NESTED_DIR_DEFAULT ")\n"
		"  --list-envs       the environments, a line each (the boot matrix reads it)\n\n"
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

/* A file of the project, found from this program's own place
 * (build/pvrun -> TOP/rel), so pvrun works from any directory. */
static const char *project_file(const char *rel, char *path, size_t n)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len <= 0)
		return NULL;
	self[len] = 0;
	for (int up = 0; up < 2; up++) {        /* TOP/build/pvrun -> TOP */
		char *slash = strrchr(self, '/');
		if (!slash)
			return NULL;
		*slash = 0;
	}
	if (strlen(self) + 1 + strlen(rel) + 1 > n)
		return NULL;
	strcpy(path, self);
	strcat(path, "/");
	strcat(path, rel);
	return access(path, R_OK) ? NULL : path;
}

/* Build an ISO whose GRUB passes `cmdline` (tools/mkiso.sh, the one
 * place the GRUB configuration is written); returns its path. */
static const char *iso_with_cmdline(const struct opts *o, char *path, size_t n)
{
	char dir[] = "/tmp/pvrun-iso-XXXXXX", cmd[8192], mkiso[1024];

	if (!project_file("tools/mkiso.sh", mkiso, sizeof(mkiso)) || !mkdtemp(dir))
		return NULL;
	snprintf(path, n, "%s.iso", dir);
	snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s' '%s' >/dev/null; r=$?; rmdir %s; exit $r",
		 mkiso, o->kernel, path, o->cmdline, dir);
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

const char *pvhv_bin_name(const struct opts *o)
{
	const char *slash = strrchr(o->pvhv, '/');

	return slash ? slash + 1 : o->pvhv;
}

void make_label(const struct opts *o, char *label, size_t n)
{
	size_t ln = snprintf(label, n, "%s", o->env);
	const char *bin = pvhv_bin_name(o);

	if (strcmp(bin, "pvhv") && ln < n)          /* another pvhv build: name it */
		ln += snprintf(label + ln, n - ln, " %s", bin);
	if (o->smp > 1 && ln < n)                   /* more than the default CPU */
		ln += snprintf(label + ln, n - ln, " smp=%d", o->smp);
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
	char isobuf[256];
	const char *iso = o->iso, *tmp_iso = NULL;
	const struct env *e = env_find(o->env);

	if (in_l1 && e && (e->needs & NEED_L1))      /* inside L1: the local one */
		e = env_find(o->env + strlen("nested-"));
	if (!e)
		return fail_early(r, EXIT_USAGE, "unknown environment '%s' (pvrun --list-envs)",
				  o->env);
	bool pvhv = e->needs & NEED_PVHV;
	if ((!(e->needs & NEED_ISO) || o->cmdline[0]) && access(o->kernel, R_OK))
		return fail_early(r, EXIT_USAGE, "%s: %s (run make first)", o->kernel,
				  strerror(errno));
	if (pvhv && access(o->pvhv, X_OK))
		return fail_early(r, EXIT_USAGE, "%s: %s (run make first)", o->pvhv,
				  strerror(errno));
	if ((e->needs & NEED_ISO) && !o->cmdline[0] && access(iso, R_OK))
		return fail_early(r, EXIT_USAGE, "%s: %s (run make iso)", iso, strerror(errno));
	if (o->print_cmd) {
		env_argv(e, o, o->cmdline[0] ? "ISO-WITH-CMDLINE" : iso, in_l1, args, MAX_ARGS);
		for (int i = 0; args[i]; i++)
			printf("%s\n", args[i]);
		return EXIT_PASS;
	}
	if ((e->needs & NEED_QEMU) && !have_qemu())
		return skip(r, QEMU " is not installed (apt-get install qemu-system-x86)");
	if (e->needs & NEED_KVM) {
		const char *why = kvm_unusable();
		if (why)
			return skip(r, why);
	}
	if (o->log && !(r->log = fopen(o->log, "w")))
		return fail_early(r, EXIT_USAGE, "%s: %s", o->log, strerror(errno));
	if ((e->needs & NEED_ISO) && o->cmdline[0]) {
		iso = tmp_iso = iso_with_cmdline(o, isobuf, sizeof(isobuf));
		if (!iso)
			return fail_early(r, EXIT_BOOT, "could not build an ISO with the "
					  "command line (tools/mkiso.sh, grub-mkrescue)");
	}
	env_argv(e, o, iso, in_l1, args, MAX_ARGS);
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

/*
 * Read argv into o. Returns NULL, or what is wrong with it in why; sets
 * *done when an option was answered on the spot (--help, --list-envs).
 */
static const char *parse_opts(int argc, char **argv, struct opts *o, char *why,
			      size_t n, bool *done)
{
	static const struct option lo[] = {
		{ "env", 1, 0, 'e' }, { "cmdline", 1, 0, 'c' },
		{ "timeout", 1, 0, 't' }, { "log", 1, 0, 'l' },
		{ "tap", 1, 0, 'T' }, { "quiet", 0, 0, 'q' },
		{ "kernel", 1, 0, 'k' }, { "iso", 1, 0, 'i' },
		{ "pvhv-arg", 1, 0, 'P' }, { "pvhv-bin", 1, 0, 'B' },
		{ "expect-platform", 1, 0, 'X' }, { "batch", 1, 0, 'b' },
		{ "results", 1, 0, 'R' }, { "nested-dir", 1, 0, 'N' },
		{ "print-cmd", 0, 0, 'p' }, { "list-envs", 0, 0, 'L' },
		{ "smp", 1, 0, 'S' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	*done = false;
	why[0] = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'e': o->env = optarg; break;
		case 'c': o->cmdline = optarg; break;
		case 't':
			o->timeout = strtod(optarg, &end);
			if ((*end || o->timeout <= 0) && !why[0])
				snprintf(why, n, "--timeout %s: not a positive number of seconds",
					 optarg);
			break;
		case 'S': {
			long v = strtol(optarg, &end, 10);

			if ((*end || v < 1 || v > SMP_MAX) && !why[0])
				snprintf(why, n, "--smp %s: not a CPU count from 1 to %d",
					 optarg, SMP_MAX);
			else
				o->smp = (int)v;
			break;
		}
		case 'l': o->log = optarg; break;
		case 'T': o->tap = optarg; break;
		case 'q': o->quiet = true; break;
		case 'k': o->kernel = optarg; break;
		case 'i': o->iso = optarg; break;
		case 'P':
			if (o->n_pvhv_args < MAX_PVHV_ARGS)
				o->pvhv_args[o->n_pvhv_args++] = optarg;
			else if (!why[0])
				snprintf(why, n, "at most %d --pvhv-arg", MAX_PVHV_ARGS);
			break;
		case 'B': o->pvhv = optarg; break;
		case 'X': o->expect_platform = optarg; break;
		case 'b': o->batch = optarg; break;
		case 'R': o->results = optarg; break;
		case 'N': o->nested_dir = optarg; break;
		case 'p': o->print_cmd = true; break;
		case 'L': env_list(stdout, ""); *done = true; return NULL;
		case 'h': usage(stdout); *done = true; return NULL;
		default:
			if (!why[0])
				snprintf(why, n, "unknown option or missing value: '%s'",
					 argv[optind - 1]);
			break;
		}
	}
	if (!why[0] && optind < argc)
		snprintf(why, n, "unexpected argument '%s'", argv[optind]);
	if (!why[0] && !o->env && !o->batch)
		snprintf(why, n, "--env or --batch is required");
	if (!why[0] && o->batch && (o->env || !o->results))
		snprintf(why, n, "--batch takes --results DIR and no --env");
	if (!why[0] && o->env && !env_find(o->env))
		snprintf(why, n, "unknown environment '%s' (pvrun --list-envs)", o->env);
	if (!why[0] && o->print_cmd && is_nested_env(o->env) && !in_l1)
		snprintf(why, n, "--print-cmd: %s starts L1, not one command", o->env);
	if (!why[0] && strpbrk(o->cmdline, "'\""))
		snprintf(why, n, "--cmdline may not contain quotes");
	snprintf(o->smp_arg, sizeof(o->smp_arg), "%d", o->smp);
	return why[0] ? why : NULL;
}

int main(int argc, char **argv)
{
	struct opts o = { .cmdline = "", .timeout = 60, .kernel = "build/pvk.elf",
			  .iso = "build/pvk.iso", .pvhv = PVHV_DEFAULT,
			  .nested_dir = NESTED_DIR_DEFAULT, .smp = 1 };
	struct result r = { .status = -1, .label = "pvrun" };
	const char *tap_path;
	char label[256], why[320];
	bool done;

	in_l1 = getenv(PVRUN_IN_L1_ENV) != NULL;
	r.tap = open_tap_early(argc, argv, &tap_path);
	if (tap_path && !r.tap) {
		fprintf(stderr, "pvrun: %s: %s\n", tap_path, strerror(errno));
		return EXIT_USAGE;
	}
	const char *bad = parse_opts(argc, argv, &o, why, sizeof(why), &done);
	if (done)
		return EXIT_PASS;
	if (o.env) {
		make_label(&o, label, sizeof(label));
		r.label = label;
	}
	if (bad) {
		usage(stderr);
		return fail_early(&r, EXIT_USAGE, "%s", bad);
	}
	if (o.batch || (is_nested_env(o.env) && !in_l1)) {
		if (r.tap)
			fclose(r.tap);
		return o.batch ? run_batch(&o) : run_nested(&o);
	}
	return boot_local(&o, &r);
}
