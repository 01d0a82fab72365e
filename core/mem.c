#include "core/mem.h"
#include "core/log.h"
#include "core/spinlock.h"
#include "core/string.h"

#define MAX_HEAP_PAGES (1 * GiB / PAGE_SIZE)

struct hv_region hv_region;

static u64 heap_start;
static u64 heap_pages;
static u64 free_pages;
static u64 used_bitmap[MAX_HEAP_PAGES / 64];
static spinlock_t heap_lock;

static bool page_used(u64 i)
{
	return used_bitmap[i / 64] & BIT(i % 64);
}

static void mark_pages(u64 first, u64 count, bool used)
{
	for (u64 i = first; i < first + count; i++) {
		if (used)
			used_bitmap[i / 64] |= BIT(i % 64);
		else
			used_bitmap[i / 64] &= ~BIT(i % 64);
	}
}

void page_alloc_init(u64 start, u64 end)
{
	heap_start = start;
	heap_pages = MIN((end - start) / PAGE_SIZE, (u64)MAX_HEAP_PAGES);
	free_pages = heap_pages;
	memset(used_bitmap, 0, sizeof(used_bitmap));
}

void *page_alloc(size_t count)
{
	void *p = NULL;

	spin_lock(&heap_lock);
	for (u64 first = 0, run = 0, i = 0; count && i < heap_pages; i++) {
		if (page_used(i)) {
			run = 0;
			continue;
		}
		if (run++ == 0)
			first = i;
		if (run == count) {
			mark_pages(first, count, true);
			free_pages -= count;
			p = phys_to_virt(heap_start + first * PAGE_SIZE);
			break;
		}
	}
	spin_unlock(&heap_lock);
	if (p)
		memset(p, 0, count * PAGE_SIZE);
	return p;
}

void page_free(void *p, size_t count)
{
	u64 first = (virt_to_phys(p) - heap_start) / PAGE_SIZE;

	spin_lock(&heap_lock);
	mark_pages(first, count, false);
	free_pages += count;
	spin_unlock(&heap_lock);
}

u64 page_alloc_free_pages(void)
{
	return free_pages;
}
