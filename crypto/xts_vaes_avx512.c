/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: XTS with VAES on 512-bit registers (AVX-512F/VL).
 * Compiled with -mavx512f -mavx512vl -mvaes -maes; reached only when CPUID
 * and XCR0 allow it.
 *
 * One zmm holds 4 consecutive blocks; 8 zmm registers = 32 blocks = one
 * 512-byte sector per pass.  The 32 tweaks of a pass come straight from
 * the encrypted tweak t: register i lane j gets t * alpha^(4i+j), computed
 * with per-lane variable shifts (multiplying by alpha^k for k < 58 is a
 * 128-bit shift by k plus folding the k carried-out bits back in as
 * c ^ c<<1 ^ c<<2 ^ c<<7, i.e. c * 0x87, which fits in 64 bits).  Later
 * passes multiply every lane by alpha^32 the same way.  Runs of data units
 * encrypt 4 tweaks in one register, one group of 4 units ahead.
 */
#include "crypto/xts_impl.h"
#include "crypto/simd.h"

/* Fold the carries c (shifted out of each 64-bit half) back into s. */
XTS_INLINE __m512i fold(__m512i s, __m512i c)
{
	const __m512i zero = _mm512_setzero_si512();
	__m512i up = _mm512_unpacklo_epi64(zero, c);   /* lo carry -> hi */
	__m512i dn = _mm512_unpackhi_epi64(c, zero);   /* hi carry -> lo */
	__m512i r = _mm512_ternarylogic_epi64(dn, _mm512_slli_epi64(dn, 1),
					      _mm512_slli_epi64(dn, 2), 0x96);

	r = _mm512_ternarylogic_epi64(r, _mm512_slli_epi64(dn, 7), up, 0x96);
	return _mm512_xor_si512(s, r);
}

/* Each 128-bit lane times alpha^k, k given per 64-bit element (0..57). */
XTS_INLINE __m512i mul_alpha_v(__m512i t, __m512i k)
{
	return fold(_mm512_sllv_epi64(t, k),
		    _mm512_srlv_epi64(t, _mm512_sub_epi64(_mm512_set1_epi64(64), k)));
}

XTS_INLINE __m512i mul_alpha_k(__m512i t, const int k)
{
	return fold(_mm512_slli_epi64(t, k), _mm512_srli_epi64(t, 64 - k));
}

XTS_INLINE __m512i aes_round(__m512i b, __m512i k, const int dec)
{
	return dec ? _mm512_aesdec_epi128(b, k) : _mm512_aesenc_epi128(b, k);
}

XTS_INLINE __m512i aes_last(__m512i b, __m512i k, const int dec)
{
	return dec ? _mm512_aesdeclast_epi128(b, k) : _mm512_aesenclast_epi128(b, k);
}

XTS_INLINE void load_keys(__m512i *key, const uint8_t *rk, const int nr)
{
	int r;

	UNROLL
	for (r = 0; r <= nr; r++)
		key[r] = _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)(rk + 16 * r)));
}

/* Encrypt 4 tweaks held in the 4 lanes of x. */
XTS_INLINE __m512i enc_tweaks(const __m512i *tk, __m512i x, const int nr)
{
	int r;

	x = _mm512_xor_si512(x, tk[0]);
	UNROLL
	for (r = 1; r < nr; r++)
		x = _mm512_aesenc_epi128(x, tk[r]);
	return _mm512_aesenclast_epi128(x, tk[nr]);
}

/* One data unit; tb holds its encrypted tweak in all 4 lanes. */
XTS_INLINE void body(const __m512i *key, __m512i tb, const uint8_t *in,
		     uint8_t *out, size_t nblocks, const int nr, const int dec)
{
	__m512i tw[8], b[8];
	__m512i cnt = _mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0);
	int r, i;

	UNROLL
	for (i = 0; i < 8; i++) {
		tw[i] = mul_alpha_v(tb, cnt);
		cnt = _mm512_add_epi64(cnt, _mm512_set1_epi64(4));
	}
	for (; nblocks >= 32; nblocks -= 32, in += 512, out += 512) {
		UNROLL
		for (i = 0; i < 8; i++)
			b[i] = _mm512_ternarylogic_epi64(
				_mm512_loadu_si512((const void *)(in + 64 * i)),
				tw[i], key[0], 0x96);
		UNROLL
		for (r = 1; r < nr; r++) {
			UNROLL
			for (i = 0; i < 8; i++)
				b[i] = aes_round(b[i], key[r], dec);
		}
		UNROLL
		for (i = 0; i < 8; i++) {
			b[i] = aes_last(b[i], _mm512_xor_si512(key[nr], tw[i]), dec);
			_mm512_storeu_si512((void *)(out + 64 * i), b[i]);
			tw[i] = mul_alpha_k(tw[i], 32);
		}
	}
	/* Tail: up to 31 blocks, one register (4 blocks) at a time. */
	for (i = 0; nblocks; i++) {
		unsigned int n = nblocks < 4 ? (unsigned int)nblocks : 4;
		__mmask8 m = (__mmask8)((1u << (2 * n)) - 1);
		__m512i x = _mm512_maskz_loadu_epi64(m, (const void *)in);

		x = _mm512_ternarylogic_epi64(x, tw[i], key[0], 0x96);
		UNROLL
		for (r = 1; r < nr; r++)
			x = aes_round(x, key[r], dec);
		x = aes_last(x, _mm512_xor_si512(key[nr], tw[i]), dec);
		_mm512_mask_storeu_epi64((void *)out, m, x);
		nblocks -= n;
		in += 16 * n;
		out += 16 * n;
	}
}

XTS_INLINE void one_unit(const struct xts_key *k, const uint8_t tweak[16],
			 const uint8_t *in, uint8_t *out, size_t nblocks,
			 const int nr, const int dec)
{
	__m512i key[AES_MAX_ROUNDS + 1];
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
	body(key, _mm512_broadcast_i32x4(t), in, out, nblocks, nr, dec);
}

XTS_INLINE __m512i unit_numbers(uint64_t u)
{
	return _mm512_set_epi64(0, (long long)(u + 3), 0, (long long)(u + 2),
				0, (long long)(u + 1), 0, (long long)u);
}

XTS_INLINE void units(const struct xts_key *k, uint64_t unit, size_t ublocks,
		      const uint8_t *in, uint8_t *out, size_t nunits,
		      const int nr, const int dec)
{
	__m512i key[AES_MAX_ROUNDS + 1], tk[AES_MAX_ROUNDS + 1], cur, nxt;
	const __m512i lane0 = _mm512_set_epi64(1, 0, 1, 0, 1, 0, 1, 0);
	size_t ubytes = 16 * ublocks, u, j;

	load_keys(key, dec ? k->data.dk : k->data.ek, nr);
	load_keys(tk, k->tweak.ek, nr);
	cur = enc_tweaks(tk, unit_numbers(unit), nr);
	nxt = _mm512_setzero_si512();
	for (u = 0; u < nunits; u += 4) {
		/* Next group's tweaks first: independent work to overlap. */
		if (u + 4 < nunits)
			nxt = enc_tweaks(tk, unit_numbers(unit + u + 4), nr);
		for (j = 0; j < 4 && u + j < nunits; j++) {
			__m512i idx = _mm512_add_epi64(lane0, _mm512_set1_epi64((long long)(2 * j)));

			body(key, _mm512_permutexvar_epi64(idx, cur),
			     in + ubytes * (u + j), out + ubytes * (u + j), ublocks, nr, dec);
		}
		cur = nxt;
	}
}

XTS_DEFINE_ENTRIES(vaes_avx512)
