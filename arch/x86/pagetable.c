#include "arch/x86/pagetable.h"
#include "core/mem.h"

#define ENOMEM 12

static u64 *entry_table(u64 e)
{
	return phys_to_virt(e & PT_ADDR_MASK);
}

static bool is_leaf(u64 e, unsigned level)
{
	return level == 0 || (e & PTE_PS);
}

int pt_init(struct pagetable *pt, const struct pt_format *fmt)
{
	pt->fmt = fmt;
	pt->root = page_alloc(1);
	return pt->root ? 0 : -ENOMEM;
}

static void free_table(u64 *table, unsigned level)
{
	for (int i = 0; level > 1 && i < 512; i++)
		if (table[i] && !(table[i] & PTE_PS))
			free_table(entry_table(table[i]), level - 1);
	page_free(table, 1);
}

/* Replaces a large leaf by a table of the same translation one level down. */
static int split_leaf(const struct pt_format *fmt, u64 *slot, unsigned level)
{
	u64 *table = page_alloc(1);
	u64 base = *slot & PT_ADDR_MASK & ~(pt_level_size(level) - 1);
	unsigned perms = fmt->perms(*slot);

	if (!table)
		return -ENOMEM;
	for (u64 i = 0; i < 512; i++)
		table[i] = fmt->leaf(base + i * pt_level_size(level - 1), perms, level - 1);
	*slot = fmt->table(virt_to_phys(table));
	return 0;
}

static bool leaf_fits(const struct pt_format *fmt, u64 pa, unsigned level)
{
	return level == 0 || !fmt->leaf_fits || fmt->leaf_fits(pa, level);
}

static int map_one(struct pagetable *pt, u64 va, u64 pa, unsigned target, unsigned perms)
{
	const struct pt_format *fmt = pt->fmt;
	u64 *table = pt->root;

	for (unsigned level = 3; level > target; level--) {
		u64 *slot = &table[(va >> (12 + 9 * level)) & 511];

		if (!fmt->present(*slot)) {
			u64 *next;

			if (!perms)
				return 0; /* already unmapped */
			next = page_alloc(1);
			if (!next)
				return -ENOMEM;
			*slot = fmt->table(virt_to_phys(next));
		} else if (is_leaf(*slot, level)) {
			int err = split_leaf(fmt, slot, level);

			if (err)
				return err;
		}
		table = entry_table(*slot);
	}

	u64 *slot = &table[(va >> (12 + 9 * target)) & 511];

	if (target > 0 && fmt->present(*slot) && !is_leaf(*slot, target))
		free_table(entry_table(*slot), target);
	*slot = perms ? fmt->leaf(pa, perms, target) : 0;
	return 0;
}

int pt_map(struct pagetable *pt, u64 va, u64 pa, u64 size, unsigned perms)
{
	while (size) {
		unsigned level = pt->fmt->max_leaf_level;

		while (level > 0 && (!IS_ALIGNED(va | pa, pt_level_size(level)) ||
				     size < pt_level_size(level) ||
				     (perms && !leaf_fits(pt->fmt, pa, level))))
			level--;
		int err = map_one(pt, va, pa, level, perms);

		if (err)
			return err;
		va += pt_level_size(level);
		pa += pt_level_size(level);
		size -= pt_level_size(level);
	}
	return 0;
}

struct refresh {
	const struct pt_format *fmt;
	u64 budget, allocated;
	bool incomplete;
};

static void refresh_table(struct refresh *r, u64 *table, unsigned level)
{
	const struct pt_format *fmt = r->fmt;

	for (unsigned i = 0; i < 512; i++) {
		u64 *slot = &table[i], pa;

		if (!fmt->present(*slot))
			continue;
		if (!is_leaf(*slot, level)) {
			refresh_table(r, entry_table(*slot), level - 1);
			continue;
		}
		pa = *slot & PT_ADDR_MASK & ~(pt_level_size(level) - 1);
		if (!leaf_fits(fmt, pa, level)) {
			/* The new table's leaves are encoded afresh; some of
			 * them may need splitting in turn. */
			if (r->allocated < r->budget && split_leaf(fmt, slot, level) == 0) {
				r->allocated++;
				refresh_table(r, entry_table(*slot), level - 1);
				continue;
			}
			r->incomplete = true;
		}
		*slot = fmt->leaf(pa, fmt->perms(*slot), level);
	}
}

long pt_refresh(struct pagetable *pt, u64 budget)
{
	struct refresh r = { pt->fmt, budget, 0, false };

	refresh_table(&r, pt->root, 3);
	return r.incomplete ? -ENOMEM : (long)r.allocated;
}

u64 pt_lookup(const struct pagetable *pt, u64 va, unsigned *level_out)
{
	const u64 *table = pt->root;

	for (unsigned level = 3;; level--) {
		u64 e = table[(va >> (12 + 9 * level)) & 511];

		if (!pt->fmt->present(e))
			return 0;
		if (is_leaf(e, level)) {
			*level_out = level;
			return e;
		}
		table = entry_table(e);
	}
}

static void walk(const struct pagetable *pt, const u64 *table, unsigned level, u64 va,
		 void (*fn)(u64, u64, unsigned, void *), void *ctx)
{
	for (u64 i = 0; i < 512; i++) {
		u64 e = table[i], a = va + i * pt_level_size(level);

		if (level == 3 && i >= 256)
			a |= 0xffff000000000000ull; /* canonical upper half */
		if (!pt->fmt->present(e))
			continue;
		if (is_leaf(e, level))
			fn(a, e, level, ctx);
		else
			walk(pt, entry_table(e), level - 1, a, fn, ctx);
	}
}

void pt_for_each_leaf(const struct pagetable *pt,
		      void (*fn)(u64 va, u64 entry, unsigned level, void *ctx), void *ctx)
{
	walk(pt, pt->root, 3, 0, fn, ctx);
}
