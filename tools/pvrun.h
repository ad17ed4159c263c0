/*
 * pvrun.h - what pvrun's parts share: its options, its exit statuses,
 * the child process whose console it reads line by line, and the nested
 * environments (pvrun_nested.c).
 */
#ifndef PVRUN_H
#define PVRUN_H

#include <stdbool.h>
#include <stdio.h>

enum { EXIT_PASS = 0, EXIT_TESTS = 1, EXIT_BOOT = 2, EXIT_USAGE = 64,
       EXIT_SKIP = 77 };

#define QEMU "qemu-system-x86_64"
#define MAX_PVHV_ARGS 16
#define SMP_MAX 64              /* --smp's upper bound (pvk's is lower) */
#define NESTED_DIR_DEFAULT "build/nested"
/* Set by the nested L1's /init: this pvrun runs inside L1, where
 * nested-pvhv means pvhv and nested-kvm means QEMU on L1's /dev/kvm. */
#define PVRUN_IN_L1_ENV "PVRUN_IN_L1"

struct opts {
	const char *env, *cmdline, *log, *tap, *kernel, *iso, *pvhv;
	const char *expect_platform;      /* NULL: not checked */
	const char *batch, *results;      /* --batch FILE --results DIR */
	const char *nested_dir;           /* L1's kernel and archives */
	bool print_cmd;                   /* --print-cmd: show, don't run */
	const char *pvhv_args[MAX_PVHV_ARGS];
	int n_pvhv_args;
	double timeout;
	bool quiet;
	int smp;                          /* --smp N: CPUs (default 1) */
	char smp_arg[12];                 /* N as text, for the child's argv */
};

/* What an environment needs of the machine. */
enum env_need {
	NEED_QEMU = 1 << 0,     /* qemu-system-x86_64 */
	NEED_KVM = 1 << 1,      /* a usable /dev/kvm here */
	NEED_PVHV = 1 << 2,     /* started as pvhv, not QEMU */
	NEED_ISO = 1 << 3,      /* boots the GRUB ISO, not the ELF */
	NEED_L1 = 1 << 4,       /* runs inside the nested L1 */
};

/* One environment (pvrun_env.c). */
struct env {
	const char *name;
	const char *platform;           /* the platform pvk must choose there */
	const char *what;               /* one line for --help and --list-envs */
	unsigned needs;                 /* enum env_need */
	const char *const *machine;     /* QEMU's machine arguments (NULL-ended) */
	const char *const *machine_l1;  /* the same inside the nested L1, if other */
};

extern const struct env envs[];
extern const size_t n_envs;

/* env_find - the environment called `name`, or NULL. */
const struct env *env_find(const char *name);

/* env_list - one line per environment: name, platform, what it is. */
void env_list(FILE *f, const char *indent);

/*
 * env_argv - the command that starts environment e for options o (the
 * ISO already built, when e boots one) into args[max], NULL-terminated;
 * in_l1 selects the machine inside the nested L1. Returns the count.
 * Not for NEED_L1 environments (pvrun_nested.c starts L1 itself).
 */
int env_argv(const struct env *e, const struct opts *o, const char *iso, bool in_l1,
	     const char **args, int max);

/* What a child's console run ended with. */
struct child_end {
	int exit_code;          /* the child's exit status; -1 killed/signalled */
	bool timed_out;         /* killed at the deadline */
	bool stopped;           /* killed because on_line asked (returned true) */
	double secs;
};

/*
 * run_child - start argv[0] with stdin from /dev/null and stdout and
 * stderr into one pipe; call on_line(ctx, line) for each line of that
 * output (without its newline or carriage returns) until the child closes
 * it, on_line returns true (the child is killed), or `timeout` seconds
 * pass (killed). When `watch` is not NULL it is called at least once a
 * second, output or not; true kills the child too (end->stopped). Returns
 * false when the child could not be started at all (the reason printed).
 */
bool run_child(const char *const argv[], double timeout,
	       bool (*on_line)(void *ctx, const char *line),
	       bool (*watch)(void *ctx), void *ctx, struct child_end *end);

/* make_label - the label of a boot in TAP lines and messages, into
 * label[n]: env, the pvhv build when not the default, smp=N when more
 * than one CPU, pvhv options, command line (shortened when very long). */
void make_label(const struct opts *o, char *label, size_t n);

/* pvhv_bin_name - the file name of o->pvhv ("pvhv", "pvhv-asan", ...). */
const char *pvhv_bin_name(const struct opts *o);

/* now - a monotonic clock in seconds. */
double now(void);

/* have_qemu - whether qemu-system-x86_64 is on PATH. */
bool have_qemu(void);

/* is_nested_env - whether ENV is one of the nested-* environments. */
bool is_nested_env(const char *env);

/*
 * run_nested - run the single boot `o` describes (o->env nested-pvhv or
 * nested-kvm) inside one L1 boot, with the same TAP, log and exit status
 * as a local environment. Returns pvrun's exit status.
 */
int run_nested(const struct opts *o);

/*
 * run_batch - run every job of o->batch (lines "NAME PVRUN-ARGS", each
 * with a nested --env) in one L1 boot; write RESULTS/NAME.tap, .log and
 * .rc (pvrun's exit status for that job). Returns the worst status: 2 when
 * a boot failed, 1 when a test failed, else 0.
 */
int run_batch(const struct opts *o);

#endif
