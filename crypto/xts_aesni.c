/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: XTS with AES-NI (SSE registers), 8 blocks interleaved.
 * Compiled with -maes -msse4.1; only reached when CPUID reports AES-NI.
 *
 * Per group of 8 blocks: the 8 tweaks are produced by successive doubling
 * (shift + conditional 0x87, 5 instructions each), the first round key and
 * the tweak are folded into one XOR, and the tweak is folded into the last
 * round key so AESENCLAST also does the output whitening.
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

XTS_INLINE __m128i enc1(const uint8_t *rk, int nr, __m128i b)
{
	int r;

	b = _mm_xor_si128(b, _mm_load_si128((const __m128i *)rk));
	for (r = 1; r < nr; r++)
		b = _mm_aesenc_si128(b, _mm_load_si128((const __m128i *)(rk + 16 * r)));
	return _mm_aesenclast_si128(b, _mm_load_si128((const __m128i *)(rk + 16 * nr)));
}

XTS_INLINE void xts_aesni(const struct xts_key *k, const uint8_t tweak[16],
			  const uint8_t *in, uint8_t *out, size_t nblocks,
			  const int nr, const int dec)
{
	const uint8_t *rk = dec ? k->data.dk : k->data.ek;
	__m128i key[AES_MAX_ROUNDS + 1];
	__m128i t, tw[8], b[8], last;
	int r, i;

	for (r = 0; r <= nr; r++)
		key[r] = _mm_load_si128((const __m128i *)(rk + 16 * r));
	t = enc1(k->tweak.ek, nr, _mm_loadu_si128((const __m128i *)tweak));

	for (; nblocks >= 8; nblocks -= 8, in += 128, out += 128) {
		for (i = 0; i < 8; i++) {
			tw[i] = t;
			t = mul_alpha(t);
			b[i] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(in + 16 * i)),
					     _mm_xor_si128(tw[i], key[0]));
		}
		for (r = 1; r < nr; r++) {
			for (i = 0; i < 8; i++)
				b[i] = dec ? _mm_aesdec_si128(b[i], key[r])
					   : _mm_aesenc_si128(b[i], key[r]);
		}
		for (i = 0; i < 8; i++) {
			last = _mm_xor_si128(key[nr], tw[i]);
			b[i] = dec ? _mm_aesdeclast_si128(b[i], last)
				   : _mm_aesenclast_si128(b[i], last);
			_mm_storeu_si128((__m128i *)(out + 16 * i), b[i]);
		}
	}
	for (; nblocks; nblocks--, in += 16, out += 16) {
		__m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in),
					  _mm_xor_si128(t, key[0]));

		for (r = 1; r < nr; r++)
			x = dec ? _mm_aesdec_si128(x, key[r]) : _mm_aesenc_si128(x, key[r]);
		last = _mm_xor_si128(key[nr], t);
		x = dec ? _mm_aesdeclast_si128(x, last) : _mm_aesenclast_si128(x, last);
		_mm_storeu_si128((__m128i *)out, x);
		t = mul_alpha(t);
	}
}

void xts_aesni_enc(const struct xts_key *k, const uint8_t tweak[16],
		   const uint8_t *in, uint8_t *out, size_t nblocks)
{
	if (k->data.rounds == 10)
		xts_aesni(k, tweak, in, out, nblocks, 10, 0);
	else
		xts_aesni(k, tweak, in, out, nblocks, 14, 0);
}

void xts_aesni_dec(const struct xts_key *k, const uint8_t tweak[16],
		   const uint8_t *in, uint8_t *out, size_t nblocks)
{
	if (k->data.rounds == 10)
		xts_aesni(k, tweak, in, out, nblocks, 10, 1);
	else
		xts_aesni(k, tweak, in, out, nblocks, 14, 1);
}
