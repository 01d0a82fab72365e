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
 * lane by alpha^16.  Runs of data units encrypt 4 tweaks in two registers,
 * one group of 4 units ahead.
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
	return fold(_mm256_sllv_epi64(t, k),
		    _mm256_srlv_epi64(t, _mm256_sub_epi64(_mm256_set1_epi64x(64), k)));
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

XTS_INLINE void load_keys(__m256i *key, const uint8_t *rk, const int nr)
{
	int r;

	UNROLL
	for (r = 0; r <= nr; r++)
		key[r] = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(rk + 16 * r)));
}

/* Encrypt the 4 tweaks held in x[0], x[1] (2 lanes each). */
XTS_INLINE void enc_tweaks(const __m256i *tk, __m256i x[2], const int nr)
{
	int r;

	x[0] = _mm256_xor_si256(x[0], tk[0]);
	x[1] = _mm256_xor_si256(x[1], tk[0]);
	UNROLL
	for (r = 1; r < nr; r++) {
		x[0] = _mm256_aesenc_epi128(x[0], tk[r]);
		x[1] = _mm256_aesenc_epi128(x[1], tk[r]);
	}
	x[0] = _mm256_aesenclast_epi128(x[0], tk[nr]);
	x[1] = _mm256_aesenclast_epi128(x[1], tk[nr]);
}

/* One data unit; tb holds its encrypted tweak in both lanes. */
XTS_INLINE void body(const __m256i *key, __m256i tb, const uint8_t *in,
		     uint8_t *out, size_t nblocks, const int nr, const int dec)
{
	__m256i tw[8], b[8];
	__m256i cnt = _mm256_set_epi64x(1, 1, 0, 0);
	int r, i;

	UNROLL
	for (i = 0; i < 8; i++) {
		tw[i] = mul_alpha_v(tb, cnt);
		cnt = _mm256_add_epi64(cnt, _mm256_set1_epi64x(2));
	}
	for (; nblocks >= 16; nblocks -= 16, in += 256, out += 256) {
		UNROLL
		for (i = 0; i < 8; i++)
			b[i] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(in + 32 * i)),
						_mm256_xor_si256(tw[i], key[0]));
		UNROLL
		for (r = 1; r < nr; r++) {
			UNROLL
			for (i = 0; i < 8; i++)
				b[i] = aes_round(b[i], key[r], dec);
		}
		UNROLL
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
		UNROLL
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

XTS_INLINE void one_unit(const struct xts_key *k, const uint8_t tweak[16],
			 const uint8_t *in, uint8_t *out, size_t nblocks,
			 const int nr, const int dec)
{
	__m256i key[AES_MAX_ROUNDS + 1];
	const uint8_t *tk = k->tweak.ek;
	__m128i t;
	int r;

	t = _mm_xor_si128(_mm_loadu_si128((const __m128i *)tweak),
			  _mm_load_si128((const __m128i *)tk));
	UNROLL
	for (r = 1; r < nr; r++)
		t = _mm_aesenc_si128(t, _mm_load_si128((const __m128i *)(tk + 16 * r)));
	t = _mm_aesenclast_si128(t, _mm_load_si128((const __m128i *)(tk + 16 * nr)));
	load_keys(key, dec ? k->data.dk : k->data.ek, nr);
	body(key, _mm256_broadcastsi128_si256(t), in, out, nblocks, nr, dec);
}

XTS_INLINE void unit_numbers(__m256i x[2], uint64_t u)
{
	x[0] = _mm256_set_epi64x(0, (long long)(u + 1), 0, (long long)u);
	x[1] = _mm256_set_epi64x(0, (long long)(u + 3), 0, (long long)(u + 2));
}

XTS_INLINE void units(const struct xts_key *k, uint64_t unit, size_t ublocks,
		      const uint8_t *in, uint8_t *out, size_t nunits,
		      const int nr, const int dec)
{
	__m256i key[AES_MAX_ROUNDS + 1], tk[AES_MAX_ROUNDS + 1], cur[2], nxt[2];
	const __m256i lane0 = _mm256_set_epi32(3, 2, 1, 0, 3, 2, 1, 0);
	size_t ubytes = 16 * ublocks, u, j;

	load_keys(key, dec ? k->data.dk : k->data.ek, nr);
	load_keys(tk, k->tweak.ek, nr);
	unit_numbers(cur, unit);
	enc_tweaks(tk, cur, nr);
	nxt[0] = nxt[1] = _mm256_setzero_si256();
	for (u = 0; u < nunits; u += 4) {
		/* Next group's tweaks first: independent work to overlap. */
		if (u + 4 < nunits) {
			unit_numbers(nxt, unit + u + 4);
			enc_tweaks(tk, nxt, nr);
		}
		for (j = 0; j < 4 && u + j < nunits; j++) {
			__m256i idx = _mm256_add_epi32(lane0, _mm256_set1_epi32((int)(4 * (j & 1))));

			body(key, _mm256_permutevar8x32_epi32(cur[j >> 1], idx),
			     in + ubytes * (u + j), out + ubytes * (u + j), ublocks, nr, dec);
		}
		cur[0] = nxt[0];
		cur[1] = nxt[1];
	}
}

XTS_DEFINE_ENTRIES(vaes_avx2)
