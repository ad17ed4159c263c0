/*
 * tlb.c - dropping translations on this CPU, for a TLB shootdown
 * (flush_tlb_range in paravirt.h; the other CPUs' part is the op
 * mmu.flush_tlb_multi).
 */
#include <paravirt.h>
#include <uvm.h>
#include <abi/x86.h>

/* Above this many pages one full flush costs less than an invlpg each
 * (Linux's tlb_single_page_flush_ceiling). */
#define TLB_SINGLE_PAGE_CEILING 33

void flush_tlb_local(const struct flush_tlb_info *info)
{
	unsigned long start = info->start & ~(PAGE_SIZE - 1);

	if (info->end == TLB_FLUSH_ALL || info->end < start ||
	    (info->end - start) / PAGE_SIZE > TLB_SINGLE_PAGE_CEILING) {
		flush_tlb_kernel();        /* global translations too */
		return;
	}
	for (unsigned long va = start; va < info->end; va += PAGE_SIZE)
		flush_tlb_one_user(va);
	uvm_kernel_flushed();      /* invlpg reached the live PCID only */
}
