/*
 * pvrun - boot pvk in a named environment, collect its serial output,
 * parse its KTAP results, and say whether the boot went all the way.
 *
 *   pvrun --env native|tcg|iso|kvm|pvhv [--cmdline "..."] [--timeout S]
 *         [--log FILE] [--tap FILE] [--quiet] [--kernel ELF] [--iso ISO]
 *         [--pvhv-arg OPT]... [--pvhv-bin PATH]
 *
 * Exit status: 0 the kernel powered off with status 0 and every KTAP
 * test passed; 1 a test failed; 2 the boot failed (panic, bad boot
 * information, hang, emulator error, truncated output); 77 the
 * environment cannot run on this machine (the reason is printed, and
 * written to the TAP file as a skip); 64 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_PASS = 0, EXIT_TESTS = 1, EXIT_BOOT = 2, EXIT_USAGE = 64,
       EXIT_SKIP = 77 };

#define QEMU "qemu-system-x86_64"
#define MAX_ARGS 64
#define MAX_PVHV_ARGS 16
#define PVHV_DEFAULT "build/pvhv"
#define TAIL_LINES 25
#define LABEL_MAX 80

struct opts {
	const char *env, *cmdline, *log, *tap, *kernel, *iso, *pvhv;
	const char *pvhv_args[MAX_PVHV_ARGS];
	int n_pvhv_args;
	double timeout;
	bool quiet;
};

struct result {
	int planned, passed, failed, skipped;
	int status;                 /* from "pvk: power off, status N"; -1 none */
	bool ktap, panic, emu_error, bad_boot;
	char first_failure[256];
	char tail[TAIL_LINES][256];
	int tail_n;
	FILE *tap;
	const char *label;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pvrun --env ENV [options]\n"
		"Boot build/pvk.elf in ENV, show its serial output, check its KTAP self-tests.\n\n"
		"  --env ENV         native  QEMU TCG, -cpu max,-hypervisor (a bare machine)\n"
		"                    tcg     QEMU TCG, default CPU (hypervisor TCGTCGTCGTCG)\n"
		"                    iso     GRUB rescue ISO (Multiboot2, BIOS), QEMU TCG\n"
		"                    kvm     QEMU -accel kvm -M microvm, KVM paravirt MSRs,\n"
		"                            hypercall features hidden (they hang this host)\n"
		"                    pvhv    build/pvhv on /dev/kvm, no QEMU (its exit status\n"
		"                            is the kernel's)\n"
		"  --cmdline STR     kernel command line (e.g. \"pv=nopatch\")\n"
		"  --timeout S       give up after S seconds (default 60)\n"
		"  --log FILE        save the serial log\n"
		"  --tap FILE        write the results as TAP (one line per test)\n"
		"  --quiet           do not echo the serial output\n"
		"  --kernel ELF      kernel image (default build/pvk.elf)\n"
		"  --iso ISO         ISO for --env iso (default build/pvk.iso)\n"
		"  --pvhv-arg OPT    pass OPT to pvhv (repeatable: --pvhv-arg --no-pv)\n"
		"  --pvhv-bin PATH   the pvhv binary (default " PVHV_DEFAULT ")\n\n"
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
}

/* Skip: the environment cannot run here. Says why, records a TAP skip. */
static int skip(struct result *r, const char *why)
{
	fprintf(stderr, "pvrun: %s: skipped: %s\n", r->label, why);
	tap_line(r, "ok - %s: boot # SKIP %s", r->label, why);
	return EXIT_SKIP;
}

static bool have_qemu(void)
{
	return system("command -v " QEMU " >/dev/null 2>&1") == 0;
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

static void remember(struct result *r, const char *line)
{
	snprintf(r->tail[r->tail_n % TAIL_LINES], sizeof(r->tail[0]), "%.255s", line);
	r->tail_n++;
}

/* One line of serial output: KTAP, the power-off line, failure marks. */
static void parse_line(struct result *r, const char *l)
{
	int n, status;
	char name[200];

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
	if (!r->ktap)
		return;
	if (sscanf(l, "1..%d", &n) == 1) {
		r->planned = n;
	} else if (sscanf(l, "not ok %d %199[^\n]", &n, name) == 2) {
		r->failed++;
		if (!r->first_failure[0])
			snprintf(r->first_failure, sizeof(r->first_failure), "%s", name);
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
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct opts o = { .cmdline = "", .timeout = 60, .kernel = "build/pvk.elf",
			  .iso = "build/pvk.iso", .pvhv = PVHV_DEFAULT };
	static const struct option lo[] = {
		{ "env", 1, 0, 'e' }, { "cmdline", 1, 0, 'c' },
		{ "timeout", 1, 0, 't' }, { "log", 1, 0, 'l' },
		{ "tap", 1, 0, 'T' }, { "quiet", 0, 0, 'q' },
		{ "kernel", 1, 0, 'k' }, { "iso", 1, 0, 'i' },
		{ "pvhv-arg", 1, 0, 'P' }, { "pvhv-bin", 1, 0, 'B' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'e': o.env = optarg; break;
		case 'c': o.cmdline = optarg; break;
		case 't': {
			char *end;
			o.timeout = strtod(optarg, &end);
			if (*end || o.timeout <= 0) {
				fprintf(stderr, "pvrun: --timeout %s: not a positive number of seconds\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'l': o.log = optarg; break;
		case 'T': o.tap = optarg; break;
		case 'q': o.quiet = true; break;
		case 'k': o.kernel = optarg; break;
		case 'i': o.iso = optarg; break;
		case 'P':
			if (o.n_pvhv_args == MAX_PVHV_ARGS) {
				fprintf(stderr, "pvrun: at most %d --pvhv-arg\n", MAX_PVHV_ARGS);
				return EXIT_USAGE;
			}
			o.pvhv_args[o.n_pvhv_args++] = optarg;
			break;
		case 'B': o.pvhv = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc || !o.env) {
		fprintf(stderr, optind < argc ? "pvrun: unexpected argument '%s'\n"
					      : "pvrun: --env is required%s\n",
			optind < argc ? argv[optind] : "");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strchr(o.cmdline, '\'') || strchr(o.cmdline, '"')) {
		fprintf(stderr, "pvrun: --cmdline may not contain quotes\n");
		return EXIT_USAGE;
	}

	struct result r = { .status = -1 };
	char label[256];
	int ln = snprintf(label, sizeof(label), "%s", o.env);
	for (int i = 0; i < o.n_pvhv_args && ln < (int)sizeof(label); i++)
		ln += snprintf(label + ln, sizeof(label) - ln, " %s", o.pvhv_args[i]);
	if (o.cmdline[0] && ln < (int)sizeof(label))
		snprintf(label + ln, sizeof(label) - ln, " %s", o.cmdline);
	/* a label is for reading: a very long command line is shortened */
	if (strlen(label) > LABEL_MAX)
		strcpy(label + LABEL_MAX - 3, "...");
	r.label = label;
	if (o.tap && !(r.tap = fopen(o.tap, "w"))) {
		fprintf(stderr, "pvrun: %s: %s\n", o.tap, strerror(errno));
		return EXIT_USAGE;
	}

	const char *args[MAX_ARGS];
	int na = 0;
	char isobuf[256];
	const char *tmp_iso = NULL;
	args[na++] = QEMU;
	bool pvhv = !strcmp(o.env, "pvhv");
	if (!strcmp(o.env, "native") || !strcmp(o.env, "tcg") || !strcmp(o.env, "kvm") || pvhv) {
		if (access(o.kernel, R_OK)) {
			fprintf(stderr, "pvrun: %s: %s (run make first)\n", o.kernel, strerror(errno));
			return EXIT_USAGE;
		}
	}
	if (pvhv) {
		/* pvhv [--pvhv-arg...] --cmdline STR KERNEL: no QEMU */
		if (access(o.pvhv, X_OK)) {
			fprintf(stderr, "pvrun: %s: %s (run make first)\n", o.pvhv, strerror(errno));
			return EXIT_USAGE;
		}
		const char *why = kvm_unusable();
		if (why)
			return skip(&r, why);
		na = 0;
		args[na++] = o.pvhv;
		for (int i = 0; i < o.n_pvhv_args; i++)
			args[na++] = o.pvhv_args[i];
		args[na++] = "--cmdline";
		args[na++] = o.cmdline;
		args[na++] = o.kernel;
		args[na] = NULL;
	} else if (!have_qemu()) {
		return skip(&r, QEMU " is not installed (apt-get install qemu-system-x86)");
	} else if (!strcmp(o.env, "native")) {
		const char *a[] = { "-M", "pc", "-accel", "tcg", "-cpu", "max,-hypervisor",
				    "-kernel", o.kernel, "-append", o.cmdline };
		for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++) args[na++] = a[i];
	} else if (!strcmp(o.env, "tcg")) {
		const char *a[] = { "-M", "pc", "-accel", "tcg", "-kernel", o.kernel,
				    "-append", o.cmdline };
		for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++) args[na++] = a[i];
	} else if (!strcmp(o.env, "kvm")) {
		const char *why = kvm_unusable();
		if (why)
			return skip(&r, why);
		const char *a[] = { "-M", "microvm", "-accel", "kvm", "-cpu",
				    "host,-arch-capabilities,-kvm-pv-unhalt,-kvm-pv-ipi,-kvm-pv-sched-yield",
				    "-kernel", o.kernel, "-append", o.cmdline };
		for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++) args[na++] = a[i];
	} else if (!strcmp(o.env, "iso")) {
		const char *iso = o.iso;
		if (o.cmdline[0]) {
			iso = tmp_iso = iso_with_cmdline(&o, isobuf, sizeof(isobuf));
			if (!iso) {
				fprintf(stderr, "pvrun: could not build an ISO with the command line (grub-mkrescue)\n");
				return EXIT_BOOT;
			}
		} else if (access(iso, R_OK)) {
			fprintf(stderr, "pvrun: %s: %s (run make iso)\n", iso, strerror(errno));
			return EXIT_USAGE;
		}
		const char *a[] = { "-M", "pc", "-accel", "tcg", "-cpu", "max,-hypervisor",
				    "-cdrom", iso, "-boot", "d" };
		for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++) args[na++] = a[i];
	} else {
		fprintf(stderr, "pvrun: unknown environment '%s' (native, tcg, iso, kvm, pvhv)\n", o.env);
		return EXIT_USAGE;
	}
	if (!pvhv) {
		const char *common[] = { "-m", "128", "-smp", "1", "-display", "none",
					 "-monitor", "none", "-serial", "stdio", "-no-reboot",
					 "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04" };
		for (size_t i = 0; i < sizeof(common) / sizeof(*common); i++)
			args[na++] = common[i];
		args[na] = NULL;
	}

	FILE *log = NULL;
	if (o.log && !(log = fopen(o.log, "w"))) {
		fprintf(stderr, "pvrun: %s: %s\n", o.log, strerror(errno));
		return EXIT_USAGE;
	}

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC)) {
		perror("pvrun: pipe");
		return EXIT_BOOT;
	}
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(args[0], (char *const *)args);
		fprintf(stderr, "pvrun: exec %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);

	char buf[4096], line[4096];
	size_t ll = 0;
	bool timed_out = false, killed = false;
	for (;;) {
		double left = o.timeout - (now() - t0);
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd p = { pfd[0], POLLIN, 0 };
		int pr = poll(&p, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		ssize_t n = read(pfd[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		if (!o.quiet)
			fwrite(buf, 1, n, stdout), fflush(stdout);
		if (log)
			fwrite(buf, 1, n, log);
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || ll == sizeof(line) - 1) {
				while (ll && line[ll - 1] == '\r')
					ll--;
				line[ll] = 0;
				parse_line(&r, line);
				remember(&r, line);
				ll = 0;
			} else {
				line[ll++] = buf[i];
			}
		}
		if (r.emu_error) {
			killed = true;          /* QEMU would sit there forever */
			break;
		}
	}
	if (timed_out || killed)
		kill(pid, SIGKILL);
	int ws = 0;
	waitpid(pid, &ws, 0);
	close(pfd[0]);
	if (log)
		fclose(log);
	if (tmp_iso)
		unlink(tmp_iso);
	double secs = now() - t0;
	int qemu_rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;

	/* isa-debug-exit makes QEMU exit with (status << 1) | 1; pvhv exits
	 * with the status itself. */
	int want_rc = pvhv ? r.status : ((r.status << 1) | 1);
	const char *why = NULL;
	if (r.emu_error)
		why = "the hypervisor could not emulate an instruction (KVM internal error)";
	else if (timed_out)
		why = "timed out (hang?)";
	else if (r.panic)
		why = "kernel panic";
	else if (r.bad_boot)
		why = "the kernel refused its boot information";
	else if (r.status < 0)
		why = "the kernel never reached power-off";
	else if (qemu_rc != want_rc)
		why = pvhv ? "pvhv's exit status does not match the kernel's"
			   : "QEMU's exit status does not match the kernel's";
	else if (r.status == 0 && (!r.ktap || r.passed + r.failed + r.skipped != r.planned) &&
		 !strstr(o.cmdline, "tests=off"))
		why = "KTAP output incomplete";

	if (why) {
		tap_line(&r, "not ok - %s: boot (%s)", label, why);
		fprintf(stderr, "\npvrun: %s: FAILED after %.2f s: %s (%s exit %d)\n",
			label, secs, why, pvhv ? "pvhv" : "QEMU", qemu_rc);
		fprintf(stderr, "pvrun: last lines of the serial log:\n");
		int from = r.tail_n > TAIL_LINES ? r.tail_n - TAIL_LINES : 0;
		for (int i = from; i < r.tail_n; i++)
			fprintf(stderr, "  | %s\n", r.tail[i % TAIL_LINES]);
		if (r.tap)
			fclose(r.tap);
		return EXIT_BOOT;
	}
	tap_line(&r, "ok - %s: boot reached power-off in %.2f s", label, secs);
	if (r.tap)
		fclose(r.tap);
	fprintf(stderr, "pvrun: %s: %d passed, %d failed, %d skipped; status %d in %.2f s\n",
		label, r.passed, r.failed, r.skipped, r.status, secs);
	return r.failed || r.status ? EXIT_TESTS : EXIT_PASS;
}
