/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: XTS with VAES on 256-bit registers (AVX2).
 * Compiled with -mavx2 -mvaes -maes; reached only when CPUID and XCR0
 * allow it.
 *
 * One ymm holds 2 consecutive blocks; 8 registers = 16 blocks per pass.
 * Tweaks of a pass come from the encrypted tweak t directly: register i
 * lane j gets t * alpha^(2i+j) via per-lane variable shifts (see
 * xts_vaes_avx512.c for the arithmetic); each pass then multiplies every
 * lane by alpha^16.
 */
#include "crypto/xts_impl.h"
#include "crypto/simd.h"

XTS_INLINE __m256i fold(__m256i s, __m256i c)
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i up = _mm256_unpacklo_epi64(zero, c);   /* lo carry -> hi */
	__m256i dn = _mm256_unpackhi_epi64(c, zero);   /* hi carry -> lo */
	__m256i r = _mm256_xor_si256(_mm256_xor_si256(dn, _mm256_slli_epi64(dn, 1)),
				     _mm256_xor_si256(_mm256_slli_epi64(dn, 2),
						      _mm256_slli_epi64(dn, 7)));

	return _mm256_xor_si256(_mm256_xor_si256(s, up), r);
}

XTS_INLINE __m256i mul_alpha_v(__m256i t, __m256i k)
{
	const __m256i sixty4 = _mm256_set1_epi64x(64);

	return fold(_mm256_sllv_epi64(t, k),
		    _mm256_srlv_epi64(t, _mm256_sub_epi64(sixty4, k)));
}

XTS_INLINE __m256i mul_alpha_k(__m256i t, const int k)
{
	return fold(_mm256_slli_epi64(t, k), _mm256_srli_epi64(t, 64 - k));
}

XTS_INLINE __m256i aes_round(__m256i b, __m256i k, const int dec)
{
	return dec ? _mm256_aesdec_epi128(b, k) : _mm256_aesenc_epi128(b, k);
}

XTS_INLINE __m256i aes_last(__m256i b, __m256i k, const int dec)
{
	return dec ? _mm256_aesdeclast_epi128(b, k) : _mm256_aesenclast_epi128(b, k);
}

XTS_INLINE void xts_avx2(const struct xts_key *k, const uint8_t tweak[16],
			 const uint8_t *in, uint8_t *out, size_t nblocks,
			 const int nr, const int dec)
{
	const uint8_t *rk = dec ? k->data.dk : k->data.ek;
	const uint8_t *tk = k->tweak.ek;
	__m256i key[AES_MAX_ROUNDS + 1], tw[8], b[8];
	__m128i t;
	int r, i;

	t = _mm_xor_si128(_mm_loadu_si128((const __m128i *)tweak),
			  _mm_load_si128((const __m128i *)tk));
	for (r = 1; r < nr; r++)
		t = _mm_aesenc_si128(t, _mm_load_si128((const __m128i *)(tk + 16 * r)));
	t = _mm_aesenclast_si128(t, _mm_load_si128((const __m128i *)(tk + 16 * nr)));
	for (r = 0; r <= nr; r++)
		key[r] = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(rk + 16 * r)));

	{
		const __m256i tb = _mm256_broadcastsi128_si256(t);
		__m256i cnt = _mm256_set_epi64x(1, 1, 0, 0);
		const __m256i two = _mm256_set1_epi64x(2);

		for (i = 0; i < 8; i++) {
			tw[i] = mul_alpha_v(tb, cnt);
			cnt = _mm256_add_epi64(cnt, two);
		}
	}

	for (; nblocks >= 16; nblocks -= 16, in += 256, out += 256) {
		for (i = 0; i < 8; i++)
			b[i] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(in + 32 * i)),
						_mm256_xor_si256(tw[i], key[0]));
		for (r = 1; r < nr; r++)
			for (i = 0; i < 8; i++)
				b[i] = aes_round(b[i], key[r], dec);
		for (i = 0; i < 8; i++) {
			b[i] = aes_last(b[i], _mm256_xor_si256(key[nr], tw[i]), dec);
			_mm256_storeu_si256((__m256i *)(out + 32 * i), b[i]);
			tw[i] = mul_alpha_k(tw[i], 16);
		}
	}
	/* Tail: up to 15 blocks, one register (2 blocks) at a time. */
	for (i = 0; nblocks; i++) {
		const __m256i m = nblocks >= 2 ? _mm256_set1_epi64x(-1)
					       : _mm256_set_epi64x(0, 0, -1, -1);
		__m256i x = _mm256_maskload_epi64((const long long *)in, m);

		x = _mm256_xor_si256(x, _mm256_xor_si256(tw[i], key[0]));
		for (r = 1; r < nr; r++)
			x = aes_round(x, key[r], dec);
		x = aes_last(x, _mm256_xor_si256(key[nr], tw[i]), dec);
		_mm256_maskstore_epi64((long long *)out, m, x);
		if (nblocks < 2)
			break;
		nblocks -= 2;
		in += 32;
		out += 32;
	}
}

void xts_vaes_avx2_enc(const struct xts_key *k, const uint8_t tweak[16],
		       const uint8_t *in, uint8_t *out, size_t nblocks)
{
	if (k->data.rounds == 10)
		xts_avx2(k, tweak, in, out, nblocks, 10, 0);
	else
		xts_avx2(k, tweak, in, out, nblocks, 14, 0);
}

void xts_vaes_avx2_dec(const struct xts_key *k, const uint8_t tweak[16],
		       const uint8_t *in, uint8_t *out, size_t nblocks)
{
	if (k->data.rounds == 10)
		xts_avx2(k, tweak, in, out, nblocks, 10, 1);
	else
		xts_avx2(k, tweak, in, out, nblocks, 14, 1);
}
