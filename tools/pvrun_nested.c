/*
 * pvrun_nested.c - the nested environments: pvk on a real KVM on any
 * machine.
 *
 * L1 is Debian's own Linux (built by tools/nested/build.sh into
 * build/nested/) booted by QEMU TCG with `-cpu max`, whose emulated SVM
 * with nested paging gives L1 a working kvm_amd. L1's /init
 * (tools/nested/init) loads KVM and runs a list of jobs, each a pvrun
 * command line, with the pvrun, pvhv and pvk of this build packed at the
 * same paths (build/...). Inside L1, pvrun sees PVRUN_IN_L1 and runs
 * nested-pvhv as pvhv and nested-kvm as QEMU -accel kvm.
 *
 * L1 prints each job between markers this file reads back:
 *   @@job NAME begin          then the job's serial log
 *   @@job NAME tap            then its TAP lines (already labelled)
 *   @@job NAME stderr         then pvrun's own messages
 *   @@job NAME end RC         pvrun's exit status inside L1
 *   @@nested: TEXT            L1's own report (kernel, /dev/kvm, done)
 * A job L1 never finished (L1 hung, panicked or was killed) is a failed
 * boot with the reason, never a missing result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvrun.h"

#define MAX_JOBS 64
#define NAME_MAX_LEN 64
#define L1_BOOT_SECS 120        /* L1's own start-up and power-off, loaded machine */
#define L1_JOB_SLACK 30         /* past a job's own timeout before L1 is stuck */
#define L1_TAIL 12
#define L1_REPORT_LINES 8
#define L1_MEM_MIB "1024"
/*
 * nohz=off highres=off: L1 keeps a periodic local APIC timer. QEMU 7.2's
 * TCG sometimes loses the request for an interrupt the APIC already holds
 * (seen: L1 halted with IF=1, the timer's vector 236 pending in IRR, not
 * taken) after L1 ran a QEMU-KVM guest; with a one-shot tickless timer
 * nothing ever raises it again and L1 sleeps forever. A periodic tick
 * re-raises it within 4 ms (16 of 16 four-boot L1 runs, against about
 * half hanging without).
 */
#define L1_APPEND "console=ttyS0 panic=-1 quiet loglevel=1 nohz=off highres=off"

struct job {
	char name[NAME_MAX_LEN];
	const char *label;               /* in TAP lines pvrun writes itself */
	char *args;                      /* pvrun arguments inside L1 */
	double timeout;
	FILE *tap, *log;
	int rc;
	bool begun, ended;
};

enum section { OUTSIDE, LOG, TAP, ERR };

struct l1 {
	struct job *jobs;
	int n, cur;
	enum section in;
	bool echo, done, panic, stuck;
	double since;                        /* L1 start, or the last job's begin/end */
	char report[L1_REPORT_LINES][256];   /* "@@nested:" lines and the packages */
	int n_report;
	char tail[L1_TAIL][256];             /* L1's last lines outside any job */
	int tail_n;
};

bool is_nested_env(const char *env)
{
	const struct env *e = env_find(env);

	return e && (e->needs & NEED_L1);
}

static struct job *find_job(struct l1 *l, const char *name, size_t len)
{
	for (int i = 0; i < l->n; i++)
		if (strlen(l->jobs[i].name) == len && !strncmp(l->jobs[i].name, name, len))
			return &l->jobs[i];
	return NULL;
}

static void report(struct l1 *l, const char *fmt, ...)
{
	va_list ap;

	if (l->n_report == L1_REPORT_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(l->report[l->n_report++], sizeof(l->report[0]), fmt, ap);
	va_end(ap);
}

/* One line of L1's console: a marker, or a line of the current section. */
static bool l1_line(void *ctx, const char *line)
{
	struct l1 *l = ctx;
	struct job *j = l->cur >= 0 ? &l->jobs[l->cur] : NULL;
	const char *rest;
	char word[16];
	int rc, used = 0;

	if (!strncmp(line, "@@job ", 6)) {
		rest = line + 6;
		size_t len = strcspn(rest, " ");
		struct job *m = find_job(l, rest, len);
		if (m && sscanf(rest + len, " %15s%n", word, &used) == 1) {
			l->since = now();
			if (!strcmp(word, "begin")) {
				l->cur = m - l->jobs;
				l->in = LOG;
				m->begun = true;
				for (int i = 0; m->log && i < l->n_report; i++)
					fprintf(m->log, "# %s\n", l->report[i]);
			} else if (!strcmp(word, "tap")) {
				l->in = TAP;
			} else if (!strcmp(word, "stderr")) {
				l->in = ERR;
			} else if (!strcmp(word, "end") &&
				   sscanf(rest + len + used, " %d", &rc) == 1) {
				m->rc = rc;
				m->ended = true;
				l->in = OUTSIDE;
				l->cur = -1;
			}
			return false;
		}
	}
	if (!strncmp(line, "@@nested: ", 10)) {
		l->since = now();
		report(l, "nested: %s", line + 10);
		if (l->echo)
			fprintf(stderr, "pvrun: nested: %s\n", line + 10);
		l->done = !strncmp(line + 10, "done", 4);
		return l->done;
	}
	switch (j ? l->in : OUTSIDE) {
	case LOG:
		if (j->log)
			fprintf(j->log, "%s\n", line);
		if (l->echo)
			printf("%s\n", line), fflush(stdout);
		break;
	case TAP:
		if (j->tap)
			fprintf(j->tap, "%s\n", line);
		break;
	case ERR:
		fprintf(stderr, "%s\n", line);
		break;
	case OUTSIDE:
		snprintf(l->tail[l->tail_n++ % L1_TAIL], sizeof(l->tail[0]), "%.255s", line);
		if (strstr(line, "Kernel panic - not syncing")) {
			l->panic = true;
			return true;
		}
		break;
	}
	return false;
}

/*
 * Whether L1 is stuck: a job ran past its own timeout (inside L1, pvrun
 * would have ended it) or no job began in time. Inside a frozen L1 no
 * timer fires, so only the host can tell.
 */
static bool l1_stuck(void *ctx)
{
	struct l1 *l = ctx;
	double limit = l->cur >= 0 ? l->jobs[l->cur].timeout + L1_JOB_SLACK :
		       l->n_report > 1 ? L1_JOB_SLACK : L1_BOOT_SECS;

	l->stuck = now() - l->since > limit;
	return l->stuck;
}

/* Run `cmd` through the shell; false (with the command named) on failure. */
static bool sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "pvrun: nested: failed (%d): %s\n", rc, cmd);
	return rc == 0;
}

/* A file of the nested dir, or NULL (with the reason in why) when missing. */
static bool have_l1(const char *dir, char *why, size_t n)
{
	static const char *const need[] = { "vmlinux", "base.cpio.gz", "tools.cpio.gz",
					    "qemu.cpio.gz", "busybox", "l1.txt" };
	char path[512];

	static const char *const carried[] = { "build/pvrun", "build/pvhv", "build/pvhv-asan" };
	struct stat st, bin;

	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, need[i]);
		if (access(path, R_OK)) {
			snprintf(why, n, "the nested L1 is not built: %s missing (run make nested)",
				 path);
			return false;
		}
	}
	/* L1 carries this build's pvrun and pvhv: never an older one */
	snprintf(path, sizeof(path), "%s/tools.cpio.gz", dir);
	if (stat(path, &st))
		return false;
	for (size_t i = 0; i < sizeof(carried) / sizeof(*carried); i++) {
		if (!stat(carried[i], &bin) && bin.st_mtime > st.st_mtime) {
			snprintf(why, n, "%s is newer than the copy L1 carries in %s "
				 "(run make nested)", carried[i], path);
			return false;
		}
	}
	return true;
}

/*
 * Boot L1 once with every job; fill each job's tap, log and rc. Returns
 * false with `why` when L1 could not be prepared (nothing ran).
 */
static bool boot_l1(const struct opts *o, struct job *jobs, int n, bool echo,
		    char *why, size_t whylen)
{
	char real[PATH_MAX], dir[256];
	char tmp[] = "/tmp/pvrun-nested-XXXXXX", cmd[4096], path[600];
	bool need_qemu = false;
	double timeout = L1_BOOT_SECS;

	if (!have_l1(o->nested_dir, why, whylen))
		return false;
	errno = 0;
	if (!realpath(o->nested_dir, real) || strlen(real) >= sizeof(dir)) {
		snprintf(why, whylen, "%s: %s", o->nested_dir,
			 errno ? strerror(errno) : "path too long");
		return false;
	}
	strcpy(dir, real);
	if (access(o->kernel, R_OK)) {
		snprintf(why, whylen, "%s: %s (run make first)", o->kernel, strerror(errno));
		return false;
	}
	if (!mkdtemp(tmp)) {
		snprintf(why, whylen, "mkdtemp: %s", strerror(errno));
		return false;
	}
	snprintf(path, sizeof(path), "%s/root/jobs", tmp);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/root/build && cp '%s' %s/root/build/pvk.elf",
		 tmp, o->kernel, tmp);
	FILE *f = sh(cmd) ? fopen(path, "w") : NULL;
	if (!f) {
		snprintf(why, whylen, "cannot write the job list %.400s", path);
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s %s\n", jobs[i].name, jobs[i].args);
		need_qemu |= strstr(jobs[i].args, "nested-kvm") != NULL;
		timeout += jobs[i].timeout;
	}
	fclose(f);
	/* L1 unpacks each gzip member in turn: base, tools, QEMU, this run */
	snprintf(cmd, sizeof(cmd),
		 "cd %s/root && find . | sort | '%s/busybox' cpio -o -H newc 2>/dev/null | "
		 "gzip -1 > %s/run.cpio.gz && cat '%s/base.cpio.gz' '%s/tools.cpio.gz' %s%s%s "
		 "%s/run.cpio.gz > %s/initrd",
		 tmp, dir, tmp, dir, dir, need_qemu ? "'" : "", need_qemu ? dir : "",
		 need_qemu ? "/qemu.cpio.gz'" : "", tmp, tmp);
	if (!sh(cmd)) {
		snprintf(why, whylen, "could not pack the initramfs");
		goto fail;
	}

	char vmlinux[520], initrd[64];
	snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux", dir);
	snprintf(initrd, sizeof(initrd), "%s/initrd", tmp);
	const char *args[] = { QEMU, "-accel", "tcg", "-cpu", "max", "-M", "pc",
			       "-m", L1_MEM_MIB, "-smp", "1", "-display", "none",
			       "-monitor", "none", "-serial", "stdio", "-no-reboot",
			       "-nic", "none", "-kernel", vmlinux, "-initrd", initrd,
			       "-append", L1_APPEND, NULL };
	struct l1 l = { .jobs = jobs, .n = n, .cur = -1, .echo = echo };
	snprintf(path, sizeof(path), "%s/l1.txt", dir);
	if ((f = fopen(path, "r"))) {
		char pk[200] = "";
		if (fgets(pk, sizeof(pk), f))
			pk[strcspn(pk, "\n")] = 0;
		fclose(f);
		report(&l, "nested: L1 is Debian's %s, under QEMU TCG -cpu max (emulated SVM)", pk);
		if (echo)
			fprintf(stderr, "pvrun: %s\n", l.report[0]);
	}
	struct child_end end;
	l.since = now();
	if (!run_child(args, timeout, l1_line, l1_stuck, &l, &end)) {
		snprintf(why, whylen, "could not start " QEMU);
		goto fail;
	}
	const char *lost = end.timed_out ? "L1 timed out" :
			   l.stuck ? "L1 stuck (no progress past the job's timeout)" :
			   l.panic ? "L1's kernel panicked" :
			   !l.done ? "L1 ended before its job list did" : NULL;
	for (int i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		if (j->ended)
			continue;
		j->rc = EXIT_BOOT;
		if (j->tap)
			fprintf(j->tap, "not ok - %s: boot (%s%s)\n", j->label, lost ? lost : "lost",
				j->begun ? " during this job" : " before this job began");
	}
	if (lost) {
		fprintf(stderr, "pvrun: nested: %s after %.1f s (QEMU exit %d); L1's last lines:\n",
			lost, end.secs, end.exit_code);
		int from = l.tail_n > L1_TAIL ? l.tail_n - L1_TAIL : 0;
		for (int i = from; i < l.tail_n; i++)
			fprintf(stderr, "  | %s\n", l.tail[i % L1_TAIL]);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	sh(cmd);
	return true;
fail:
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	sh(cmd);
	return false;
}

/* Quote `s` as one shell word into out; false when it has a quote. */
static bool quote(char *out, size_t n, const char *s)
{
	if (strchr(s, '\''))
		return false;
	size_t len = strlen(out);
	snprintf(out + len, n - len, " '%s'", s);
	return true;
}

int run_nested(const struct opts *o)
{
	char args[2048] = "", why[600] = "", t[32];
	const char *bin = pvhv_bin_name(o);
	char label[256];
	struct job j = { .name = "job", .label = label, .args = args,
			 .timeout = o->timeout };

	make_label(o, label, sizeof(label));   /* as the pvrun inside L1 labels it */

	if (o->tap && !(j.tap = fopen(o->tap, "w"))) {
		fprintf(stderr, "pvrun: %s: %s\n", o->tap, strerror(errno));
		return EXIT_USAGE;
	}
	/* The command line inside L1: the same options, L1's own paths. */
	snprintf(t, sizeof(t), "%g", o->timeout);
	bool ok = quote(args, sizeof(args), "--env") && quote(args, sizeof(args), o->env) &&
		  quote(args, sizeof(args), "--cmdline") && quote(args, sizeof(args), o->cmdline) &&
		  quote(args, sizeof(args), "--timeout") && quote(args, sizeof(args), t) &&
		  quote(args, sizeof(args), "--smp") && quote(args, sizeof(args), o->smp_arg);
	if (strcmp(bin, "pvhv") && strcmp(bin, "pvhv-asan")) {
		snprintf(why, sizeof(why), "--pvhv-bin %s: nested runs build/pvhv or "
			 "build/pvhv-asan (what L1 carries)", o->pvhv);
	} else {
		char b[64];
		snprintf(b, sizeof(b), "build/%s", bin);
		ok = ok && quote(args, sizeof(args), "--pvhv-bin") && quote(args, sizeof(args), b);
	}
	for (int i = 0; i < o->n_pvhv_args; i++)
		ok = ok && quote(args, sizeof(args), "--pvhv-arg") &&
		     quote(args, sizeof(args), o->pvhv_args[i]);
	if (o->expect_platform)
		ok = ok && quote(args, sizeof(args), "--expect-platform") &&
		     quote(args, sizeof(args), o->expect_platform);
	if (!ok && !why[0])
		snprintf(why, sizeof(why), "an option for a nested run contains a quote");
	if (!why[0] && o->log && !(j.log = fopen(o->log, "w")))
		snprintf(why, sizeof(why), "%s: %s", o->log, strerror(errno));

	int rc;
	if (why[0]) {
		rc = EXIT_USAGE;
	} else if (!have_qemu()) {
		fprintf(stderr, "pvrun: %s: skipped: " QEMU " is not installed\n", label);
		if (j.tap)
			fprintf(j.tap, "ok - %s: boot # SKIP " QEMU " is not installed "
				"(apt-get install qemu-system-x86)\n", label);
		rc = EXIT_SKIP;
	} else if (!boot_l1(o, &j, 1, !o->quiet, why, sizeof(why))) {
		rc = EXIT_BOOT;
	} else {
		rc = j.rc;
	}
	if (why[0]) {
		fprintf(stderr, "pvrun: %s: %s\n", label, why);
		if (j.tap)
			fprintf(j.tap, "not ok - %s: boot (pvrun: %s)\n", label, why);
	}
	if (j.tap)
		fclose(j.tap);
	if (j.log)
		fclose(j.log);
	return rc;
}

/* Open RESULTS/NAME.EXT for writing. */
static FILE *result_file(const struct opts *o, const char *name, const char *ext)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s.%s", o->results, name, ext);
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "pvrun: %s: %s\n", path, strerror(errno));
	return f;
}

int run_batch(const struct opts *o)
{
	static struct job jobs[MAX_JOBS];
	char line[2048], why[600] = "";
	int n = 0, worst = EXIT_PASS, lineno = 0;
	FILE *f = fopen(o->batch, "r");

	if (!f) {
		fprintf(stderr, "pvrun: --batch %s: %s\n", o->batch, strerror(errno));
		return EXIT_USAGE;
	}
	if (mkdir(o->results, 0755) && errno != EEXIST) {
		fprintf(stderr, "pvrun: --results %s: %s\n", o->results, strerror(errno));
		fclose(f);
		return EXIT_USAGE;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = 0;
		char *name = line + strspn(line, " \t");
		if (!*name || *name == '#')
			continue;
		size_t len = strcspn(name, " \t");
		char *rest = name[len] ? name + len + 1 : name + len;
		name[len] = 0;
		if (n == MAX_JOBS || len >= NAME_MAX_LEN ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789._-") != len ||
		    (!strstr(rest, "nested-pvhv") && !strstr(rest, "nested-kvm"))) {
			fprintf(stderr, "pvrun: %s:%d: want \"NAME --env nested-pvhv|nested-kvm "
				"...\" (NAME of letters, digits, . _ -; at most %d jobs)\n",
				o->batch, lineno, MAX_JOBS);
			fclose(f);
			return EXIT_USAGE;
		}
		struct job *j = &jobs[n++];
		snprintf(j->name, sizeof(j->name), "%s", name);
		j->label = j->name;
		j->args = strdup(rest);
		j->timeout = o->timeout;
		char *t = strstr(rest, "--timeout");
		if (t && (t[9] == ' ' || t[9] == '='))
			j->timeout = strtod(t + 10 + (t[10] == '\''), NULL);
		j->tap = result_file(o, name, "tap");
		j->log = result_file(o, name, "log");
	}
	fclose(f);
	if (!n) {
		fprintf(stderr, "pvrun: --batch %s: no jobs\n", o->batch);
		return EXIT_USAGE;
	}
	if (!have_qemu()) {
		for (int i = 0; i < n; i++) {
			jobs[i].rc = EXIT_SKIP;
			if (jobs[i].tap)
				fprintf(jobs[i].tap, "ok - %s: boot # SKIP " QEMU " is not "
					"installed\n", jobs[i].name);
		}
	} else if (!boot_l1(o, jobs, n, !o->quiet, why, sizeof(why))) {
		fprintf(stderr, "pvrun: nested: %s\n", why);
		for (int i = 0; i < n; i++) {
			jobs[i].rc = EXIT_BOOT;
			if (jobs[i].tap)
				fprintf(jobs[i].tap, "not ok - %s: boot (pvrun: %s)\n",
					jobs[i].name, why);
		}
	}
	for (int i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		FILE *rc = result_file(o, j->name, "rc");
		if (rc) {
			fprintf(rc, "%d\n", j->rc);
			fclose(rc);
		}
		if (j->tap)
			fclose(j->tap);
		if (j->log)
			fclose(j->log);
		free(j->args);
		if (j->rc == EXIT_BOOT || j->rc == EXIT_USAGE)
			worst = EXIT_BOOT;
		else if (j->rc == EXIT_TESTS && worst == EXIT_PASS)
			worst = EXIT_TESTS;
	}
	return worst;
}
