/* The decoder's test vectors (decode_vectors.h) as one table, for the
 * tests of the decoder and of its memo. */
#ifndef TESTS_UNIT_DECODE_TABLE_H
#define TESTS_UNIT_DECODE_TABLE_H

#include "arch/x86/decode.h"

struct vector {
	const char *text;
	enum decode_mode mode;
	u8 bytes[X86_MAX_INSN_LEN];
	unsigned len;
	struct decoded_insn want;
};

static const struct vector vectors[] = {
#include "tests/unit/decode_vectors.h"
};

#endif
