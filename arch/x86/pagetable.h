/*
 * 4-level x86-64 radix page tables, shared by Lamina's own address space,
 * AMD nested page tables and Intel EPT: only the entry encoding differs,
 * and that lives in a small pt_format.
 */
#ifndef ARCH_X86_PAGETABLE_H
#define ARCH_X86_PAGETABLE_H

#include "core/types.h"

enum { PERM_R = 1, PERM_W = 2, PERM_X = 4, PERM_RWX = 7 };

/* level 0 = 4 KiB page, 1 = 2 MiB, 2 = 1 GiB, 3 = the root table */
static inline u64 pt_level_size(unsigned level)
{
	return 1ull << (12 + 9 * level);
}

struct pt_format {
	u64 (*table)(u64 pa);
	u64 (*leaf)(u64 pa, unsigned perms, unsigned level);
	bool (*present)(u64 e);
	unsigned (*perms)(u64 e);
	unsigned max_leaf_level; /* 1 or 2 (1 GiB pages need CPU support) */
	/* Optional: whether [pa, pa + pt_level_size(level)) may be one leaf
	 * (EPT: all of it has one memory type); NULL means always. */
	bool (*leaf_fits)(u64 pa, unsigned level);
};

#define PT_ADDR_MASK 0x000ffffffffff000ull
#define PTE_PS BIT(7)

/* The x86-64 entry format, used by Lamina's own tables and by AMD NPT. */
#define X86_PTE_P BIT(0)
#define X86_PTE_W BIT(1)
#define X86_PTE_US BIT(2)
#define X86_PTE_NX BIT(63)

/* `flags` go into every entry (US for NPT); `nx` is X86_PTE_NX or 0 when
 * the CPU cannot forbid execution. */
static inline u64 x86_pte_leaf(u64 pa, unsigned perms, unsigned level, u64 flags, u64 nx)
{
	return pa | X86_PTE_P | flags | (perms & PERM_W ? X86_PTE_W : 0) |
	       (perms & PERM_X ? 0 : nx) | (level ? PTE_PS : 0);
}

static inline unsigned x86_pte_perms(u64 e, u64 nx)
{
	return PERM_R | (e & X86_PTE_W ? PERM_W : 0) | (e & nx ? 0 : PERM_X);
}

static inline bool x86_pte_present(u64 e)
{
	return e & X86_PTE_P;
}

struct pagetable {
	u64 *root;
	const struct pt_format *fmt;
};

int pt_init(struct pagetable *pt, const struct pt_format *fmt);
/* Maps [va, va+size) to [pa, pa+size) with the largest pages that fit;
 * perms == 0 unmaps.  Splits large pages as needed.  0 or -ENOMEM. */
int pt_map(struct pagetable *pt, u64 va, u64 pa, u64 size, unsigned perms);
/* Re-encodes every present leaf with fmt->leaf (after what it encodes
 * beyond address and permissions changed, e.g. memory types), splitting
 * leaves that no longer fit (fmt->leaf_fits) while at most `budget` new
 * tables are needed; a leaf left whole is encoded as fmt->leaf decides
 * for its whole range.  Returns the tables allocated, or -ENOMEM when a
 * split was left undone. */
long pt_refresh(struct pagetable *pt, u64 budget);
/* Calls fn(va, entry, level, ctx) for every present leaf, in address order. */
void pt_for_each_leaf(const struct pagetable *pt,
		      void (*fn)(u64 va, u64 entry, unsigned level, void *ctx), void *ctx);
/* Returns the leaf entry for va (0 when unmapped) and its level. */
u64 pt_lookup(const struct pagetable *pt, u64 va, unsigned *level);

#endif
