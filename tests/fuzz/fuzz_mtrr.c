/*
 * libFuzzer target: MTRR layouts built from guest writes.  The guest's
 * WRMSRs to the MTRRs reach the CPU when mtrr_write_valid takes them and
 * then decide the EPT memory types, so any sequence of writes (and, with
 * flag bit 0, raw register contents the validation would refuse) must
 * give every page one type, agree between a block and its halves, and
 * describe itself in bounded time and space.
 *
 * Input: flags, VCNT, the capability bits (FIX, WC), the address width,
 * then 9-byte writes: an index into the CPU's MTRR list and the value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/mtrr.h"

static u64 read_u64(const uint8_t *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

static void check_block(const struct mtrr_state *s, u64 addr, unsigned order)
{
	u64 size = 1ull << order;
	u8 t = mtrr_type(s, addr, size, NULL);

	if (t != MTRR_MIXED && t != MTRR_UC && t != MTRR_WC && t != MTRR_WT && t != MTRR_WP &&
	    t != MTRR_WB)
		abort();
	if (order == 12 && t == MTRR_MIXED)
		abort(); /* a page always has one type */
	if (order > 12 && t != MTRR_MIXED &&
	    (mtrr_type(s, addr, size / 2, NULL) != t ||
	     mtrr_type(s, addr + size / 2, size / 2, NULL) != t))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtrr_state s = { 0 };
	u32 list[MTRR_MSRS_MAX];
	unsigned n;
	char buf[300];
	bool raw;

	if (size < 4)
		return 0;
	raw = data[0] & 1;
	s.cap = data[1] | (u64)(data[2] & 0x05) << 8;
	s.phys_bits = data[3];
	n = mtrr_msr_list(&s, list);
	for (size_t off = 4; off + 9 <= size; off += 9) {
		u32 msr = list[data[off] % n];
		u64 value = read_u64(data + off + 1);

		if (raw || mtrr_write_valid(&s, msr, value))
			mtrr_set(&s, msr, value);
	}
	if (mtrr_describe(&s, buf, sizeof(buf), NULL) && !memchr(buf, 0, sizeof(buf)))
		abort();
	if (!mtrr_same_layout(&s, &s))
		abort();
	/* Blocks at addresses the input picks, of every size. */
	for (unsigned order = 12; order <= 40; order += 4) {
		u64 addr = size >= 12 ? read_u64(data + size - 8) : 0;

		check_block(&s, addr & ~((1ull << order) - 1) & ((1ull << 52) - 1), order);
	}
	for (u64 addr = 0x80000; addr < 0x110000; addr += 0x3000)
		check_block(&s, addr & ~0xfffull, 12);
	return 0;
}
