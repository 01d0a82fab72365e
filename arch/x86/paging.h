/* Lamina's own address space and its move to the top of RAM. */
#ifndef ARCH_X86_PAGING_H
#define ARCH_X86_PAGING_H

#include "core/types.h"

#define KERNEL_VMA 0xffffffff80000000ull
#define LOAD_PHYS 0x200000ull

/* Size of the loaded image (code, data, bss), page aligned. */
u64 image_size(void);
/* Builds page tables for running from region_base and switches to them,
 * copying the image there; zeroes the original copy.  The heap allocator
 * must already serve the region.  Returns 0 or -errno. */
int paging_relocate(u64 region_base, u64 max_phys);
/* Identity map limit: physical memory Lamina can reach. */
u64 paging_identity_limit(void);

/* Assembly helper: copy the image and switch CR3 with no stack writes. */
void relocate_image(u64 dst, u64 src, u64 len, u64 cr3);

#endif
