/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: XTS with AES-NI (SSE registers), 8 blocks interleaved.
 * Compiled with -maes -msse4.1; only reached when CPUID reports AES-NI.
 *
 * Per group of 8 blocks: the 8 tweaks are produced by successive doubling
 * (shift + conditional 0x87, 5 instructions each), the first round key and
 * the tweak are folded into one XOR, and the tweak is folded into the last
 * round key so AESENCLAST also does the output whitening.  Runs of data
 * units encrypt the tweaks of 4 units at once, one group ahead.
 */
#include "crypto/xts_impl.h"
#include "crypto/simd.h"

/* t * alpha in GF(2^128), little-endian block. */
XTS_INLINE __m128i mul_alpha(__m128i t)
{
	__m128i m = _mm_srai_epi32(_mm_shuffle_epi32(t, 0x13), 31);

	m = _mm_and_si128(m, _mm_set_epi32(0, 1, 0, 0x87));
	return _mm_xor_si128(_mm_add_epi64(t, t), m);
}

XTS_INLINE __m128i round1(__m128i b, __m128i k, const int dec)
{
	return dec ? _mm_aesdec_si128(b, k) : _mm_aesenc_si128(b, k);
}

XTS_INLINE __m128i last1(__m128i b, __m128i k, const int dec)
{
	return dec ? _mm_aesdeclast_si128(b, k) : _mm_aesenclast_si128(b, k);
}

XTS_INLINE void load_keys(__m128i *key, const uint8_t *rk, const int nr)
{
	int r;

	UNROLL
	for (r = 0; r <= nr; r++)
		key[r] = _mm_load_si128((const __m128i *)(rk + 16 * r));
}

/* Encrypt 4 tweaks (data-unit numbers) in parallel. */
XTS_INLINE void enc_tweaks4(const __m128i *tk, __m128i t[4], const int nr)
{
	int r, j;

	UNROLL
	for (j = 0; j < 4; j++)
		t[j] = _mm_xor_si128(t[j], tk[0]);
	UNROLL
	for (r = 1; r < nr; r++) {
		UNROLL
		for (j = 0; j < 4; j++)
			t[j] = _mm_aesenc_si128(t[j], tk[r]);
	}
	UNROLL
	for (j = 0; j < 4; j++)
		t[j] = _mm_aesenclast_si128(t[j], tk[nr]);
}

/* One data unit with its encrypted tweak t. */
XTS_INLINE void body(const __m128i *key, __m128i t, const uint8_t *in,
		     uint8_t *out, size_t nblocks, const int nr, const int dec)
{
	__m128i tw[8], b[8];
	int r, i;

	for (; nblocks >= 8; nblocks -= 8, in += 128, out += 128) {
		UNROLL
		for (i = 0; i < 8; i++) {
			tw[i] = t;
			t = mul_alpha(t);
			b[i] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(in + 16 * i)),
					     _mm_xor_si128(tw[i], key[0]));
		}
		UNROLL
		for (r = 1; r < nr; r++) {
			UNROLL
			for (i = 0; i < 8; i++)
				b[i] = round1(b[i], key[r], dec);
		}
		UNROLL
		for (i = 0; i < 8; i++) {
			b[i] = last1(b[i], _mm_xor_si128(key[nr], tw[i]), dec);
			_mm_storeu_si128((__m128i *)(out + 16 * i), b[i]);
		}
	}
	for (; nblocks; nblocks--, in += 16, out += 16) {
		__m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in),
					  _mm_xor_si128(t, key[0]));

		UNROLL
		for (r = 1; r < nr; r++)
			x = round1(x, key[r], dec);
		x = last1(x, _mm_xor_si128(key[nr], t), dec);
		_mm_storeu_si128((__m128i *)out, x);
		t = mul_alpha(t);
	}
}

XTS_INLINE void one_unit(const struct xts_key *k, const uint8_t tweak[16],
			 const uint8_t *in, uint8_t *out, size_t nblocks,
			 const int nr, const int dec)
{
	__m128i key[AES_MAX_ROUNDS + 1];
	const uint8_t *tk = k->tweak.ek;
	__m128i t;
	int r;

	load_keys(key, dec ? k->data.dk : k->data.ek, nr);
	t = _mm_xor_si128(_mm_loadu_si128((const __m128i *)tweak),
			  _mm_load_si128((const __m128i *)tk));
	UNROLL
	for (r = 1; r < nr; r++)
		t = _mm_aesenc_si128(t, _mm_load_si128((const __m128i *)(tk + 16 * r)));
	t = _mm_aesenclast_si128(t, _mm_load_si128((const __m128i *)(tk + 16 * nr)));
	body(key, t, in, out, nblocks, nr, dec);
}

XTS_INLINE void units(const struct xts_key *k, uint64_t unit, size_t ublocks,
		      const uint8_t *in, uint8_t *out, size_t nunits,
		      const int nr, const int dec)
{
	__m128i key[AES_MAX_ROUNDS + 1], tk[AES_MAX_ROUNDS + 1], cur[4], nxt[4];
	size_t ubytes = 16 * ublocks, u;
	int j;

	load_keys(key, dec ? k->data.dk : k->data.ek, nr);
	load_keys(tk, k->tweak.ek, nr);
	UNROLL
	for (j = 0; j < 4; j++)
		cur[j] = _mm_set_epi64x(0, (long long)(unit + (uint64_t)j));
	enc_tweaks4(tk, cur, nr);
	UNROLL
	for (j = 0; j < 4; j++)
		nxt[j] = _mm_setzero_si128();
	for (u = 0; u < nunits; u += 4) {
		/* Next group's tweaks first: independent work to overlap. */
		if (u + 4 < nunits) {
			UNROLL
			for (j = 0; j < 4; j++)
				nxt[j] = _mm_set_epi64x(0, (long long)(unit + u + 4 + (uint64_t)j));
			enc_tweaks4(tk, nxt, nr);
		}
		for (j = 0; j < 4 && u + (size_t)j < nunits; j++)
			body(key, cur[j], in + ubytes * (u + (size_t)j),
			     out + ubytes * (u + (size_t)j), ublocks, nr, dec);
		UNROLL
		for (j = 0; j < 4; j++)
			cur[j] = nxt[j];
	}
}

XTS_DEFINE_ENTRIES(aesni)
