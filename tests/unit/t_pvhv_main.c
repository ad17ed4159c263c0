/*
 * t_pvhv_main.c - pvhv as a program: the order of its checks and its exit
 * statuses. Runs build/pvhv-asan (built by `make test-pvhv-unit`) with
 * --kvm-dev naming a device that does not exist, so these tests behave
 * the same on a machine with KVM and without: the kernel image must be
 * checked, and a broken one refused with 65, before the KVM device is
 * opened (69 when it is missing or not KVM).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PVHV_BIN   "build/pvhv-asan"
#define NO_KVM     "/nonexistent/pvhv-test-kvm"
#define OUT_MAX    8192

static char out[OUT_MAX];

/* Run pvhv with argv (NULL-terminated, without argv[0]); stdout and stderr
 * into out[]. Returns its exit status, or -1 when it did not exit. */
static int run_pvhv(const char *const *args)
{
	const char *argv[16] = { PVHV_BIN };
	int pfd[2], n = 1, status;
	size_t len = 0;

	if (access(PVHV_BIN, X_OK))
		cr_skip_test(PVHV_BIN " not built (make test-pvhv-unit builds it)");
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	cr_assert_eq(pipe(pfd), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execv(PVHV_BIN, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t r = read(pfd[0], out + len, sizeof(out) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = 0;
	close(pfd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A file holding `len` bytes of `data`; its path in `path`. */
static void make_file(char path[static 32], const void *data, size_t len)
{
	strcpy(path, "/tmp/pvhv-test-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

TestSuite(pvhv_main, .timeout = 60);

Test(pvhv_main, dev_null_is_refused_as_an_image_without_kvm)
{
	int st = run_pvhv((const char *[]){ "--kvm-dev", NO_KVM, "/dev/null", NULL });

	cr_assert_eq(st, 65, "exit %d: %s", st, out);
	cr_assert(strstr(out, "/dev/null: refused: a character device"), "%s", out);
	cr_assert_null(strstr(out, NO_KVM), "the device was looked at: %s", out);
}

Test(pvhv_main, truncated_image_is_refused_without_kvm)
{
	/* the first 40 bytes of an ELF64 header: identification and a bit more */
	static const unsigned char hdr[40] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	char path[32];

	make_file(path, hdr, sizeof(hdr));
	int st = run_pvhv((const char *[]){ "--kvm-dev", NO_KVM, path, NULL });
	unlink(path);
	cr_assert_eq(st, 65, "exit %d: %s", st, out);
	cr_assert(strstr(out, "truncated: 40 bytes, shorter than the 64-byte ELF64 header"),
		  "%s", out);
	cr_assert_null(strstr(out, NO_KVM), "%s", out);
}

Test(pvhv_main, empty_and_missing_images_are_refused_without_kvm)
{
	char path[32];

	make_file(path, "", 0);
	int st = run_pvhv((const char *[]){ "--kvm-dev", NO_KVM, path, NULL });
	unlink(path);
	cr_assert_eq(st, 65, "exit %d: %s", st, out);
	cr_assert(strstr(out, "not an ELF file: 0 bytes"), "%s", out);
	st = run_pvhv((const char *[]){ "--kvm-dev", NO_KVM, "/nonexistent/pvk.elf", NULL });
	cr_assert_eq(st, 65, "exit %d: %s", st, out);
	cr_assert(strstr(out, "/nonexistent/pvk.elf: No such file"), "%s", out);
}

Test(pvhv_main, good_image_then_missing_device_is_69)
{
	if (access("build/pvk.elf", R_OK))
		cr_skip_test("build/pvk.elf not built");
	int st = run_pvhv((const char *[]){ "--kvm-dev", NO_KVM, "build/pvk.elf", NULL });

	cr_assert_eq(st, 69, "exit %d: %s", st, out);
	cr_assert(strstr(out, NO_KVM " does not exist"), "%s", out);
}

Test(pvhv_main, good_image_then_a_device_that_is_not_kvm_is_69)
{
	if (access("build/pvk.elf", R_OK))
		cr_skip_test("build/pvk.elf not built");
	int st = run_pvhv((const char *[]){ "--kvm-dev", "/dev/null", "build/pvk.elf", NULL });

	cr_assert_eq(st, 69, "exit %d: %s", st, out);
	cr_assert(strstr(out, "/dev/null: ioctl KVM_GET_API_VERSION failed"), "%s", out);
}

Test(pvhv_main, help_names_kvm_dev_and_bad_options_are_64)
{
	int st = run_pvhv((const char *[]){ "--help", NULL });

	cr_assert_eq(st, 0, "exit %d: %s", st, out);
	cr_assert(strstr(out, "--kvm-dev PATH"), "%s", out);
	st = run_pvhv((const char *[]){ "--kvm-dev", "", "/dev/null", NULL });
	cr_assert_eq(st, 64, "exit %d: %s", st, out);
	cr_assert(strstr(out, "--kvm-dev: an empty path"), "%s", out);
}

Test(pvhv_main, kvm_hypercalls_option_in_help_and_checked)
{
	int st = run_pvhv((const char *[]){ "--help", NULL });

	cr_assert_eq(st, 0, "exit %d: %s", st, out);
	cr_assert(strstr(out, "--kvm-hypercalls=auto|on|off"), "%s", out);
	st = run_pvhv((const char *[]){ "--kvm-hypercalls=maybe", "/dev/null", NULL });
	cr_assert_eq(st, 64, "exit %d: %s", st, out);
	cr_assert(strstr(out, "--kvm-hypercalls=maybe: not one of auto|on|off"), "%s", out);
	st = run_pvhv((const char *[]){ "--kvm-hypercalls", NULL });
	cr_assert_eq(st, 64, "exit %d: %s", st, out);
	/* a good value passes on to the image check */
	st = run_pvhv((const char *[]){ "--kvm-hypercalls=off", "--kvm-dev", NO_KVM,
					"/dev/null", NULL });
	cr_assert_eq(st, 65, "exit %d: %s", st, out);
}

#define CPL3_MINI "build/tests/cpl3-mini.elf"

Test(pvhv_main, deprivileged_limits_are_64)
{
	int st = run_pvhv((const char *[]){ "--help", NULL });

	cr_assert(strstr(out, "--deprivileged"), "%s", out);
	st = run_pvhv((const char *[]){ "--deprivileged", "--smp", "2", "/dev/null", NULL });
	cr_assert_eq(st, 64, "exit %d: %s", st, out);
	cr_assert(strstr(out, "--deprivileged runs one vCPU"), "%s", out);
	st = run_pvhv((const char *[]){ "--deprivileged", "--mem", "1025", "/dev/null", NULL });
	cr_assert_eq(st, 64, "exit %d: %s", st, out);
	cr_assert(strstr(out, "--mem 1025: --deprivileged maps at most 1024 MiB"), "%s", out);
	st = run_pvhv((const char *[]){ "--deprivileged", "--no-pv", "/dev/null", NULL });
	cr_assert_eq(st, 64, "exit %d: %s", st, out);
	/* at the limit the options pass on to the image check */
	st = run_pvhv((const char *[]){ "--deprivileged", "--mem", "1024", "--kvm-dev", NO_KVM,
					"/dev/null", NULL });
	cr_assert_eq(st, 65, "exit %d: %s", st, out);
}

/* The PARAVIRT=0 kernel has no pv platform, so no PVHV note: a kernel
 * with no pv_ops cannot run deprivileged. */
#define NOPV_KERNEL "build/nopv/pvk.elf"
Test(pvhv_main, deprivileged_needs_the_pvhv_note)
{
	if (access(NOPV_KERNEL, R_OK))
		cr_skip_test(NOPV_KERNEL " not built (make nopv)");
	int st = run_pvhv((const char *[]){ "--deprivileged", "--kvm-dev", NO_KVM,
					    NOPV_KERNEL, NULL });

	cr_assert_eq(st, 65, "exit %d: %s", st, out);
	cr_assert(strstr(out, NOPV_KERNEL " has no PVHV note: it cannot run deprivileged"),
		  "%s", out);
	cr_assert_null(strstr(out, NO_KVM), "%s", out);
}

Test(pvhv_main, cpl3_image_boots_only_deprivileged)
{
	if (access(CPL3_MINI, R_OK))
		cr_skip_test(CPL3_MINI " not built");
	int st = run_pvhv((const char *[]){ "--kvm-dev", NO_KVM, CPL3_MINI, NULL });

	cr_assert_eq(st, 65, "exit %d: %s", st, out);
	cr_assert(strstr(out, "it boots only with --deprivileged"), "%s", out);
	/* deprivileged: the region, tables, pins all done before the device */
	st = run_pvhv((const char *[]){ "--deprivileged", "--kvm-dev", NO_KVM, CPL3_MINI, NULL });
	cr_assert_eq(st, 69, "exit %d: %s", st, out);
	cr_assert(strstr(out, NO_KVM " does not exist"), "%s", out);
	/* the smallest RAM, 2 MiB, still holds mini, its tables and the monitor */
	st = run_pvhv((const char *[]){ "--deprivileged", "--mem", "2", "--kvm-dev", NO_KVM,
					CPL3_MINI, NULL });
	cr_assert_eq(st, 69, "exit %d: %s", st, out);
}
