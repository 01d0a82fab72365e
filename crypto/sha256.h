/* SPDX-License-Identifier: MIT */
/* Lamina crypto: SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104),
 * PBKDF2-HMAC-SHA256 (RFC 8018).  Portable C, general registers only. */
#ifndef LAMINA_CRYPTO_SHA256_H
#define LAMINA_CRYPTO_SHA256_H

#include "crypto/types.h"

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE  64

struct sha256_ctx {
	uint32_t h[8];
	uint64_t total;                  /* bytes hashed so far */
	uint8_t buf[SHA256_BLOCK_SIZE];
	unsigned int fill;               /* bytes pending in buf */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);

struct hmac_sha256_ctx {
	struct sha256_ctx inner, outer;
};

void hmac_sha256_init(struct hmac_sha256_ctx *c, const void *key, size_t keylen);
void hmac_sha256_update(struct hmac_sha256_ctx *c, const void *data, size_t len);
void hmac_sha256_final(struct hmac_sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE]);
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		 uint8_t out[SHA256_DIGEST_SIZE]);

/* PBKDF2-HMAC-SHA256; iterations >= 1, returns CRYPTO_EINVAL otherwise. */
int pbkdf2_hmac_sha256(const void *pass, size_t passlen, const void *salt,
		       size_t saltlen, uint32_t iterations, uint8_t *out, size_t outlen);

#endif /* LAMINA_CRYPTO_SHA256_H */
