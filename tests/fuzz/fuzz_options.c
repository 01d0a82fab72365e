/* libFuzzer target: any command line is parsed or rejected, never crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct options o;
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	options_parse(s, &o);
	free(s);
	return 0;
}
