#include "arch/x86/nested.h"
#include "arch/x86/cpu.h"
#include "arch/x86/pagetable.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/spinlock.h"

/* One map for all vCPUs; changed by any of them at run time. */
static struct pagetable nested;
static spinlock_t nested_lock;

/* Free pages a refresh leaves for everything else Lamina allocates. */
#define REFRESH_RESERVE_PAGES 512

int nested_init(const struct pt_format *fmt, u64 identity_limit)
{
	int err = pt_init(&nested, fmt);

	if (!err)
		err = pt_map(&nested, 0, 0, identity_limit, PERM_RWX);
	if (!err)
		err = pt_map(&nested, hv_region.base, 0, hv_region.size, 0);
	return err;
}

u64 nested_root_pa(void)
{
	return virt_to_phys(nested.root);
}

int nested_map_page(u64 gpa, u64 hpa, unsigned perms)
{
	spin_lock(&nested_lock);
	int err = pt_map(&nested, gpa, hpa, PAGE_SIZE, perms);

	spin_unlock(&nested_lock);
	return err;
}

/* Addresses the guest can form: up to the CPU's physical address width. */
static u64 phys_limit(void)
{
	return 1ull << cpu_phys_addr_bits();
}

bool nested_map_on_demand(u64 gpa)
{
	unsigned level;
	u64 base = ALIGN_DOWN(gpa, HUGE_PAGE_SIZE);

	bool mapped = false;

	if (in_hv_region(gpa) || gpa >= phys_limit())
		return false;
	/* A 1 GiB-aligned block never contains the region (< 4 GiB) unless
	 * the whole low 4 GiB were unmapped, which the initial map rules out. */
	if (ranges_overlap(base, HUGE_PAGE_SIZE, hv_region.base, hv_region.size))
		return false;
	spin_lock(&nested_lock);
	/* Another vCPU may have mapped it since this one faulted. */
	if (pt_lookup(&nested, gpa, &level))
		mapped = true;
	else
		mapped = pt_map(&nested, base, base, HUGE_PAGE_SIZE, PERM_RWX) == 0;
	spin_unlock(&nested_lock);
	return mapped;
}

long nested_refresh(void (*apply)(void *ctx), void *ctx)
{
	u64 free, budget;
	long ret;

	spin_lock(&nested_lock);
	apply(ctx);
	free = page_alloc_free_pages();
	budget = free > REFRESH_RESERVE_PAGES ? free - REFRESH_RESERVE_PAGES : 0;
	ret = pt_refresh(&nested, budget);
	spin_unlock(&nested_lock);
	return ret;
}
