/* Pure decisions of the chain boot (unit-tested on the host). */
#include "arch/x86/chain.h"

unsigned chain_drive_list(u16 drive, u32 boot_drive, unsigned nr_hard_disks, u8 *out,
			  unsigned max)
{
	unsigned n = 0;

	if (drive != OPT_CHAIN_DRIVE_AUTO) {
		if (max)
			out[n++] = drive;
		return n;
	}
	for (unsigned d = 0x80; d < 0x80 + MIN(nr_hard_disks, 0x7fu) && n < max; d++)
		if (d != boot_drive)
			out[n++] = d;
	return n;
}

struct chain_mem_limits chain_mem_limits(u64 hidden_base)
{
	struct chain_mem_limits l = { 0, 0, 0 };

	if (hidden_base > 1 * MiB) {
		l.e801_ax = MIN((hidden_base - 1 * MiB) / KiB, 15 * 1024ull);
		l.ext88 = MIN((hidden_base - 1 * MiB) / KiB, 0xffffull);
	}
	if (hidden_base > 16 * MiB)
		l.e801_bx = MIN((hidden_base - 16 * MiB) >> 16, 0xffffull);
	return l;
}
