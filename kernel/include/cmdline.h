/*
 * cmdline.h - the kernel command line: space-separated key=value or bare
 * words, parsed once at boot into struct boot_params.
 */
#ifndef PVK_CMDLINE_H
#define PVK_CMDLINE_H

#include <types.h>

#define CMDLINE_MAX 1024

enum pv_mode { PV_MODE_AUTO, PV_MODE_NATIVE, PV_MODE_NOPATCH, PV_MODE_PLATFORM };

struct boot_params {
	enum pv_mode pv_mode;
	char pv_platform[16];        /* PV_MODE_PLATFORM: its name */
	char pv_off[128];            /* pvoff=a,b: features turned off */
	bool tests;                  /* tests=on|off (default on) */
	char tests_only[64];         /* tests=NAME: run only tests matching NAME */
	char bench[32];              /* bench=NAME: run a benchmark workload */
	char crash[16];              /* crash=KIND: fail on purpose (tests) */
	bool qspinlock_pv;           /* qspinlock=pv: the pv slow path everywhere */
	unsigned tsc_skip;           /* tsc=nopit,nopmtimer: TSC_SKIP_* */
	int errors;                  /* malformed words seen (each reported) */
};

/* tsc=: calibration sources to act as if absent (to test the fallbacks) */
#define TSC_SKIP_PIT     0x1       /* nopit */
#define TSC_SKIP_PMTIMER 0x2       /* nopmtimer */

extern struct boot_params boot_params;

/*
 * cmdline_parse - parse `s` (may be NULL) into *p, starting from the
 * defaults. Every word it does not understand, and every bad value, is
 * reported with printk and counted in p->errors; the default stays.
 * Returns p->errors.
 */
int cmdline_parse(const char *s, struct boot_params *p);

/* pv_feature_off - was `name` listed in pvoff=? */
bool pv_feature_off(const char *name);

#endif /* PVK_CMDLINE_H */
