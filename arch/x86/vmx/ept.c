/*
 * EPT entries, with the memory type the MTRRs give each range.  Under EPT
 * the CPU ignores the MTRRs for the guest's accesses and combines the EPT
 * leaf's type with the guest's PAT type in their place (SDM vol. 3,
 * "Memory Type Used for Translated Guest-Physical Addresses"), so the
 * leaves carry the MTRR types the OS would get on bare metal; a large leaf
 * is used only where its whole range has one type.
 */
#include "arch/x86/vmx/ept.h"
#include "arch/x86/cpu.h"
#include "arch/x86/nested.h"
#include "arch/x86/pagetable.h"
#include "arch/x86/smp.h"
#include "arch/x86/vmx/vmcs.h"
#include "core/format.h"
#include "core/log.h"
#include "core/spinlock.h"
#include "core/string.h"
#include "core/vcpu.h"

#define CPUID1_EDX_MTRR BIT(12)

/* The boot CPU's MTRRs: the types of the EPT leaves.  Only the boot CPU
 * changes them after start-up, under the nested map's lock (ept_leaf runs
 * under it) and under mtrrs_lock (for the status reader).  cap and
 * phys_bits never change after ept_init. */
static struct mtrr_state mtrrs;
static spinlock_t mtrrs_lock;
static bool has_mtrrs, in_use;

static struct {
	u64 writes, refused, changes, incomplete;
} mtrr_stats;

static void count(u64 *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------ entry format */

/* A range whose leaf could not be split (Lamina short of memory) gets the
 * strictest type. */
static u8 leaf_type(u64 pa, unsigned level)
{
	u8 t = mtrr_type(&mtrrs, pa, pt_level_size(level), NULL);

	return t == MTRR_MIXED ? MTRR_UC : t;
}

static bool ept_leaf_fits(u64 pa, unsigned level)
{
	return mtrr_type(&mtrrs, pa, pt_level_size(level), NULL) != MTRR_MIXED;
}

static u64 ept_table(u64 pa)
{
	return pa | EPT_R | EPT_W | EPT_X;
}

/* IPAT stays 0: the guest's PAT type combines with the leaf's type as it
 * would with the MTRR type on bare metal. */
static u64 ept_leaf(u64 pa, unsigned perms, unsigned level)
{
	u64 e = pa | (u64)leaf_type(pa, level) << EPT_MEMTYPE_SHIFT;

	if (perms & PERM_R)
		e |= EPT_R;
	if (perms & PERM_W)
		e |= EPT_W;
	if (perms & PERM_X)
		e |= EPT_X;
	if (level)
		e |= EPT_LEAF_LARGE;
	return e;
}

static bool ept_present(u64 e)
{
	return e & (EPT_R | EPT_W | EPT_X);
}

static unsigned ept_perms(u64 e)
{
	return (e & EPT_R ? PERM_R : 0) | (e & EPT_W ? PERM_W : 0) | (e & EPT_X ? PERM_X : 0);
}

struct pt_format ept_format = {
	.table = ept_table,
	.leaf = ept_leaf,
	.present = ept_present,
	.perms = ept_perms,
	.max_leaf_level = 0,
	.leaf_fits = ept_leaf_fits,
};

/* ------------------------------------------------------------ MTRRs */

/* This CPU's MTRRs.  A CPU without them gets write-back everywhere: its
 * memory types come from PAT alone. */
static void read_mtrrs(struct mtrr_state *s)
{
	u32 list[MTRR_MSRS_MAX];

	*s = (struct mtrr_state){ .phys_bits = cpu_phys_addr_bits() };
	if (!has_mtrrs) {
		s->def_type = MTRR_DEF_E | MTRR_WB;
		return;
	}
	s->cap = rdmsr(MSR_MTRR_CAP);
	for (unsigned i = 0, n = mtrr_msr_list(s, list); i < n; i++)
		mtrr_set(s, list[i], rdmsr(list[i]));
}

static void describe(const struct mtrr_state *s, char *buf, size_t size)
{
	bool undefined = false;

	mtrr_describe(s, buf, size, &undefined);
	if (undefined)
		pr_warn("the MTRRs overlap variable ranges of types whose combination the SDM "
			"leaves undefined; EPT gives those addresses UC");
}

void ept_init(u64 ept_vpid_cap)
{
	char types[192];

	ept_format.max_leaf_level = ept_vpid_cap & EPT_CAP_1G ? 2 : ept_vpid_cap & EPT_CAP_2M ? 1 : 0;
	has_mtrrs = cpuid(1, 0).edx & CPUID1_EDX_MTRR;
	read_mtrrs(&mtrrs);
	in_use = true;
	describe(&mtrrs, types, sizeof(types));
	pr_info("EPT memory types: %s%s", types, has_mtrrs ? "" : " (the CPU has no MTRRs)");
}

unsigned ept_mtrr_msrs(u32 list[MTRR_MSRS_MAX])
{
	return has_mtrrs ? mtrr_msr_list(&mtrrs, list) : 0;
}

bool ept_is_mtrr(u32 msr)
{
	return has_mtrrs && mtrr_is_msr(&mtrrs, msr);
}

static void apply_mtrrs(void *ctx)
{
	const struct mtrr_state *now = ctx;

	spin_lock(&mtrrs_lock);
	mtrrs.def_type = now->def_type;
	memcpy(mtrrs.fixed, now->fixed, sizeof(mtrrs.fixed));
	memcpy(mtrrs.var, now->var, sizeof(mtrrs.var));
	spin_unlock(&mtrrs_lock);
}

/* The SDM requires every CPU to hold the same MTRRs; an OS changes them on
 * all CPUs, the boot CPU included, and the boot CPU's decide the types.
 * Linux's start-up of the other CPUs (which copy the boot CPU's values)
 * thus changes nothing. */
bool ept_write_mtrr(struct vcpu *v, u32 msr, u64 value)
{
	struct mtrr_state now;

	if (!has_mtrrs || !mtrr_write_valid(&mtrrs, msr, value)) {
		count(&mtrr_stats.refused);
		return false;
	}
	wrmsr(msr, value);
	count(&mtrr_stats.writes);
	if (v->id != 0)
		return true;
	read_mtrrs(&now);
	if (mtrr_same_layout(&now, &mtrrs))
		return true;
	if (nested_refresh(apply_mtrrs, &now) < 0)
		count(&mtrr_stats.incomplete);
	count(&mtrr_stats.changes);
	smp_flush_guest_tlbs(v);
	return true;
}

void ept_status(struct textbuf *tb)
{
	struct mtrr_state copy;
	char types[256];

	if (!in_use)
		return;
	spin_lock(&mtrrs_lock);
	copy = mtrrs;
	spin_unlock(&mtrrs_lock);
	mtrr_describe(&copy, types, sizeof(types), NULL);
	textbuf_printf(tb, "ept_memory_types: %s\n", types);
	textbuf_printf(tb, "ept_mtrr_writes: %llu (%llu refused, %llu changed the types, "
		       "%llu left a large leaf UC)\n",
		       (unsigned long long)mtrr_stats.writes, (unsigned long long)mtrr_stats.refused,
		       (unsigned long long)mtrr_stats.changes,
		       (unsigned long long)mtrr_stats.incomplete);
}
