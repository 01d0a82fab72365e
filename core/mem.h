/* Lamina's own memory: a page allocator over the heap part of its region.
 * Heap pages are identity-mapped, so a heap pointer is its physical address. */
#ifndef CORE_MEM_H
#define CORE_MEM_H

#include "core/types.h"

void page_alloc_init(u64 start, u64 end);
/* Returns `count` zeroed, physically contiguous pages, or NULL. */
void *page_alloc(size_t count);
void page_free(void *p, size_t count);
u64 page_alloc_free_pages(void);

/* Lamina's region: [base, base + size), hidden from the guest. */
struct hv_region {
	u64 base;
	u64 size;
	u64 image_size; /* the image occupies the start of the region */
};
extern struct hv_region hv_region;

static inline bool in_hv_region(u64 pa)
{
	return pa - hv_region.base < hv_region.size;
}

/* Physical address of any Lamina object: image (higher half) or heap. */
u64 virt_to_phys(const void *p);
static inline void *phys_to_virt(u64 pa)
{
	return (void *)pa;
}

#endif
