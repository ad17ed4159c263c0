/*
 * t_pvhv_kvm_hc.c - what pvhv offers of KVM's hypercall-based features
 * (vmm/kvm-hc.c): --kvm-hypercalls parsing, the probe's result turned
 * into CPUID bits (checked as literal values through cpuid_build), the
 * --stats words, the instruction per vendor, and the decision to enable
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID: pure functions, no /dev/kvm needed.
 * Then, where /dev/kvm is usable, pvk booted under build/pvhv-asan: the
 * verdict --stats prints and the CPUID the guest got must agree.
 * Built into build/tests/pvhv-unit, with ASan and UBSan (vmm/vmm.mk).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm.h"

#define HC_BITS      0x2880u        /* bits 7 PV_UNHALT, 11 PV_SEND_IPI, 13 PV_SCHED_YIELD */
#define VMM_BITS     0x30000u       /* bits 16 HC_MAP_GPA_RANGE, 17 MIGRATION_CONTROL */
#define HOST_EAX     0x01007efbu    /* this machine's KVM_GET_SUPPORTED_CPUID 0x40000001 */

static char why[HC_NOTE_MAX];

static const struct hc_probe returned = {
	.result = HC_PROBE_RETURNED, .insn = "VMMCALL", .ret = -1000, .timeout_ms = 200,
	.hc_us = 35, .cost_us = 4200,
};
static const struct hc_probe timed_out = {
	.result = HC_PROBE_TIMEOUT, .insn = "VMCALL", .timeout_ms = 200, .cost_us = 202000,
};
static const struct hc_probe spinning = {
	.result = HC_PROBE_SPINNING, .insn = "VMCALL", .timeout_ms = 200,
	.spin_events = 30637, .spin_ms = 10.2, .cost_us = 11100,
};

Test(pvhv_kvm_hc, bit_values_are_linux_uapi)
{
	cr_assert_eq(KVM_HC_FEATURES, HC_BITS);
	cr_assert_eq(KVM_VMM_FEATURES, VMM_BITS);
	cr_assert_eq(KVM_CAP_ENFORCE_PV_FEATURE_CPUID, 190);
	cr_assert_eq(KVM_ENOSYS, 1000);
}

Test(pvhv_kvm_hc, mode_parse)
{
	enum hc_mode m = HC_MODE_OFF;

	cr_assert_eq(hc_mode_parse("auto", &m), 0);
	cr_assert_eq(m, HC_MODE_AUTO);
	cr_assert_eq(hc_mode_parse("on", &m), 0);
	cr_assert_eq(m, HC_MODE_ON);
	cr_assert_eq(hc_mode_parse("off", &m), 0);
	cr_assert_eq(m, HC_MODE_OFF);
	static const char *const bad[] = { "", "AUTO", "yes", "on ", "of", "auto=1", "1", NULL };
	for (int i = 0; bad[i]; i++) {
		cr_assert_eq(hc_mode_parse(bad[i], &m), -1, "accepted '%s'", bad[i]);
		cr_assert_eq(m, HC_MODE_OFF, "'%s' changed the mode", bad[i]);
	}
	cr_assert_eq(hc_mode_parse(NULL, &m), -1);
}

Test(pvhv_kvm_hc, instruction_by_vendor)
{
	cr_assert_str_eq(hc_insn_for_vendor("AuthenticAMD"), "VMMCALL");
	cr_assert_str_eq(hc_insn_for_vendor("HygonGenuine"), "VMMCALL");
	cr_assert_str_eq(hc_insn_for_vendor("GenuineIntel"), "VMCALL");
	cr_assert_str_eq(hc_insn_for_vendor("CentaurHauls"), "VMCALL");
}

Test(pvhv_kvm_hc, auto_offers_only_when_the_hypercall_returned_enosys)
{
	cr_assert_eq(hc_decide(HC_MODE_AUTO, true, &returned, why, sizeof(why)), HC_BITS);
	cr_assert_str_eq(why, "offered (probe: VMMCALL returned -1000 in 35 us; probe 4.2 ms)");

	cr_assert_eq(hc_decide(HC_MODE_AUTO, true, &timed_out, why, sizeof(why)), 0);
	cr_assert_str_eq(why, "hidden (probe: VMCALL did not return within 200 ms: PVM?; "
			 "probe 202.0 ms)");

	cr_assert_eq(hc_decide(HC_MODE_AUTO, true, &spinning, why, sizeof(why)), 0);
	cr_assert_str_eq(why, "hidden (probe: VMCALL did not return: 30637 KVM exits and "
			 "emulations in 10 ms with RIP at it: PVM?; probe 11.1 ms)");

	struct hc_probe p = returned;
	p.ret = 0;                       /* returned, but not KVM's answer */
	cr_assert_eq(hc_decide(HC_MODE_AUTO, true, &p, why, sizeof(why)), 0);
	cr_assert_str_eq(why, "hidden (probe: VMMCALL returned 0, not -KVM_ENOSYS (-1000); "
			 "probe 4.2 ms)");
	p.ret = -1;                      /* -KVM_EPERM */
	cr_assert_eq(hc_decide(HC_MODE_AUTO, true, &p, why, sizeof(why)), 0);

	p = (struct hc_probe){ .result = HC_PROBE_FAULT, .insn = "VMCALL", .cost_us = 3000 };
	strcpy(p.detail, "at the hypercall: the vCPU shut down (an exception)");
	cr_assert_eq(hc_decide(HC_MODE_AUTO, true, &p, why, sizeof(why)), 0);
	cr_assert_str_eq(why, "hidden (probe: VMCALL did not complete: at the hypercall: the "
			 "vCPU shut down (an exception); probe 3.0 ms)");

	p = (struct hc_probe){ .result = HC_PROBE_ERROR, .insn = "VMCALL" };
	strcpy(p.detail, "ioctl KVM_CREATE_VM of the hypercall probe: errno 24 (Too many open files)");
	cr_assert_eq(hc_decide(HC_MODE_AUTO, true, &p, why, sizeof(why)), 0);
	cr_assert_str_eq(why, "hidden (probe failed: ioctl KVM_CREATE_VM of the hypercall "
			 "probe: errno 24 (Too many open files))");

	p = (struct hc_probe){ .result = HC_PROBE_NOT_RUN };
	cr_assert_eq(hc_decide(HC_MODE_AUTO, true, &p, why, sizeof(why)), 0);
	cr_assert_str_eq(why, "hidden (not probed)");
}

Test(pvhv_kvm_hc, on_and_off_override_the_probe)
{
	cr_assert_eq(hc_decide(HC_MODE_ON, true, &timed_out, why, sizeof(why)), HC_BITS);
	cr_assert_str_eq(why, "offered (--kvm-hypercalls=on, not probed)");
	cr_assert_eq(hc_decide(HC_MODE_OFF, true, &returned, why, sizeof(why)), 0);
	cr_assert_str_eq(why, "hidden (--kvm-hypercalls=off)");
	/* without KVM's leaves there is nothing to offer, whatever the mode */
	cr_assert_eq(hc_decide(HC_MODE_ON, false, &returned, why, sizeof(why)), 0);
	cr_assert_str_eq(why, "hidden (--no-kvm-pv: no KVM leaves at all)");
}

Test(pvhv_kvm_hc, decision_truncates_safely)
{
	char tiny[8];

	cr_assert_eq(hc_decide(HC_MODE_AUTO, true, &returned, tiny, sizeof(tiny)), HC_BITS);
	cr_assert_str_eq(tiny, "offered");
}

Test(pvhv_kvm_hc, hidden_bits)
{
	cr_assert_eq(kvm_features_hidden(HC_BITS), VMM_BITS);
	cr_assert_eq(kvm_features_hidden(0), HC_BITS | VMM_BITS);
	cr_assert_eq(kvm_features_hidden(0x32880u), 0x30000u);
}

static const struct kvm_cpuid_entry2 host[] = {
	{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b },
	{ .function = 0x40000001, .eax = HOST_EAX | VMM_BITS },   /* a host offering 16, 17 */
};

static uint32_t kvm_eax(uint32_t hidden, bool pv)
{
	struct kvm_cpuid_entry2 out[16];
	int n = cpuid_build(host, 2, out, 16, 0, 1000, true, pv, hidden);

	cr_assert_gt(n, 0);
	for (int i = 0; i < n; i++)
		if (out[i].function == (pv ? 0x40000101u : 0x40000001u))
			return out[i].eax;
	cr_assert_fail("no KVM feature leaf");
	return 0;
}

/* probe result -> decision -> the EAX the guest reads, as literals */
Test(pvhv_kvm_hc, probe_result_to_cpuid_bits)
{
	uint32_t off = hc_decide(HC_MODE_AUTO, true, &returned, why, sizeof(why));
	cr_assert_eq(kvm_eax(kvm_features_hidden(off), true), 0x01007efbu);
	cr_assert_eq(kvm_eax(kvm_features_hidden(off), false), 0x01007efbu);

	off = hc_decide(HC_MODE_AUTO, true, &timed_out, why, sizeof(why));
	cr_assert_eq(kvm_eax(kvm_features_hidden(off), true), 0x0100567bu);
	off = hc_decide(HC_MODE_AUTO, true, &spinning, why, sizeof(why));
	cr_assert_eq(kvm_eax(kvm_features_hidden(off), false), 0x0100567bu);
}

Test(pvhv_kvm_hc, feature_names)
{
	char b[256];

	kvm_feature_names(HC_BITS, b, sizeof(b));
	cr_assert_str_eq(b, "PV_UNHALT PV_SEND_IPI PV_SCHED_YIELD");
	kvm_feature_names(0x0100567bu, b, sizeof(b));
	cr_assert_str_eq(b, "CLOCKSOURCE NOP_IO_DELAY CLOCKSOURCE2 ASYNC_PF STEAL_TIME PV_EOI "
			 "PV_TLB_FLUSH ASYNC_PF_VMEXIT POLL_CONTROL ASYNC_PF_INT "
			 "CLOCKSOURCE_STABLE_BIT");
	kvm_feature_names((1u << 8) | (1u << 31), b, sizeof(b));
	cr_assert_str_eq(b, "bit8 bit31");
	kvm_feature_names(0, b, sizeof(b));
	cr_assert_str_eq(b, "");
	char tiny[12];
	kvm_feature_names(HC_BITS, tiny, sizeof(tiny));
	cr_assert_str_eq(tiny, "PV_UNHALT");  /* the next name does not fit: left out */
}

Test(pvhv_kvm_hc, stats_line)
{
	char line[HC_NOTE_MAX];

	hc_decide(HC_MODE_AUTO, true, &timed_out, why, sizeof(why));
	hc_stats_line(line, sizeof(line), HOST_EAX, why);
	cr_assert_str_eq(line, "pvhv: KVM hypercall features PV_UNHALT PV_SEND_IPI "
			 "PV_SCHED_YIELD: hidden (probe: VMCALL did not return within 200 ms: "
			 "PVM?; probe 202.0 ms)");
	hc_decide(HC_MODE_AUTO, true, &returned, why, sizeof(why));
	hc_stats_line(line, sizeof(line), HOST_EAX & ~(1u << 11), why);
	cr_assert_str_eq(line, "pvhv: KVM hypercall features PV_UNHALT PV_SCHED_YIELD: offered "
			 "(probe: VMMCALL returned -1000 in 35 us; probe 4.2 ms); the host "
			 "lacks PV_SEND_IPI");
	hc_stats_line(line, sizeof(line), HOST_EAX & ~HC_BITS, why);
	cr_assert_str_eq(line, "pvhv: KVM hypercall features: none (the host offers none of "
			 "PV_UNHALT PV_SEND_IPI PV_SCHED_YIELD)");
}

Test(pvhv_kvm_hc, enforce_decision)
{
	char note[HC_NOTE_MAX];

	cr_assert(enforce_pv_decide(1, "6.18.44-fc-v1045", true, note, sizeof(note)));
	cr_assert_str_eq(note, "enabled: a hidden feature's MSR is #GP, its hypercall "
			 "-KVM_ENOSYS");
	cr_assert(enforce_pv_decide(1, "6.1.0-57-amd64", true, note, sizeof(note)));
	cr_assert(enforce_pv_decide(1, "5.17.0", true, note, sizeof(note)));
	cr_assert_not(enforce_pv_decide(1, "5.16.20", true, note, sizeof(note)));
	cr_assert(strstr(note, "host Linux 5.16.20 may check the features at 0x40000001"),
		  "%s", note);
	cr_assert_not(enforce_pv_decide(1, "4.19.0", true, note, sizeof(note)));
	/* KVM's leaves at 0x40000000 (--no-pv): any version finds them */
	cr_assert(enforce_pv_decide(1, "5.10.0", false, note, sizeof(note)));
	cr_assert_not(enforce_pv_decide(1, "linux", true, note, sizeof(note)));
	cr_assert_not(enforce_pv_decide(1, NULL, true, note, sizeof(note)));
	cr_assert(strstr(note, "(unknown)"), "%s", note);
	cr_assert_not(enforce_pv_decide(0, "6.18.0", true, note, sizeof(note)));
	cr_assert(strstr(note, "not offered by the host"), "%s", note);
	cr_assert_not(enforce_pv_decide(-1, "6.18.0", false, note, sizeof(note)));
}

/* ---- the whole of it on this machine's /dev/kvm ----------------------- */
#define PVHV_BIN  "build/pvhv-asan"
#define ERR_MAX   65536

static char err[ERR_MAX];

/* Boot pvk under the sanitized pvhv with --stats and `mode`; its stderr
 * into err[] (stdout, the guest's console, dropped). Exit status. */
static int boot(const char *mode)
{
	int pfd[2], status;
	size_t len = 0;

	if (access(PVHV_BIN, X_OK) || access("build/pvk.elf", R_OK))
		cr_skip_test(PVHV_BIN " or build/pvk.elf not built");
	int kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		cr_skip_test("no usable /dev/kvm here");
	close(kvm);
	cr_assert_eq(pipe(pfd), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		/* tests=off: only pvhv's verdict and the guest's CPUID are
		 * checked here; with --kvm-hypercalls=on on a host that does
		 * not handle them (PVM), pvk's hypercall self-test would
		 * rightly fail (the matrix boots the self-tests) */
		execl(PVHV_BIN, PVHV_BIN, "--stats", "--timeout", "60", "--cmdline",
		      "tests=off", mode, "build/pvk.elf", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {                         /* drain it all, keep what fits */
		char sink[4096];
		ssize_t r = len < sizeof(err) - 1 ? read(pfd[0], err + len, sizeof(err) - 1 - len)
						  : read(pfd[0], sink, sizeof(sink));
		if (r <= 0)
			break;
		if (len < sizeof(err) - 1)
			len += (size_t)r;
	}
	err[len] = 0;
	close(pfd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The EAX pvhv says it put in KVM's feature leaf. */
static uint32_t offered_eax(void)
{
	const char *l = strstr(err, "pvhv: KVM features offered (0x40000101 EAX ");
	unsigned v;

	cr_assert_not_null(l, "%s", err);
	cr_assert_eq(sscanf(l + strlen("pvhv: KVM features offered (0x40000101 EAX "), "%x", &v),
		     1, "%s", l);
	return v;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* what the probe says and what the guest's CPUID holds agree */
Test(pvhv_kvm_hc, verdict_matches_the_cpuid_the_guest_gets, .timeout = 120)
{
	int st = boot("--kvm-hypercalls=auto");

	cr_assert_eq(st, 0, "exit %d: %s", st, err);
	/* once at the start, once in the summary */
	cr_assert_eq(count(err, "pvhv: KVM hypercall features PV_UNHALT PV_SEND_IPI "
			   "PV_SCHED_YIELD: "), 2, "%s", err);
	uint32_t eax = offered_eax();
	cr_assert_eq(eax & VMM_BITS, 0);
	if (strstr(err, "PV_SCHED_YIELD: offered (probe: ")) {
		cr_assert(strstr(err, " returned -1000 in "), "%s", err);
		cr_assert_eq(eax & HC_BITS, HC_BITS, "offered but EAX %#x", eax);
	} else {
		cr_assert(strstr(err, "PV_SCHED_YIELD: hidden (probe: "), "%s", err);
		cr_assert(strstr(err, "did not return"), "%s", err);
		cr_assert_eq(eax & HC_BITS, 0, "hidden but EAX %#x", eax);
	}
	cr_assert(strstr(err, "pvhv: KVM_CAP_ENFORCE_PV_FEATURE_CPUID: "), "%s", err);
}

Test(pvhv_kvm_hc, on_and_off_reach_the_cpuid, .timeout = 120)
{
	int st = boot("--kvm-hypercalls=on");

	cr_assert_eq(st, 0, "exit %d: %s", st, err);
	cr_assert(strstr(err, "PV_SCHED_YIELD: offered (--kvm-hypercalls=on, not probed)"),
		  "%s", err);
	cr_assert_eq(offered_eax() & HC_BITS, HC_BITS);
	st = boot("--kvm-hypercalls=off");
	cr_assert_eq(st, 0, "exit %d: %s", st, err);
	cr_assert(strstr(err, "PV_SCHED_YIELD: hidden (--kvm-hypercalls=off)"), "%s", err);
	cr_assert_eq(offered_eax() & HC_BITS, 0);
}
