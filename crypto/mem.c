/* SPDX-License-Identifier: MIT */
/* Lamina crypto: memory helpers, constant-time compare, secure wipe. */
#include "crypto/types.h"

void crypto_memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
}

void crypto_memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
}

void crypto_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
	/* The buffer escapes into an opaque asm: the stores must happen. */
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

int crypto_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint32_t diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (uint32_t)(x[i] ^ y[i]);
	/* Keep the compiler from turning the OR into an early exit. */
	__asm__ ("" : "+r"(diff));
	/* diff is 0..255: (diff - 1) >> 31 is 1 exactly when diff == 0. */
	return (int)((diff - 1) >> 31);
}
