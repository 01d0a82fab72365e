/* The guest's view of physical memory: the firmware's E820 map with ranges
 * Lamina takes for itself marked reserved.  Shared by the direct Linux
 * boot (boot_params) and the chain boot (the INT 15h E820 hook). */
#ifndef ARCH_X86_E820_H
#define ARCH_X86_E820_H

#include "boot/bootinfo.h"

/* Copies the map `in` (n entries, sorted by base) to `out` with
 * [base, base + size) cut out of every entry it overlaps and inserted as
 * one entry of `type` in address order.  Entries of size 0 are dropped.
 * Writes at most `max` entries and returns how many the result has (more
 * than `max` when it did not fit). */
unsigned e820_set_range(const struct mem_range *in, unsigned n, struct mem_range *out,
			unsigned max, u64 base, u64 size, u32 type);

#endif
