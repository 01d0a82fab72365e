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
	unsigned i = 0;

	while (i < INSN_CACHE_ENTRIES && c->rip[i] != rip)
		i++;
	if (i == INSN_CACHE_ENTRIES) {
		i = c->next;
		c->next = (c->next + 1) % INSN_CACHE_ENTRIES;
	}
	struct insn_cache_entry *e = &c->e[i];

	*hit = e->mode == mode && e->d.len <= len && same_bytes(e->bytes, buf, e->d.len);
	if (*hit) {
		*out = e->d;
		return 0;
	}
	if (x86_decode(buf, len, mode, out))
		return -1;
	for (unsigned k = 0; k < out->len; k++)
		e->bytes[k] = buf[k];
	e->d = *out;
	e->mode = mode;
	c->rip[i] = rip;
	return 0;
}
