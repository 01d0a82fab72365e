#include "core/string.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	void *ret = dst;
	size_t words = n / 8, tail = n % 8;

	/* Whole words, then the bytes left: emulators (QEMU's TCG) run a
	 * string instruction one element at a time. */
	asm volatile("rep movsq\n\tmov %3, %%rcx\n\trep movsb"
		     : "+D"(dst), "+S"(src), "+c"(words) : "r"(tail) : "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	/* Overlapping with dst above src: copy backwards. */
	d += n - 1;
	s += n - 1;
	asm volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	size_t words = n / 8, tail = n % 8;
	u64 pattern = 0x0101010101010101ull * (u8)c;

	/* Whole words, then the bytes left (as memcpy, for emulators). */
	asm volatile("rep stosq\n\tmov %2, %%rcx\n\trep stosb"
		     : "+D"(dst), "+c"(words) : "r"(tail), "a"(pattern) : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (u8)a[i] - (u8)b[i];
		if (!a[i])
			break;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, SIZE_MAX);
}

const char *memmem_find(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	const char *h = hay;

	if (nlen == 0 || nlen > hlen)
		return NULL;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (!memcmp(h + i, needle, nlen))
			return h + i;
	return NULL;
}
