/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: AES key schedule and portable constant-time AES.
 *
 * SubBytes is computed, not looked up: the 64 state bytes of four blocks
 * are transposed into eight 64-bit bit planes, the GF(2^8) inverse is
 * taken as x^254 with bitsliced multiplications and squarings, and the
 * affine map is applied plane-wise.  ShiftRows and MixColumns work on
 * 32-bit columns with shifts and masks.  Nothing indexes memory or
 * branches on secret data.
 */
#include "crypto/aes.h"

/* Small fixed loops must unroll so the planes stay in registers. */
#define AES_INLINE static inline __attribute__((always_inline))
#define UNROLL8 _Pragma("GCC unroll 8")

/* ---- bit-plane transposition ------------------------------------------ */

/* Transpose the 8x8 bit matrix held in x (row r = byte r, column = bit). */
static inline uint64_t bit_transpose8(uint64_t x)
{
	uint64_t t;

	t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
	x ^= t ^ (t << 7);
	t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
	x ^= t ^ (t << 14);
	t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
	x ^= t ^ (t << 28);
	return x;
}

/* Transpose the 8x8 byte matrix w[j] byte k <-> w[k] byte j. */
AES_INLINE void byte_transpose8(uint64_t w[8])
{
	uint64_t t;
	int j;

	UNROLL8
	for (j = 0; j < 4; j++) {
		t = ((w[j] >> 32) ^ w[j + 4]) & 0x00000000FFFFFFFFull;
		w[j] ^= t << 32;
		w[j + 4] ^= t;
	}
	UNROLL8
	for (j = 0; j < 4; j++) {                       /* rows 0,1,4,5 */
		int r = j + (j & 2);

		t = ((w[r] >> 16) ^ w[r + 2]) & 0x0000FFFF0000FFFFull;
		w[r] ^= t << 16;
		w[r + 2] ^= t;
	}
	UNROLL8
	for (j = 0; j < 8; j += 2) {
		t = ((w[j] >> 8) ^ w[j + 1]) & 0x00FF00FF00FF00FFull;
		w[j] ^= t << 8;
		w[j + 1] ^= t;
	}
}

/* 64 bytes (as 8 LE words) -> plane k holds bit k of every byte. */
AES_INLINE void to_planes(uint64_t w[8])
{
	int j;

	UNROLL8
	for (j = 0; j < 8; j++)
		w[j] = bit_transpose8(w[j]);
	byte_transpose8(w);
}

AES_INLINE void from_planes(uint64_t w[8])
{
	int j;

	byte_transpose8(w);
	UNROLL8
	for (j = 0; j < 8; j++)
		w[j] = bit_transpose8(w[j]);
}

/* ---- bitsliced GF(2^8), modulus x^8 + x^4 + x^3 + x + 1 --------------- */

AES_INLINE void gf_reduce(uint64_t c[15], uint64_t out[8])
{
	int k;

	UNROLL8
	for (k = 14; k >= 8; k--) {
		c[k - 4] ^= c[k];
		c[k - 5] ^= c[k];
		c[k - 7] ^= c[k];
		c[k - 8] ^= c[k];
	}
	UNROLL8
	for (k = 0; k < 8; k++)
		out[k] = c[k];
}

AES_INLINE void gf_mul(uint64_t out[8], const uint64_t a[8], const uint64_t b[8])
{
	uint64_t c[15];
	int i, j;

	UNROLL8
	for (i = 0; i < 15; i++)
		c[i] = 0;
	UNROLL8
	for (i = 0; i < 8; i++) {
		UNROLL8
		for (j = 0; j < 8; j++)
			c[i + j] ^= a[i] & b[j];
	}
	gf_reduce(c, out);
}

/* Squaring is linear in characteristic 2: spread the bits, reduce. */
AES_INLINE void gf_sq(uint64_t out[8], const uint64_t a[8])
{
	uint64_t c[15];
	int i;

	UNROLL8
	for (i = 0; i < 7; i++) {
		c[2 * i] = a[i];
		c[2 * i + 1] = 0;
	}
	c[14] = a[7];
	gf_reduce(c, out);
}

/* x -> x^254 (the multiplicative inverse, 0 -> 0). */
AES_INLINE void gf_inv(uint64_t x[8])
{
	uint64_t x2[8], x3[8], x12[8], t[8], u[8];

	gf_sq(x2, x);            /* x^2   */
	gf_mul(x3, x2, x);       /* x^3   */
	gf_sq(t, x3);            /* x^6   */
	gf_sq(x12, t);           /* x^12  */
	gf_mul(t, x12, x3);      /* x^15  */
	gf_sq(u, t);             /* x^30  */
	gf_sq(t, u);             /* x^60  */
	gf_sq(u, t);             /* x^120 */
	gf_sq(t, u);             /* x^240 */
	gf_mul(u, t, x12);       /* x^252 */
	gf_mul(x, u, x2);        /* x^254 */
}

AES_INLINE void sbox_planes(uint64_t x[8])
{
	uint64_t b[8];
	int i;

	gf_inv(x);
	for (i = 0; i < 8; i++)
		b[i] = x[i];
	for (i = 0; i < 8; i++)
		x[i] = b[i] ^ b[(i + 4) & 7] ^ b[(i + 5) & 7] ^
		       b[(i + 6) & 7] ^ b[(i + 7) & 7];
	/* + 0x63 */
	x[0] = ~x[0];
	x[1] = ~x[1];
	x[5] = ~x[5];
	x[6] = ~x[6];
}

AES_INLINE void inv_sbox_planes(uint64_t x[8])
{
	uint64_t s[8];
	int i;

	for (i = 0; i < 8; i++)
		s[i] = x[i];
	for (i = 0; i < 8; i++)
		x[i] = s[(i + 2) & 7] ^ s[(i + 5) & 7] ^ s[(i + 7) & 7];
	/* + 0x05 */
	x[0] = ~x[0];
	x[2] = ~x[2];
	gf_inv(x);
}

/* ---- state helpers (16 columns = 4 blocks) ------------------------------ */

static void sub_bytes(uint32_t s[16], int inverse)
{
	uint64_t w[8];
	int j;

	for (j = 0; j < 8; j++)
		w[j] = (uint64_t)s[2 * j] | (uint64_t)s[2 * j + 1] << 32;
	to_planes(w);
	if (inverse)
		inv_sbox_planes(w);
	else
		sbox_planes(w);
	from_planes(w);
	for (j = 0; j < 8; j++) {
		s[2 * j] = (uint32_t)w[j];
		s[2 * j + 1] = (uint32_t)(w[j] >> 32);
	}
}

#define ROW0 0x000000FFu
#define ROW1 0x0000FF00u
#define ROW2 0x00FF0000u
#define ROW3 0xFF000000u

static void shift_rows(uint32_t s[16])
{
	uint32_t a, b, c, d;
	int i;

	for (i = 0; i < 16; i += 4) {
		a = s[i]; b = s[i + 1]; c = s[i + 2]; d = s[i + 3];
		s[i + 0] = (a & ROW0) | (b & ROW1) | (c & ROW2) | (d & ROW3);
		s[i + 1] = (b & ROW0) | (c & ROW1) | (d & ROW2) | (a & ROW3);
		s[i + 2] = (c & ROW0) | (d & ROW1) | (a & ROW2) | (b & ROW3);
		s[i + 3] = (d & ROW0) | (a & ROW1) | (b & ROW2) | (c & ROW3);
	}
}

static void inv_shift_rows(uint32_t s[16])
{
	uint32_t a, b, c, d;
	int i;

	for (i = 0; i < 16; i += 4) {
		a = s[i]; b = s[i + 1]; c = s[i + 2]; d = s[i + 3];
		s[i + 0] = (a & ROW0) | (d & ROW1) | (c & ROW2) | (b & ROW3);
		s[i + 1] = (b & ROW0) | (a & ROW1) | (d & ROW2) | (c & ROW3);
		s[i + 2] = (c & ROW0) | (b & ROW1) | (a & ROW2) | (d & ROW3);
		s[i + 3] = (d & ROW0) | (c & ROW1) | (b & ROW2) | (a & ROW3);
	}
}

static inline uint32_t xtime32(uint32_t x)
{
	return ((x & 0x7F7F7F7Fu) << 1) ^ (((x >> 7) & 0x01010101u) * 0x1Bu);
}

static inline uint32_t rotr32(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

/* out_r = 2a_r + 3a_{r+1} + a_{r+2} + a_{r+3} */
static inline uint32_t mix_column(uint32_t w)
{
	uint32_t r1 = rotr32(w, 8);

	return xtime32(w ^ r1) ^ r1 ^ rotr32(w, 16) ^ rotr32(w, 24);
}

/* InvMixColumns = MixColumns after adding 4(a_r + a_{r+2}) to each a_r. */
static inline uint32_t inv_mix_column(uint32_t w)
{
	w ^= xtime32(xtime32(w ^ rotr32(w, 16)));
	return mix_column(w);
}

static inline void add_round_key(uint32_t s[16], const uint8_t *rk)
{
	uint32_t k[4];
	int i;

	for (i = 0; i < 4; i++)
		k[i] = crypto_load_le32(rk + 4 * i);
	for (i = 0; i < 16; i++)
		s[i] ^= k[i & 3];
}

static void load_state(uint32_t s[16], const uint8_t *in, unsigned int nblocks)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		s[i] = i < 4 * nblocks ? crypto_load_le32(in + 4 * i) : 0;
}

static void store_state(const uint32_t s[16], uint8_t *out, unsigned int nblocks)
{
	unsigned int i;

	for (i = 0; i < 4 * nblocks; i++)
		crypto_store_le32(out + 4 * i, s[i]);
}

void aes_ct_encrypt4(const struct aes_key *k, const uint8_t *in, uint8_t *out,
		     unsigned int nblocks)
{
	uint32_t s[16];
	unsigned int r, i;

	load_state(s, in, nblocks);
	add_round_key(s, k->ek);
	for (r = 1; r < k->rounds; r++) {
		sub_bytes(s, 0);
		shift_rows(s);
		for (i = 0; i < 16; i++)
			s[i] = mix_column(s[i]);
		add_round_key(s, k->ek + 16 * r);
	}
	sub_bytes(s, 0);
	shift_rows(s);
	add_round_key(s, k->ek + 16 * k->rounds);
	store_state(s, out, nblocks);
	crypto_wipe(s, sizeof(s));
}

void aes_ct_decrypt4(const struct aes_key *k, const uint8_t *in, uint8_t *out,
		     unsigned int nblocks)
{
	uint32_t s[16];
	unsigned int r, i;

	load_state(s, in, nblocks);
	add_round_key(s, k->ek + 16 * k->rounds);
	for (r = k->rounds - 1; r >= 1; r--) {
		inv_shift_rows(s);
		sub_bytes(s, 1);
		add_round_key(s, k->ek + 16 * r);
		for (i = 0; i < 16; i++)
			s[i] = inv_mix_column(s[i]);
	}
	inv_shift_rows(s);
	sub_bytes(s, 1);
	add_round_key(s, k->ek);
	store_state(s, out, nblocks);
	crypto_wipe(s, sizeof(s));
}

void aes_encrypt_block(const struct aes_key *k, const uint8_t in[16], uint8_t out[16])
{
	aes_ct_encrypt4(k, in, out, 1);
}

void aes_decrypt_block(const struct aes_key *k, const uint8_t in[16], uint8_t out[16])
{
	aes_ct_decrypt4(k, in, out, 1);
}

/* ---- key schedule ------------------------------------------------------- */

static uint32_t sub_word(uint32_t x)
{
	uint64_t w[8] = { x, 0, 0, 0, 0, 0, 0, 0 };

	to_planes(w);
	sbox_planes(w);
	from_planes(w);
	return (uint32_t)w[0];
}

int aes_setkey(struct aes_key *k, const uint8_t *key, size_t keylen)
{
	uint32_t w[4 * (AES_MAX_ROUNDS + 1)];
	unsigned int nk, nr, i, total;
	uint32_t rcon = 1, t;

	if (keylen != 16 && keylen != 32)
		return CRYPTO_EINVAL;
	nk = (unsigned int)keylen / 4;
	nr = nk + 6;
	total = 4 * (nr + 1);
	for (i = 0; i < nk; i++)
		w[i] = crypto_load_le32(key + 4 * i);
	for (i = nk; i < total; i++) {
		t = w[i - 1];
		if (i % nk == 0) {
			t = sub_word(rotr32(t, 8)) ^ rcon;
			rcon = (rcon << 1) ^ (((rcon >> 7) & 1) * 0x11B);
		} else if (nk > 6 && i % nk == 4) {
			t = sub_word(t);
		}
		w[i] = w[i - nk] ^ t;
	}
	k->rounds = nr;
	for (i = 0; i < total; i++)
		crypto_store_le32(k->ek + 4 * i, w[i]);
	/* Equivalent inverse cipher keys, in the order AESDEC consumes them. */
	for (i = 0; i <= nr; i++) {
		unsigned int src = nr - i, c;

		for (c = 0; c < 4; c++) {
			t = w[4 * src + c];
			if (i != 0 && i != nr)
				t = inv_mix_column(t);
			crypto_store_le32(k->dk + 16 * i + 4 * c, t);
		}
	}
	crypto_wipe(w, sizeof(w));
	return CRYPTO_OK;
}
