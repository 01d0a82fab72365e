/*
 * Lamina runs in the top 2 GiB of the address space; all physical memory
 * (except Lamina's image) is identity-mapped below, no-execute.  The image
 * is mapped W^X with 4 KiB pages: text RX, rodata R, data RW.
 */
#include "arch/x86/paging.h"
#include "arch/x86/cpu.h"
#include "arch/x86/pagetable.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/panic.h"
#include "core/string.h"

extern char _image_phys_start[], _image_phys_end[];
extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _data_end[];

static u64 image_virt_offset = KERNEL_VMA; /* va - pa for the image */
static u64 identity_limit = 4 * GiB;
static u64 nx_bit;

u64 virt_to_phys(const void *p)
{
	u64 va = (u64)p;

	return va >= KERNEL_VMA ? va - image_virt_offset : va;
}

u64 image_size(void)
{
	return (u64)_image_phys_end - (u64)_image_phys_start;
}

u64 paging_identity_limit(void)
{
	return identity_limit;
}

static u64 host_table(u64 pa)
{
	return pa | X86_PTE_P | X86_PTE_W;
}

static u64 host_leaf(u64 pa, unsigned perms, unsigned level)
{
	return x86_pte_leaf(pa, perms, level, 0, nx_bit);
}

static unsigned host_perms(u64 e)
{
	return x86_pte_perms(e, nx_bit);
}

static const struct pt_format host_format = {
	.table = host_table,
	.leaf = host_leaf,
	.present = x86_pte_present,
	.perms = host_perms,
	.max_leaf_level = 1,
};

static int map_image_part(struct pagetable *pt, const char *start, const char *end,
			  u64 region_base, unsigned perms)
{
	u64 pa = (u64)start - KERNEL_VMA - LOAD_PHYS + region_base;

	return pt_map(pt, (u64)start, pa, end - start, perms);
}

struct wx_census {
	u64 mappings, writable_exec;
};

static void count_wx(u64 va, u64 e, unsigned level, void *ctx)
{
	struct wx_census *c = ctx;

	(void)va;
	(void)level;
	c->mappings++;
	if ((host_perms(e) & (PERM_W | PERM_X)) == (PERM_W | PERM_X))
		c->writable_exec++;
}

/* Checks the invariant that no mapping is both writable and executable. */
static void verify_wx(const struct pagetable *pt)
{
	struct wx_census c = { 0 };

	pt_for_each_leaf(pt, count_wx, &c);
	if (c.writable_exec)
		panic("%llu of Lamina's mappings are writable and executable",
		      (unsigned long long)c.writable_exec);
	pr_info("page tables: %llu mappings, none writable and executable",
		(unsigned long long)c.mappings);
}

int paging_relocate(u64 region_base, u64 max_phys)
{
	struct pagetable pt;
	u64 size = image_size();
	int err;

	if (cpuid(0x80000001, 0).edx & BIT(20)) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		nx_bit = X86_PTE_NX;
	}
	identity_limit = ALIGN_UP(MAX(max_phys, 4 * GiB), GiB);

	err = pt_init(&pt, &host_format);
	if (!err)
		err = pt_map(&pt, 0, 0, identity_limit, PERM_R | PERM_W);
	/* The image is reachable only through its W^X higher-half mapping. */
	if (!err)
		err = pt_map(&pt, region_base, 0, size, 0);
	if (!err)
		err = map_image_part(&pt, _text_start, _text_end, region_base, PERM_R | PERM_X);
	if (!err)
		err = map_image_part(&pt, _rodata_start, _rodata_end, region_base, PERM_R);
	if (!err)
		err = map_image_part(&pt, _data_start, _data_end, region_base, PERM_R | PERM_W);
	if (err)
		return err;
	if (nx_bit)
		verify_wx(&pt);

	/* From here until the switch nothing may write Lamina's data. */
	image_virt_offset = KERNEL_VMA + LOAD_PHYS - region_base;
	relocate_image(region_base, LOAD_PHYS, size, virt_to_phys(pt.root));
	memset(phys_to_virt(LOAD_PHYS), 0, size);
	return 0;
}
