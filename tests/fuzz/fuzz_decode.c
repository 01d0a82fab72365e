/* libFuzzer target: the instruction decoder (arch/x86/decode.c) on any
 * bytes in every mode, and the emulator (arch/x86/emulate.c) on whatever
 * decodes.  Invariants: no crash or out-of-bounds read, a decoded length
 * within the buffer and the 15-byte limit, the same result from exactly
 * that many bytes (the decoder never looks further), the same result
 * through the decoded-instruction memo (arch/x86/insn_cache.c, which
 * lives across inputs here, as across exits in Lamina), device accesses
 * of the decoded size only, and RFLAGS changed in its arithmetic bits
 * only. */
#include <stdlib.h>
#include <string.h>

#include "arch/x86/emulate.h"
#include "arch/x86/insn_cache.h"

static unsigned want_size;

static u64 dev_read(void *ctx, u64 addr, unsigned size)
{
	(void)ctx;
	if (size != want_size || addr != 0x1000)
		abort();
	return 0x8899aabbccddeeffull;
}

static void dev_write(void *ctx, u64 addr, unsigned size, u64 v)
{
	(void)ctx;
	if (size != want_size || addr != 0x1000 || (size < 8 && v >> (8 * size)))
		abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const enum decode_mode modes[] = { DECODE_16, DECODE_32, DECODE_64 };

	for (unsigned m = 0; m < 3; m++) {
		static struct insn_cache memo;
		struct decoded_insn a, b, c;
		int rc = x86_decode(data, size, modes[m], &a);
		bool hit;

		/* A few addresses, so inputs meet in the memo's slots. */
		if (insn_decode_cached(&memo, size ? data[0] & 3 : 0, data, size, modes[m], &c,
				       &hit) != rc || (!rc && memcmp(&a, &c, sizeof(a))))
			abort();

		if (a.len > size || a.len > X86_MAX_INSN_LEN)
			abort();
		if (rc != 0) {
			if (a.op != DECODE_UNSUPPORTED)
				abort();
			continue;
		}
		if (a.op == DECODE_UNSUPPORTED || a.len == 0 || !a.size || a.size > 8)
			abort();
		u8 *exact = malloc(a.len);

		memcpy(exact, data, a.len);
		if (x86_decode(exact, a.len, modes[m], &b) || memcmp(&a, &b, sizeof(a)))
			abort();
		free(exact);

		struct guest_regs r = { .rflags = 0x202 };
		const struct emul_dev dev = { dev_read, dev_write, NULL };

		memcpy(&r, data, size < 8 * 16 ? size : 8 * 16); /* the 16 GPRs */
		want_size = a.size;
		emulate_access(&r, &a, 0x1000, &dev);
		if ((r.rflags & ~0x8d5ull) != 0x202)
			abort();
	}
	return 0;
}
