/* SPDX-License-Identifier: MIT */
/* Lamina crypto: SHA-256, HMAC-SHA256, PBKDF2-HMAC-SHA256. */
#include "crypto/sha256.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = crypto_load_be32(p + 4 * i);
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
		     ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

void sha256_init(struct sha256_ctx *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	int i;

	for (i = 0; i < 8; i++)
		c->h[i] = iv[i];
	c->total = 0;
	c->fill = 0;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->total += len;
	if (c->fill) {
		while (len && c->fill < SHA256_BLOCK_SIZE) {
			c->buf[c->fill++] = *p++;
			len--;
		}
		if (c->fill < SHA256_BLOCK_SIZE)
			return;
		sha256_block(c->h, c->buf);
		c->fill = 0;
	}
	for (; len >= SHA256_BLOCK_SIZE; len -= SHA256_BLOCK_SIZE, p += SHA256_BLOCK_SIZE)
		sha256_block(c->h, p);
	while (len--)
		c->buf[c->fill++] = *p++;
}

void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE])
{
	uint64_t bits = c->total * 8;
	int i;

	c->buf[c->fill++] = 0x80;
	if (c->fill > 56) {
		while (c->fill < SHA256_BLOCK_SIZE)
			c->buf[c->fill++] = 0;
		sha256_block(c->h, c->buf);
		c->fill = 0;
	}
	while (c->fill < 56)
		c->buf[c->fill++] = 0;
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_block(c->h, c->buf);
	for (i = 0; i < 8; i++)
		crypto_store_be32(out + 4 * i, c->h[i]);
	crypto_wipe(c, sizeof(*c));
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final(&c, out);
}

/* ---- HMAC ------------------------------------------------------------- */

void hmac_sha256_init(struct hmac_sha256_ctx *c, const void *key, size_t keylen)
{
	uint8_t k[SHA256_BLOCK_SIZE], pad[SHA256_BLOCK_SIZE];
	int i;

	crypto_memset(k, 0, sizeof(k));
	if (keylen > SHA256_BLOCK_SIZE)
		sha256(key, keylen, k);
	else
		crypto_memcpy(k, key, keylen);
	for (i = 0; i < SHA256_BLOCK_SIZE; i++)
		pad[i] = k[i] ^ 0x36;
	sha256_init(&c->inner);
	sha256_update(&c->inner, pad, sizeof(pad));
	for (i = 0; i < SHA256_BLOCK_SIZE; i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_init(&c->outer);
	sha256_update(&c->outer, pad, sizeof(pad));
	crypto_wipe(k, sizeof(k));
	crypto_wipe(pad, sizeof(pad));
}

void hmac_sha256_update(struct hmac_sha256_ctx *c, const void *data, size_t len)
{
	sha256_update(&c->inner, data, len);
}

void hmac_sha256_final(struct hmac_sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE])
{
	uint8_t ih[SHA256_DIGEST_SIZE];

	sha256_final(&c->inner, ih);
	sha256_update(&c->outer, ih, sizeof(ih));
	sha256_final(&c->outer, out);
	crypto_wipe(ih, sizeof(ih));
	crypto_wipe(c, sizeof(*c));
}

void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		 uint8_t out[SHA256_DIGEST_SIZE])
{
	struct hmac_sha256_ctx c;

	hmac_sha256_init(&c, key, keylen);
	hmac_sha256_update(&c, data, len);
	hmac_sha256_final(&c, out);
}

/* ---- PBKDF2 ------------------------------------------------------------ */

/*
 * HMAC of a 32-byte message from precomputed pad states: the inner and
 * outer hashes each take exactly one more block, built by hand here so the
 * iteration loop costs two compressions and no buffering.
 */
static void hmac32_fast(const uint32_t ih[8], const uint32_t oh[8],
			const uint8_t msg[32], uint8_t out[32])
{
	uint8_t blk[SHA256_BLOCK_SIZE];
	uint32_t h[8];
	int i;

	for (i = 0; i < 32; i++)
		blk[i] = msg[i];
	blk[32] = 0x80;
	for (i = 33; i < 62; i++)
		blk[i] = 0;
	blk[62] = 0x03;          /* (64 + 32) * 8 = 768 bits = 0x300 */
	blk[63] = 0x00;
	for (i = 0; i < 8; i++)
		h[i] = ih[i];
	sha256_block(h, blk);
	for (i = 0; i < 8; i++)
		crypto_store_be32(blk + 4 * i, h[i]);
	for (i = 0; i < 8; i++)
		h[i] = oh[i];
	sha256_block(h, blk);
	for (i = 0; i < 8; i++)
		crypto_store_be32(out + 4 * i, h[i]);
	crypto_wipe(blk, sizeof(blk));
	crypto_wipe(h, sizeof(h));
}

int pbkdf2_hmac_sha256(const void *pass, size_t passlen, const void *salt,
		       size_t saltlen, uint32_t iterations, uint8_t *out, size_t outlen)
{
	struct hmac_sha256_ctx base, c;
	uint8_t u[SHA256_DIGEST_SIZE], t[SHA256_DIGEST_SIZE], ctr[4];
	uint32_t block = 1, it;
	size_t n, i;

	if (iterations < 1)
		return CRYPTO_EINVAL;
	hmac_sha256_init(&base, pass, passlen);
	while (outlen) {
		crypto_memcpy(&c, &base, sizeof(c));
		crypto_store_be32(ctr, block);
		hmac_sha256_update(&c, salt, saltlen);
		hmac_sha256_update(&c, ctr, 4);
		hmac_sha256_final(&c, u);
		crypto_memcpy(t, u, sizeof(t));
		for (it = 1; it < iterations; it++) {
			hmac32_fast(base.inner.h, base.outer.h, u, u);
			for (i = 0; i < sizeof(t); i++)
				t[i] ^= u[i];
		}
		n = outlen < sizeof(t) ? outlen : sizeof(t);
		crypto_memcpy(out, t, n);
		out += n;
		outlen -= n;
		block++;
	}
	crypto_wipe(&base, sizeof(base));
	crypto_wipe(u, sizeof(u));
	crypto_wipe(t, sizeof(t));
	return CRYPTO_OK;
}
