/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: AES key schedule and the portable constant-time block
 * cipher (FIPS-197).  The schedule layout is shared by every code path:
 * ek[] holds the encryption round keys as bytes in FIPS order, dk[] the
 * round keys of the equivalent inverse cipher (reversed, InvMixColumns
 * applied to the inner ones) as AES-NI's AESDEC expects them.
 */
#ifndef LAMINA_CRYPTO_AES_H
#define LAMINA_CRYPTO_AES_H

#include "crypto/types.h"

#define AES_BLOCK_SIZE 16
#define AES_MAX_ROUNDS 14

struct aes_key {
	uint8_t ek[(AES_MAX_ROUNDS + 1) * 16] CRYPTO_ALIGN(64);
	uint8_t dk[(AES_MAX_ROUNDS + 1) * 16] CRYPTO_ALIGN(64);
	unsigned int rounds;                     /* 10 or 14 */
};

/* keylen 16 (AES-128) or 32 (AES-256); returns CRYPTO_EINVAL otherwise. */
int aes_setkey(struct aes_key *k, const uint8_t *key, size_t keylen);

/*
 * Portable constant-time AES on up to 4 independent blocks at once
 * (bitsliced S-box, no secret-dependent loads or branches).
 * nblocks is 1..4; in and out may alias.
 */
void aes_ct_encrypt4(const struct aes_key *k, const uint8_t *in, uint8_t *out,
		     unsigned int nblocks);
void aes_ct_decrypt4(const struct aes_key *k, const uint8_t *in, uint8_t *out,
		     unsigned int nblocks);

/* One block convenience wrappers over the constant-time code. */
void aes_encrypt_block(const struct aes_key *k, const uint8_t in[16], uint8_t out[16]);
void aes_decrypt_block(const struct aes_key *k, const uint8_t in[16], uint8_t out[16]);

#endif /* LAMINA_CRYPTO_AES_H */
