/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: basic types and memory helpers.
 *
 * Everything under crypto/ is freestanding: it includes only <stdint.h> and
 * <stddef.h> (both provided by the compiler, not by libc) and this header, so
 * the same sources build into the hypervisor and into host tools and tests.
 */
#ifndef LAMINA_CRYPTO_TYPES_H
#define LAMINA_CRYPTO_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Error codes: 0 on success, negative errno-style values on failure. */
#define CRYPTO_OK        0
#define CRYPTO_EIO      (-5)    /* hardware RNG gave no data after retries */
#define CRYPTO_EINVAL   (-22)   /* bad length, key size or argument */
#define CRYPTO_ENOTSUP  (-95)   /* code path or instruction not available */

#define CRYPTO_ALIGN(n) __attribute__((aligned(n)))

/* Copy/fill helpers (byte loops; never call libc). */
void crypto_memcpy(void *dst, const void *src, size_t n);
void crypto_memset(void *dst, int c, size_t n);

/*
 * Secure wipe: zeroes n bytes through volatile stores followed by a
 * compiler barrier, so the stores survive dead-store elimination.
 */
void crypto_wipe(void *p, size_t n);

/*
 * Constant-time comparison: returns 1 when the n bytes are equal, else 0.
 * The running time depends only on n, never on the contents.
 */
int crypto_ct_equal(const void *a, const void *b, size_t n);

static inline uint32_t crypto_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void crypto_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t crypto_load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void crypto_store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint64_t crypto_load_le64(const uint8_t *p)
{
	return (uint64_t)crypto_load_le32(p) |
	       (uint64_t)crypto_load_le32(p + 4) << 32;
}

static inline void crypto_store_le64(uint8_t *p, uint64_t v)
{
	crypto_store_le32(p, (uint32_t)v);
	crypto_store_le32(p + 4, (uint32_t)(v >> 32));
}

#endif /* LAMINA_CRYPTO_TYPES_H */
