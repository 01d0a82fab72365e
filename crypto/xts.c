/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: XTS mode, the portable path and run-time path selection.
 */
#include "crypto/xts_impl.h"
#include "crypto/cpu.h"

/* ---- GF(2^128) tweak arithmetic (little-endian, IEEE 1619 5.2) --------- */

struct tweak128 {
	uint64_t lo, hi;
};

static inline void tweak_load(struct tweak128 *t, const uint8_t b[16])
{
	t->lo = crypto_load_le64(b);
	t->hi = crypto_load_le64(b + 8);
}

static inline void tweak_store(const struct tweak128 *t, uint8_t b[16])
{
	crypto_store_le64(b, t->lo);
	crypto_store_le64(b + 8, t->hi);
}

/* t *= alpha, without branches on the (secret) tweak. */
static inline void tweak_double(struct tweak128 *t)
{
	uint64_t carry = t->hi >> 63;

	t->hi = t->hi << 1 | t->lo >> 63;
	t->lo = t->lo << 1 ^ (0x87 & (0 - carry));
}

static inline void xor16(uint8_t *d, const uint8_t *a, const uint8_t *b)
{
	int i;

	for (i = 0; i < 16; i++)
		d[i] = a[i] ^ b[i];
}

/* ---- portable constant-time path ---------------------------------------- */

static void xts_generic(const struct xts_key *k, const uint8_t tweak[16],
			const uint8_t *in, uint8_t *out, size_t nblocks, int dec)
{
	uint8_t t[4][16], buf[64];
	struct tweak128 tw;
	unsigned int n, i;

	aes_encrypt_block(&k->tweak, tweak, t[0]);
	tweak_load(&tw, t[0]);
	while (nblocks) {
		n = nblocks < 4 ? (unsigned int)nblocks : 4;
		for (i = 0; i < n; i++) {
			tweak_store(&tw, t[i]);
			tweak_double(&tw);
			xor16(buf + 16 * i, in + 16 * i, t[i]);
		}
		if (dec)
			aes_ct_decrypt4(&k->data, buf, buf, n);
		else
			aes_ct_encrypt4(&k->data, buf, buf, n);
		for (i = 0; i < n; i++)
			xor16(out + 16 * i, buf + 16 * i, t[i]);
		in += 16 * n;
		out += 16 * n;
		nblocks -= n;
	}
	crypto_wipe(t, sizeof(t));
	crypto_wipe(buf, sizeof(buf));
	crypto_wipe(&tw, sizeof(tw));
}

void xts_generic_enc(const struct xts_key *k, const uint8_t tweak[16],
		     const uint8_t *in, uint8_t *out, size_t nblocks)
{
	xts_generic(k, tweak, in, out, nblocks, 0);
}

void xts_generic_dec(const struct xts_key *k, const uint8_t tweak[16],
		     const uint8_t *in, uint8_t *out, size_t nblocks)
{
	xts_generic(k, tweak, in, out, nblocks, 1);
}

/* ---- path table and selection ------------------------------------------- */

struct xts_path {
	const char *name;
	xts_path_fn enc, dec;
	xts_units_fn units_enc, units_dec;   /* 0: loop over enc/dec */
};

static const struct xts_path xts_paths[XTS_IMPL_COUNT] = {
	[XTS_IMPL_AUTO]        = { "auto", 0, 0, 0, 0 },
	[XTS_IMPL_GENERIC]     = { "generic", xts_generic_enc, xts_generic_dec, 0, 0 },
	[XTS_IMPL_AESNI]       = { "aesni", xts_aesni_enc, xts_aesni_dec,
				   xts_aesni_units_enc, xts_aesni_units_dec },
	[XTS_IMPL_VAES_AVX2]   = { "vaes-avx2", xts_vaes_avx2_enc, xts_vaes_avx2_dec,
				   xts_vaes_avx2_units_enc, xts_vaes_avx2_units_dec },
	[XTS_IMPL_VAES_AVX512] = { "vaes-avx512", xts_vaes_avx512_enc, xts_vaes_avx512_dec,
				   xts_vaes_avx512_units_enc, xts_vaes_avx512_units_dec },
};

static unsigned int xts_avail;          /* 0: not probed yet */
static enum xts_impl xts_cur = XTS_IMPL_GENERIC;

static enum xts_impl best_impl(unsigned int avail)
{
	int i;

	for (i = XTS_IMPL_COUNT - 1; i > XTS_IMPL_GENERIC; i--)
		if (avail & (1u << i))
			return (enum xts_impl)i;
	return XTS_IMPL_GENERIC;
}

void xts_init_xcr0(uint64_t xcr0)
{
	unsigned int f = crypto_cpu_features_xcr0(xcr0);
	unsigned int avail = 1u << XTS_IMPL_GENERIC;
	const unsigned int need_avx2 = CRYPTO_CPU_AES | CRYPTO_CPU_AVX |
				       CRYPTO_CPU_AVX2 | CRYPTO_CPU_VAES;
	const unsigned int need_avx512 = need_avx2 | CRYPTO_CPU_AVX512F |
					 CRYPTO_CPU_AVX512VL;

	if ((f & (CRYPTO_CPU_AES | CRYPTO_CPU_SSE41)) ==
	    (CRYPTO_CPU_AES | CRYPTO_CPU_SSE41))
		avail |= 1u << XTS_IMPL_AESNI;
	if ((f & need_avx2) == need_avx2)
		avail |= 1u << XTS_IMPL_VAES_AVX2;
	if ((f & need_avx512) == need_avx512)
		avail |= 1u << XTS_IMPL_VAES_AVX512;
	xts_avail = avail;
	xts_cur = best_impl(avail);
}

void xts_init(void)
{
	xts_init_xcr0(crypto_xgetbv0());
}

static inline void xts_probe(void)
{
	if (!xts_avail)
		xts_init();
}

unsigned int xts_impl_available(void)
{
	xts_probe();
	return xts_avail;
}

int xts_force_impl(enum xts_impl impl)
{
	xts_probe();
	if (impl == XTS_IMPL_AUTO) {
		xts_cur = best_impl(xts_avail);
		return CRYPTO_OK;
	}
	if ((unsigned int)impl >= XTS_IMPL_COUNT || !(xts_avail & (1u << impl)))
		return CRYPTO_ENOTSUP;
	xts_cur = impl;
	return CRYPTO_OK;
}

enum xts_impl xts_active_impl(void)
{
	xts_probe();
	return xts_cur;
}

const char *xts_impl_name(enum xts_impl impl)
{
	if ((unsigned int)impl >= XTS_IMPL_COUNT)
		return "?";
	return xts_paths[impl].name;
}

/* ---- keys ---------------------------------------------------------------- */

int xts_setkey(struct xts_key *k, const uint8_t *key, size_t keylen)
{
	int rc;

	if (keylen != 32 && keylen != 64)
		return CRYPTO_EINVAL;
	rc = aes_setkey(&k->data, key, keylen / 2);
	if (!rc)
		rc = aes_setkey(&k->tweak, key + keylen / 2, keylen / 2);
	if (rc)
		xts_clear_key(k);
	return rc;
}

void xts_clear_key(struct xts_key *k)
{
	crypto_wipe(k, sizeof(*k));
}

/* ---- one data unit, with ciphertext stealing ---------------------------- */

/* Tweak of block j: E_K2(tweak) * alpha^j (constant-time code). */
static void tweak_at(const struct xts_key *k, const uint8_t tweak[16], size_t j,
		     uint8_t out[16])
{
	struct tweak128 tw;

	aes_encrypt_block(&k->tweak, tweak, out);
	tweak_load(&tw, out);
	while (j--)
		tweak_double(&tw);
	tweak_store(&tw, out);
	crypto_wipe(&tw, sizeof(tw));
}

static void xts_block(const struct aes_key *k, const uint8_t t[16],
		      const uint8_t in[16], uint8_t out[16], int dec)
{
	uint8_t b[16];

	xor16(b, in, t);
	if (dec)
		aes_decrypt_block(k, b, b);
	else
		aes_encrypt_block(k, b, b);
	xor16(out, b, t);
	crypto_wipe(b, sizeof(b));
}

static int xts_crypt(const struct xts_key *k, const uint8_t tweak[16],
		     const uint8_t *in, uint8_t *out, size_t len, int dec)
{
	const struct xts_path *p;
	size_t full, r;
	uint8_t ta[16], tb[16], cc[16], pp[16];
	size_t m, i;

	if (len < 16)
		return CRYPTO_EINVAL;
	xts_probe();
	p = &xts_paths[xts_cur];
	full = len / 16;
	r = len % 16;
	if (!r) {
		(dec ? p->dec : p->enc)(k, tweak, in, out, full);
		return CRYPTO_OK;
	}
	/* Stealing: blocks 0..m-2 normally, then the last full + partial. */
	m = full;               /* index of the partial block */
	if (m > 1)
		(dec ? p->dec : p->enc)(k, tweak, in, out, m - 1);
	tweak_at(k, tweak, m - 1, ta);
	crypto_memcpy(tb, ta, 16);
	{
		struct tweak128 tw;

		tweak_load(&tw, tb);
		tweak_double(&tw);
		tweak_store(&tw, tb);
	}
	in += 16 * (m - 1);
	out += 16 * (m - 1);
	if (!dec) {
		xts_block(&k->data, ta, in, cc, 0);
		for (i = 0; i < 16; i++)
			pp[i] = i < r ? in[16 + i] : cc[i];
		for (i = 0; i < r; i++)
			out[16 + i] = cc[i];
		xts_block(&k->data, tb, pp, out, 0);
	} else {
		xts_block(&k->data, tb, in, pp, 1);
		for (i = 0; i < 16; i++)
			cc[i] = i < r ? in[16 + i] : pp[i];
		for (i = 0; i < r; i++)
			out[16 + i] = pp[i];
		xts_block(&k->data, ta, cc, out, 1);
	}
	crypto_wipe(ta, sizeof(ta));
	crypto_wipe(tb, sizeof(tb));
	crypto_wipe(cc, sizeof(cc));
	crypto_wipe(pp, sizeof(pp));
	return CRYPTO_OK;
}

int xts_encrypt(const struct xts_key *k, const uint8_t tweak[16],
		const uint8_t *in, uint8_t *out, size_t len)
{
	return xts_crypt(k, tweak, in, out, len, 0);
}

int xts_decrypt(const struct xts_key *k, const uint8_t tweak[16],
		const uint8_t *in, uint8_t *out, size_t len)
{
	return xts_crypt(k, tweak, in, out, len, 1);
}

/* ---- runs of data units --------------------------------------------------- */

static int xts_units(const struct xts_key *k, uint64_t unit, size_t unit_size,
		     const uint8_t *in, uint8_t *out, size_t len, int dec)
{
	const struct xts_path *p;
	xts_units_fn ufn;
	xts_path_fn fn;
	uint8_t tweak[16];
	size_t nb;

	if (unit_size < 16 || unit_size % 16 || len % unit_size)
		return CRYPTO_EINVAL;
	xts_probe();
	p = &xts_paths[xts_cur];
	nb = unit_size / 16;
	ufn = dec ? p->units_dec : p->units_enc;
	if (ufn) {
		if (len)
			ufn(k, unit, nb, in, out, len / unit_size);
		return CRYPTO_OK;
	}
	fn = dec ? p->dec : p->enc;
	for (; len; len -= unit_size, unit++) {
		xts_tweak_from_u64(tweak, unit);
		fn(k, tweak, in, out, nb);
		in += unit_size;
		out += unit_size;
	}
	return CRYPTO_OK;
}

int xts_encrypt_units(const struct xts_key *k, uint64_t first_unit, size_t unit_size,
		      const uint8_t *in, uint8_t *out, size_t len)
{
	return xts_units(k, first_unit, unit_size, in, out, len, 0);
}

int xts_decrypt_units(const struct xts_key *k, uint64_t first_unit, size_t unit_size,
		      const uint8_t *in, uint8_t *out, size_t len)
{
	return xts_units(k, first_unit, unit_size, in, out, len, 1);
}

/* ---- self-test ------------------------------------------------------------ */

static int selftest_one(const uint8_t *key, size_t keylen, const uint8_t tweak[16],
			const uint8_t pt[32], const uint8_t ct[32])
{
	struct xts_key k;
	uint8_t buf[32];
	int ok;

	if (xts_setkey(&k, key, keylen))
		return CRYPTO_EIO;
	xts_encrypt(&k, tweak, pt, buf, 32);
	ok = crypto_ct_equal(buf, ct, 32);
	xts_decrypt(&k, tweak, ct, buf, 32);
	ok &= crypto_ct_equal(buf, pt, 32);
	xts_clear_key(&k);
	crypto_wipe(buf, sizeof(buf));
	return ok ? CRYPTO_OK : CRYPTO_EIO;
}

int xts_selftest(void)
{
	/* IEEE 1619-2007 vector 2 (XTS-AES-128). */
	static const uint8_t ct2[32] = {
		0xc4, 0x54, 0x18, 0x5e, 0x6a, 0x16, 0x93, 0x6e, 0x39, 0x33, 0x40, 0x38,
		0xac, 0xef, 0x83, 0x8b, 0xfb, 0x18, 0x6f, 0xff, 0x74, 0x80, 0xad, 0xc4,
		0x28, 0x93, 0x82, 0xec, 0xd6, 0xd3, 0x94, 0xf0,
	};
	/* IEEE 1619-2007 vector 10 (XTS-AES-256), first two blocks. */
	static const uint8_t key10[64] = {
		0x27, 0x18, 0x28, 0x18, 0x28, 0x45, 0x90, 0x45, 0x23, 0x53, 0x60, 0x28,
		0x74, 0x71, 0x35, 0x26, 0x62, 0x49, 0x77, 0x57, 0x24, 0x70, 0x93, 0x69,
		0x99, 0x59, 0x57, 0x49, 0x66, 0x96, 0x76, 0x27, 0x31, 0x41, 0x59, 0x26,
		0x53, 0x58, 0x97, 0x93, 0x23, 0x84, 0x62, 0x64, 0x33, 0x83, 0x27, 0x95,
		0x02, 0x88, 0x41, 0x97, 0x16, 0x93, 0x99, 0x37, 0x51, 0x05, 0x82, 0x09,
		0x74, 0x94, 0x45, 0x92,
	};
	static const uint8_t ct10[32] = {
		0x1c, 0x3b, 0x3a, 0x10, 0x2f, 0x77, 0x03, 0x86, 0xe4, 0x83, 0x6c, 0x99,
		0xe3, 0x70, 0xcf, 0x9b, 0xea, 0x00, 0x80, 0x3f, 0x5e, 0x48, 0x23, 0x57,
		0xa4, 0xae, 0x12, 0xd4, 0x14, 0xa3, 0xe6, 0x3b,
	};
	uint8_t key[64], tweak[16], pt[32];
	int i, rc;

	for (i = 0; i < 16; i++) {
		key[i] = 0x11;
		key[16 + i] = 0x22;
		tweak[i] = i < 5 ? 0x33 : 0;
	}
	for (i = 0; i < 32; i++)
		pt[i] = 0x44;
	rc = selftest_one(key, 32, tweak, pt, ct2);
	if (rc)
		return rc;
	xts_tweak_from_u64(tweak, 0xff);
	for (i = 0; i < 32; i++)
		pt[i] = (uint8_t)i;
	return selftest_one(key10, 64, tweak, pt, ct10);
}
