/*
 * Lamina's region is absent from the guest's nested page tables.  A guest
 * access to it faults into Lamina, which counts and logs it, then lets the
 * access complete against a decoy that holds nothing of Lamina:
 *  - reads and fetches see a shared all-zero page, mapped read-only;
 *  - a write goes to a scratch page for exactly one instruction (the guest
 *    is single-stepped), after which the page is unmapped again and the
 *    scratch page wiped.  The write is dropped; Lamina is untouched.
 */
#include "arch/x86/guard.h"
#include "arch/x86/nested.h"
#include "arch/x86/pagetable.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/panic.h"
#include "core/spinlock.h"
#include "core/string.h"

#define ENOMEM 12
#define MAX_PENDING 4

struct guard_stats guard_stats;

static void *zero_page;
static void *scratch_page;
/* Guest pages mapped to the scratch page, shared by all vCPUs (any of
 * them may rearm, which only makes another's write fault again). */
static u64 pending[MAX_PENDING];
static unsigned nr_pending;
static spinlock_t guard_lock;
static struct ratelimit guard_log_limit;

/* Builds the 4 KiB tables for the region now, so that remapping its pages
 * on a fault never allocates and cannot fail. */
int guard_init(void)
{
	zero_page = page_alloc(1);
	scratch_page = page_alloc(1);
	if (!zero_page || !scratch_page)
		return -ENOMEM;
	for (u64 pa = hv_region.base; pa < hv_region.base + hv_region.size;
	     pa += LARGE_PAGE_SIZE) {
		if (nested_map_page(pa, virt_to_phys(zero_page), PERM_R))
			return -ENOMEM;
		nested_map_page(pa, 0, 0);
	}
	return 0;
}

static void rearm(void)
{
	for (unsigned i = 0; i < nr_pending; i++)
		nested_map_page(pending[i], 0, 0);
	nr_pending = 0;
	memset(scratch_page, 0, PAGE_SIZE);
}

bool guard_handle_fault(struct vcpu *v, const struct vcpu_exit *e)
{
	u64 gpa = e->fault.gpa, page = ALIGN_DOWN(gpa, PAGE_SIZE);
	const char *what = e->fault.write ? "write" : e->fault.exec ? "fetch" : "read";
	int err;

	if (!in_hv_region(gpa))
		return false;
	if (ratelimit_allow(&guard_log_limit))
		pr_warn("blocked guest %s of Lamina's memory at %llx (rip %llx)", what,
			(unsigned long long)gpa, (unsigned long long)v->regs.rip);

	spin_lock(&guard_lock);
	if (!e->fault.write) {
		if (e->fault.exec)
			guard_stats.fetches++;
		else
			guard_stats.reads++;
		err = nested_map_page(page, virt_to_phys(zero_page), PERM_R | PERM_X);
	} else {
		guard_stats.writes++;
		if (nr_pending == MAX_PENDING)
			rearm();
		pending[nr_pending++] = page;
		err = nested_map_page(page, virt_to_phys(scratch_page), PERM_R | PERM_W);
		if (!v->guard_stepping)
			v->backend->set_single_step(v, true);
		v->guard_stepping = true;
	}
	spin_unlock(&guard_lock);
	BUG_ON(err); /* the tables were built by guard_init() */
	v->backend->flush_guest_tlb(v);
	return true;
}

bool guard_handle_debug_trap(struct vcpu *v)
{
	if (!v->guard_stepping)
		return false;
	spin_lock(&guard_lock);
	rearm();
	spin_unlock(&guard_lock);
	v->guard_stepping = false;
	v->backend->set_single_step(v, false);
	v->backend->flush_guest_tlb(v);
	return true;
}
