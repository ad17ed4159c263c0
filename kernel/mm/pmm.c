/*
 * pmm.c - the physical page allocator: free RAM as a list of ranges,
 * handed out front to back, and a stack of freed pages taken first.
 */
#include <mm.h>
#include <printk.h>
#include <spinlock.h>
#include <string.h>
#include <asm/x86_bits.h>

#include <asm/layout.h>

#define LOW_MEMORY (1ull << 20)

extern const char _kernel_phys_start[], _kernel_phys_end[];

struct range {
	u64 start, end;
};

static struct range free_ranges[BOOT_MAX_MEM * 2];
static int nr_ranges, cur;
static phys_addr_t freed;         /* stack of freed pages, linked through them */
static u64 nr_free;
/* Pages are taken and given back on every CPU (user processes' demand
 * faults, their exits): one lock over the lot. */
static spinlock_t pmm_lock = SPINLOCK_INIT;

void *__va(phys_addr_t pa)
{
	BUG_ON(pa >= MM_MAP_LIMIT);
	return (void *)(pa + KERNEL_VMA);
}

phys_addr_t __pa(const void *va)
{
	u64 v = (u64)va;

	BUG_ON(v < KERNEL_VMA || v - KERNEL_VMA >= MM_MAP_LIMIT);
	return v - KERNEL_VMA;
}

/* Cut [start, end) out of every free range. */
static void reserve(u64 start, u64 end)
{
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	for (int i = 0; i < nr_ranges; i++) {
		struct range *r = &free_ranges[i];

		if (end <= r->start || start >= r->end)
			continue;
		if (start > r->start && end < r->end) {
			BUG_ON(nr_ranges == (int)ARRAY_SIZE(free_ranges));
			free_ranges[nr_ranges++] = (struct range){ end, r->end };
			r->end = start;
		} else if (start <= r->start) {
			r->start = end < r->end ? end : r->end;
		} else {
			r->end = start;
		}
	}
}

u64 pmm_init(const struct boot_info *bi)
{
	nr_ranges = 0;
	for (int i = 0; i < bi->nr_mem; i++) {
		const struct mem_region *m = &bi->mem[i];
		u64 s = ALIGN_UP(m->base, PAGE_SIZE), e = ALIGN_DOWN(m->base + m->len, PAGE_SIZE);

		if (m->type != MEM_RAM || s >= MM_MAP_LIMIT || e <= s)
			continue;
		if (e > MM_MAP_LIMIT)
			e = MM_MAP_LIMIT;
		free_ranges[nr_ranges++] = (struct range){ s, e };
	}
	reserve(0, LOW_MEMORY);
	reserve((u64)_kernel_phys_start, (u64)_kernel_phys_end);
	reserve(bi->info_base, bi->info_base + bi->info_len);
	for (int i = 0; i < bi->nr_mods; i++)
		reserve(bi->mods[i].base, bi->mods[i].base + bi->mods[i].len);

	nr_free = 0;
	for (int i = 0; i < nr_ranges; i++)
		nr_free += (free_ranges[i].end - free_ranges[i].start) / PAGE_SIZE;
	cur = 0;
	freed = 0;
	return nr_free;
}

/* One page off the free lists, under pmm_lock; 0 when fewer than
 * `keep` pages would be left. */
static phys_addr_t take_page(u64 keep)
{
	phys_addr_t pa = 0;

	if (nr_free <= keep)
		return 0;
	if (freed) {
		pa = freed;
		freed = *(phys_addr_t *)__va(pa);
	} else {
		while (cur < nr_ranges && free_ranges[cur].start >= free_ranges[cur].end)
			cur++;
		if (cur == nr_ranges)
			return 0;
		pa = free_ranges[cur].start;
		free_ranges[cur].start += PAGE_SIZE;
	}
	nr_free--;
	return pa;
}

phys_addr_t alloc_page(void)
{
	unsigned long flags = spin_lock_irqsave(&pmm_lock);
	phys_addr_t pa = take_page(0);

	spin_unlock_irqrestore(&pmm_lock, flags);
	if (!pa)
		panic("alloc_page: out of memory");
	memset(__va(pa), 0, PAGE_SIZE);
	return pa;
}

phys_addr_t try_alloc_page(void)
{
	unsigned long flags = spin_lock_irqsave(&pmm_lock);
	phys_addr_t pa = take_page(PMM_RESERVE_PAGES);

	spin_unlock_irqrestore(&pmm_lock, flags);
	if (pa)
		memset(__va(pa), 0, PAGE_SIZE);
	return pa;
}

void free_page(phys_addr_t pa)
{
	unsigned long flags;

	BUG_ON(pa & (PAGE_SIZE - 1));
	flags = spin_lock_irqsave(&pmm_lock);
	*(phys_addr_t *)__va(pa) = freed;
	freed = pa;
	nr_free++;
	spin_unlock_irqrestore(&pmm_lock, flags);
}

u64 pmm_free_pages(void)
{
	return nr_free;
}
