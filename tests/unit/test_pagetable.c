/* arch/x86/pagetable.c: the radix tables behind Lamina's address space,
 * NPT and EPT, exercised with a plain x86 entry format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/pagetable.h"
#include "tests/unit/hv_host.h"

#define ENOMEM_VALUE 12

static u64 t_table(u64 pa) { return pa | 3; }
static u64 t_leaf(u64 pa, unsigned perms, unsigned level)
{
	return pa | 1 | (perms & PERM_W ? 2 : 0) | (perms & PERM_X ? 0 : BIT(63)) |
	       (level ? PTE_PS : 0);
}
static bool t_present(u64 e) { return e & 1; }
static unsigned t_perms(u64 e)
{
	return PERM_R | (e & 2 ? PERM_W : 0) | (e & BIT(63) ? 0 : PERM_X);
}

static struct pt_format fmt = { t_table, t_leaf, t_present, t_perms, 2, NULL };

static u64 translate(struct pagetable *pt, u64 va, unsigned *perms)
{
	unsigned level;
	u64 e = pt_lookup(pt, va, &level);

	if (!e)
		return ~0ull;
	*perms = t_perms(e);
	return (e & PT_ADDR_MASK & ~(pt_level_size(level) - 1)) + (va & (pt_level_size(level) - 1));
}

static void identity_uses_large_pages(void **state)
{
	struct pagetable pt;
	unsigned level, perms;

	(void)state;
	hv_pages_allocated = 0;
	assert_int_equal(pt_init(&pt, &fmt), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 4ull << 30, PERM_RWX), 0);
	assert_int_equal(hv_pages_allocated, 2); /* root + one PDPT of 1G leaves */
	assert_true(pt_lookup(&pt, 0x12345678, &level) != 0);
	assert_int_equal(level, 2);
	assert_int_equal(translate(&pt, 0xfee00010, &perms), 0xfee00010);
	assert_int_equal(perms, PERM_RWX);
}

static void hole_splits_down_to_4k(void **state)
{
	struct pagetable pt;
	unsigned level, perms;
	const u64 hole = 0x3de00000, size = 32 << 20;

	(void)state;
	fmt.max_leaf_level = 1;
	assert_int_equal(pt_init(&pt, &fmt), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 1ull << 30, PERM_RWX), 0);
	assert_int_equal(pt_map(&pt, hole, 0, size, 0), 0);
	assert_int_equal(pt_lookup(&pt, hole, &level), 0);
	assert_int_equal(pt_lookup(&pt, hole + size - 1, &level), 0);
	assert_int_equal(translate(&pt, hole - 1, &perms), hole - 1);
	assert_int_equal(translate(&pt, hole + size, &perms), hole + size);

	/* One 4 KiB page inside the hole, remapped read-only elsewhere. */
	assert_int_equal(pt_map(&pt, hole + 0x5000, 0x7000, 0x1000, PERM_R), 0);
	assert_int_equal(translate(&pt, hole + 0x5123, &perms), 0x7123);
	assert_int_equal(perms, PERM_R);
	assert_true(pt_lookup(&pt, hole + 0x5000, &level) != 0);
	assert_int_equal(level, 0);
	assert_int_equal(pt_lookup(&pt, hole + 0x4000, &level), 0);
	assert_int_equal(pt_lookup(&pt, hole + 0x6000, &level), 0);
	fmt.max_leaf_level = 2;
}

static void split_keeps_neighbours(void **state)
{
	struct pagetable pt;
	unsigned perms;

	(void)state;
	assert_int_equal(pt_init(&pt, &fmt), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 1ull << 30, PERM_R | PERM_W), 0);
	assert_int_equal(pt_map(&pt, 0x200000, 0, 0x1000, 0), 0);
	for (u64 va = 0; va < (1ull << 30); va += 0x1ff000) {
		u64 pa = translate(&pt, va, &perms);

		if (va >= 0x200000 && va < 0x201000) {
			assert_int_equal(pa, ~0ull);
			continue;
		}
		assert_int_equal(pa, va);
		assert_int_equal(perms, PERM_R | PERM_W);
	}
}

static void large_map_over_split_frees_tables(void **state)
{
	struct pagetable pt;
	size_t before;
	unsigned level;

	(void)state;
	fmt.max_leaf_level = 1;
	assert_int_equal(pt_init(&pt, &fmt), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 0x400000, PERM_RWX), 0);
	before = hv_pages_allocated;
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, 0x1000, PERM_R), 0);
	assert_int_equal(hv_pages_allocated, before + 1);
	assert_int_equal(pt_map(&pt, 0, 0, 0x200000, PERM_RWX), 0);
	assert_int_equal(hv_pages_allocated, before);
	assert_true(pt_lookup(&pt, 0x1000, &level) != 0);
	assert_int_equal(level, 1);
	fmt.max_leaf_level = 2;
}

struct census {
	unsigned leaves[3];
	u64 last_va;
	bool ordered;
};

static void count_leaf(u64 va, u64 e, unsigned level, void *ctx)
{
	struct census *c = ctx;

	(void)e;
	c->ordered &= c->leaves[0] + c->leaves[1] + c->leaves[2] == 0 || va > c->last_va;
	c->last_va = va;
	c->leaves[level]++;
}

static void walk_visits_every_leaf_in_order(void **state)
{
	struct pagetable pt;
	struct census c = { .ordered = true };

	(void)state;
	fmt.max_leaf_level = 1;
	assert_int_equal(pt_init(&pt, &fmt), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 8 << 20, PERM_RWX), 0);     /* 4 x 2M */
	assert_int_equal(pt_map(&pt, 0x201000, 0, 0x1000, 0), 0);       /* split one */
	assert_int_equal(pt_map(&pt, 0xffffffff80200000ull, 0x1000, 0x2000, PERM_R), 0);
	pt_for_each_leaf(&pt, count_leaf, &c);
	assert_int_equal(c.leaves[1], 3);
	assert_int_equal(c.leaves[0], 511 + 2);
	assert_int_equal(c.last_va, 0xffffffff80201000ull);
	assert_true(c.ordered);
	fmt.max_leaf_level = 2;
}

/* A format whose leaves carry a "type" like EPT's memory type: addresses
 * below `boundary` have type 0, the others type 1 (bit 52); a leaf that
 * would straddle the boundary does not fit, and if kept whole anyway is
 * marked mixed (bit 53). */
static u64 boundary;

static bool straddles(u64 pa, unsigned level)
{
	return pa < boundary && boundary < pa + pt_level_size(level);
}

static bool typed_fits(u64 pa, unsigned level)
{
	return !straddles(pa, level);
}

static u64 typed_leaf(u64 pa, unsigned perms, unsigned level)
{
	return t_leaf(pa, perms, level) | (pa >= boundary ? BIT(52) : 0) |
	       (straddles(pa, level) ? BIT(53) : 0);
}

static struct pt_format typed = { t_table, typed_leaf, t_present, t_perms, 2, typed_fits };

static u64 leaf_at(struct pagetable *pt, u64 va, unsigned *level)
{
	u64 e = pt_lookup(pt, va, level);

	assert_true(e != 0);
	return e;
}

static void mixed_ranges_get_small_leaves(void **state)
{
	struct pagetable pt;
	unsigned level;

	(void)state;
	boundary = 0x1234000;
	assert_int_equal(pt_init(&pt, &typed), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 2ull << 30, PERM_RWX), 0);
	assert_false(leaf_at(&pt, 0x1233000, &level) & BIT(52));
	assert_int_equal(level, 0);
	assert_true(leaf_at(&pt, 0x1234000, &level) & BIT(52));
	assert_int_equal(level, 0);
	assert_false(leaf_at(&pt, 0x1000000, &level) & BIT(52));
	assert_int_equal(level, 1);
	assert_true(leaf_at(&pt, 0x1400000, &level) & BIT(52));
	assert_int_equal(level, 1);
	assert_true(leaf_at(&pt, 0x40000000, &level) & BIT(52));
	assert_int_equal(level, 2);
	/* Unmapping ignores types; remapping a page types it afresh. */
	assert_int_equal(pt_map(&pt, 0x1234000, 0, 0x1000, 0), 0);
	assert_int_equal(pt_map(&pt, 0x1234000, 0x1234000, 0x1000, PERM_R), 0);
	assert_true(leaf_at(&pt, 0x1234000, &level) & BIT(52));
}

static void refresh_retypes_and_splits(void **state)
{
	struct pagetable pt;
	unsigned level, perms;
	size_t before;

	(void)state;
	boundary = 0x1234000;
	assert_int_equal(pt_init(&pt, &typed), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 2ull << 30, PERM_RWX), 0);
	assert_int_equal(pt_map(&pt, 0x5000, 0x9000, 0x1000, PERM_R), 0);
	boundary = 0x40005000; /* inside the 1 GiB leaf at 1 GiB */
	before = hv_pages_allocated;
	assert_int_equal(pt_refresh(&pt, 10), 2); /* the 1 GiB and one 2 MiB leaf */
	assert_int_equal(hv_pages_allocated, before + 2);
	assert_false(leaf_at(&pt, 0x40004000, &level) & BIT(52));
	assert_int_equal(level, 0);
	assert_true(leaf_at(&pt, 0x40005000, &level) & BIT(52));
	assert_false(leaf_at(&pt, 0x40000000, &level) & BIT(53));
	assert_true(leaf_at(&pt, 0x40200000, &level) & BIT(52));
	assert_int_equal(level, 1);
	/* Below the boundary now: type 0, the old small leaves stay. */
	assert_false(leaf_at(&pt, 0x1234000, &level) & BIT(52));
	assert_int_equal(level, 0);
	assert_false(leaf_at(&pt, 0x1400000, &level) & BIT(52));
	/* Translations and permissions are kept. */
	assert_int_equal(translate(&pt, 0x5123, &perms), 0x9123);
	assert_int_equal(perms, PERM_R);
	assert_int_equal(translate(&pt, 0x7fffffff, &perms), 0x7fffffff);
	assert_int_equal(perms, PERM_RWX);
}

static void refresh_over_budget_keeps_the_leaf_whole(void **state)
{
	struct pagetable pt;
	unsigned level;

	(void)state;
	boundary = ~0ull;
	assert_int_equal(pt_init(&pt, &typed), 0);
	assert_int_equal(pt_map(&pt, 0, 0, 1ull << 30, PERM_RWX), 0);
	boundary = 0x3000;
	assert_int_equal(pt_refresh(&pt, 1), -ENOMEM_VALUE); /* needs 2 */
	assert_true(leaf_at(&pt, 0x3000, &level) & BIT(53));  /* the 2 MiB leaf */
	assert_int_equal(level, 1);
	assert_int_equal(pt_refresh(&pt, 1), 1);
	assert_false(leaf_at(&pt, 0x2000, &level) & (BIT(52) | BIT(53)));
	assert_int_equal(level, 0);
	assert_true(leaf_at(&pt, 0x3000, &level) & BIT(52));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identity_uses_large_pages),
		cmocka_unit_test(hole_splits_down_to_4k),
		cmocka_unit_test(mixed_ranges_get_small_leaves),
		cmocka_unit_test(refresh_retypes_and_splits),
		cmocka_unit_test(refresh_over_budget_keeps_the_leaf_whole),
		cmocka_unit_test(split_keeps_neighbours),
		cmocka_unit_test(large_map_over_split_frees_tables),
		cmocka_unit_test(walk_visits_every_leaf_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
