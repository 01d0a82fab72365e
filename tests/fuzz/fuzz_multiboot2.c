/* libFuzzer target: the multiboot2 parser must reject or accept any byte
 * string without reading outside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	uint8_t *copy;

	if (size < 8)
		return 0;
	/* The loader's structure is 8-aligned; total_size bounds the parse,
	 * so make it describe exactly the fuzzer's bytes. */
	copy = aligned_alloc(8, (size + 7) & ~(size_t)7);
	memcpy(copy, data, size);
	*(uint32_t *)copy = (uint32_t)size;
	multiboot2_parse(0x36d76289u, (uint64_t)copy, &bi);
	free(copy);
	return 0;
}
