/* E820 map editing (pure logic, unit-tested on the host). */
#include "arch/x86/e820.h"

static void put(struct mem_range *out, unsigned *n, unsigned max, u64 base, u64 size, u32 type)
{
	if (!size)
		return;
	if (*n < max)
		out[*n] = (struct mem_range){ base, size, type };
	(*n)++;
}

unsigned e820_set_range(const struct mem_range *in, unsigned n, struct mem_range *out,
			unsigned max, u64 base, u64 size, u32 type)
{
	u64 rb = base, re = base + size;
	bool added = false;
	unsigned cnt = 0;

	for (unsigned i = 0; i < n; i++) {
		u64 b = in[i].base, e = b + in[i].size;
		u32 t = in[i].type;

		if (!ranges_overlap(b, e - b, rb, re - rb)) {
			if (b >= re && !added) {
				put(out, &cnt, max, rb, re - rb, type);
				added = true;
			}
			put(out, &cnt, max, b, e - b, t);
			continue;
		}
		put(out, &cnt, max, b, rb > b ? rb - b : 0, t);
		if (!added)
			put(out, &cnt, max, rb, re - rb, type);
		added = true;
		put(out, &cnt, max, re, e > re ? e - re : 0, t);
	}
	if (!added)
		put(out, &cnt, max, rb, re - rb, type);
	return cnt;
}
