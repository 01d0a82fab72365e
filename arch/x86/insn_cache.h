/*
 * A small memo of decoded instructions, one per vCPU, so a driver's
 * register accesses (the same few instructions again and again) are not
 * decoded anew on every trap.  It is keyed by nothing the guest could make
 * stale: an entry holds the exact bytes it was decoded from and the code
 * mode, and it is used only when the bytes just copied from the guest
 * begin with those same bytes in the same mode.  Decoding reads its input
 * front to back and stops at the instruction's end, so the same bytes in
 * the same mode decode to the same result: a hit is the decoder's own
 * answer, whatever the guest changed in its memory or page tables (the
 * instruction is still fetched through the guest's tables every time).
 * Pure logic, unit-tested on the host.
 */
#ifndef ARCH_X86_INSN_CACHE_H
#define ARCH_X86_INSN_CACHE_H

#include "arch/x86/decode.h"

#define INSN_CACHE_ENTRIES 16

struct insn_cache_entry {
	u8 bytes[X86_MAX_INSN_LEN]; /* the first d.len are the instruction */
	u8 mode;                    /* enum decode_mode; 0: empty */
	struct decoded_insn d;
};

struct insn_cache {
	u64 rip[INSN_CACHE_ENTRIES]; /* where each entry was last decoded (a hint) */
	struct insn_cache_entry e[INSN_CACHE_ENTRIES];
	unsigned next;               /* the entry a miss replaces (round robin) */
};

/* x86_decode() with the memo: the same result for the same arguments.
 * rip only says which entry to try.  *hit says whether the memo answered. */
int insn_decode_cached(struct insn_cache *c, u64 rip, const u8 *buf, size_t len,
		       enum decode_mode mode, struct decoded_insn *out, bool *hit);

#endif
