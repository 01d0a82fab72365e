/* The decoded-instruction memo (see insn_cache.h). */
#include "arch/x86/insn_cache.h"

static bool same_bytes(const u8 *a, const u8 *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

int insn_decode_cached(struct insn_cache *c, u64 rip, const u8 *buf, size_t len,
		       enum decode_mode mode, struct decoded_insn *out, bool *hit)
{
	/* (Fibonacci hashing: nearby instructions spread over the slots.) */
	struct insn_cache_entry *e = &c->e[(rip * 0x9e3779b97f4a7c15ull) >> (64 - INSN_CACHE_BITS)];

	*hit = e->mode == mode && e->d.len <= len && same_bytes(e->bytes, buf, e->d.len);
	if (*hit) {
		*out = e->d;
		return 0;
	}
	if (x86_decode(buf, len, mode, out))
		return -1;
	for (unsigned i = 0; i < out->len; i++)
		e->bytes[i] = buf[i];
	e->d = *out;
	e->mode = mode;
	return 0;
}
