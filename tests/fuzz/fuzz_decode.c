/* libFuzzer target: the instruction decoder (arch/x86/decode.c) on any
 * bytes in every mode.  Invariants: no crash or out-of-bounds read, a
 * decoded length within the buffer and the 15-byte limit, and the same
 * result from exactly that many bytes (the decoder never looks further). */
#include <stdlib.h>
#include <string.h>

#include "arch/x86/decode.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const enum decode_mode modes[] = { DECODE_16, DECODE_32, DECODE_64 };

	for (unsigned m = 0; m < 3; m++) {
		struct decoded_insn a, b;
		int rc = x86_decode(data, size, modes[m], &a);

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
	}
	return 0;
}
