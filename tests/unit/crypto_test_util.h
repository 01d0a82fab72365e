/* Shared helpers for the crypto unit tests (host only). */
#ifndef LAMINA_CRYPTO_TEST_UTIL_H
#define LAMINA_CRYPTO_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* Decode hex (whitespace ignored) into a malloc'd buffer; *len gets size. */
static inline uint8_t *unhex(const char *s, size_t *len)
{
	size_t n = strlen(s), i = 0;
	uint8_t *out = malloc(n / 2 + 1);
	int hi = -1;

	assert_non_null(out);
	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[i++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	if (len)
		*len = i;
	return out;
}

/* Deterministic xorshift PRNG so failures are reproducible. */
static inline uint64_t test_rand64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static inline void test_fill(uint64_t *s, uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)test_rand64(s);
}

#endif
