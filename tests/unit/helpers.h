/*
 * helpers.h - shared by the host tests: the test template's ops, patching
 * one site, reading a site back with Capstone.
 */
#ifndef TEST_HELPERS_H
#define TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <pvops/hosted.h>
#include <pvops/patch.h>

#include "test_ops.h"
#include "regs_harness.h"

/* One function per C site, each holding exactly that one site. */
unsigned long call_save_fl(void);
void call_restore_fl(unsigned long f);
void call_irq_disable(void);
void call_irq_enable(void);
unsigned long call_read_cr2(void);
unsigned long call_read_cr3(void);
void call_write_cr3(unsigned long v);
void call_spin_unlock(uint8_t *lock);
bool call_vcpu_is_preempted(long cpu);
unsigned long call_ident(unsigned long v);
void call_tick(void);
unsigned long call_far(void);
unsigned long call_long_tmpl(void);
unsigned long call_add3(unsigned long a, unsigned long b, unsigned long c);
void call_notify(void);
unsigned long call_hcall(unsigned long nr, unsigned long a0, unsigned long a1,
			 unsigned long a2, unsigned long a3);

/* The .S sites (sites.S) and the register harness (regs_harness.S). */
extern const char asite_regs[], asite_save_fl[], asite_save_fl_noclob[],
	asite_tick[], asite_long[], asite_trash[], asite_hcall[];
void regs_call(const void *fn, const uint64_t in[REGS_SLOTS],
	       uint64_t out[REGS_SLOTS]);

/* The ops the tests install, and how many times some ran. */
extern int tick_count, notify_count;
unsigned long tick_as_c(void);
PV_CALLEE_SAVE_DECLARE(tick_as_c);
void set_test_ops_default(void);
unsigned long trash_regs(void);            /* returns TRASH_RET */
#define TRASH_RET 0x7777
extern const struct pv_tmpl tmpl_movabs;   /* movabs $MOVABS_VAL,%rax */
extern const char long_native[];           /* the same, then ret */
#define MOVABS_VAL 0x1122334455667788ul

/* The natives the tests patch with: every catalogue entry plus movabs. */
extern const struct pv_native test_natives[];
extern const size_t nr_test_natives;

/*
 * The hosted stand-in for a hypercall: hcall_standin (C, behind its
 * PV_HCALL_THUNK) returns HCALL_STANDIN(nr, a0, a1, a2, a3); the default
 * value of misc.hcall. tmpl_add_rbx is `add %rbx,%rax` (nr + a0), a
 * template of the hypercall convention that ring 3 can run; its twin
 * add_rbx_fn is the same then ret.
 */
#define HCALL_STANDIN(nr, a0, a1, a2, a3)                                  \
	((nr) + 3 * (a0) + 5 * (a1) + 7 * (a2) + 11 * (a3))
unsigned long hcall_standin(unsigned long nr, unsigned long a0,
			    unsigned long a1, unsigned long a2,
			    unsigned long a3);
PV_HCALL_DECLARE(hcall_standin);
extern const struct pv_tmpl tmpl_add_rbx;
extern const char add_rbx_fn[];

/* The backend table patch_sites* pass (none unless a test sets it). */
extern const struct pv_backend_tmpl *test_backend;
extern size_t nr_test_backend;

/* site_of - the record of the one site in fn (first site after fn). */
const struct pv_site *site_of(const void *fn);

/*
 * patch_sites - run pv_patch on `n` records starting at `recs`, against
 * t_ops and test_natives, live text. The last decision is copied to *d
 * (when d is non-NULL). Returns pv_patch's result.
 */
int patch_sites(const struct pv_site *recs, size_t n, struct pv_decision *d,
		struct pv_patch_stats *st, unsigned flags);

/* patch_sites_with - the same, writing through `write`. */
typedef int (*pv_write_fn)(void *opaque, uintptr_t site, const uint8_t *bytes,
			   size_t len);
int patch_sites_with(const struct pv_site *recs, size_t n,
		     struct pv_decision *d, struct pv_patch_stats *st,
		     unsigned flags, pv_write_fn write);

/*
 * patch_sites_each - the same, every decision kept: ds[i] is record i's
 * (ds has n entries). -999 when the engine did not report each record
 * exactly once.
 */
int patch_sites_each(const struct pv_site *recs, size_t n,
		     struct pv_decision *ds, struct pv_patch_stats *st,
		     unsigned flags, pv_write_fn write);

/* patch_fn - patch the site of fn alone; the decision goes to *d. */
int patch_fn(const void *fn, struct pv_decision *d);

/*
 * check_insns - disassemble the len bytes at p (run address `at`) and
 * check they are exactly the instructions in `expect` (AT&T "mnemonic
 * operands" strings, NULL-terminated) followed by the fewest NOPs that
 * fill the rest. Returns NULL when they are, else what differs.
 */
const char *check_insns(const uint8_t *p, size_t len, uintptr_t at,
			const char *const *expect);

/* far_code - executable memory more than 2 GiB from the text holding
 * `mov $FAR_RET, %eax; ret`, or NULL if none could be mapped. */
void *far_code(void);
#define FAR_RET 42

#endif /* TEST_HELPERS_H */
