/*
 * Known-answer tests for crypto/: AES (FIPS-197 appendix C), XTS-AES
 * (IEEE 1619-2007 vectors, on every code path this CPU has), SHA-256
 * (FIPS 180-2 examples), HMAC-SHA256 (RFC 4231), PBKDF2-HMAC-SHA256
 * (RFC 7914 section 11), constant-time compare, wipe, RNG, path selection.
 */
#include "crypto_test_util.h"
#include "crypto/aes.h"
#include "crypto/xts.h"
#include "crypto/sha256.h"
#include "crypto/random.h"

static void check_hex(const uint8_t *got, const char *want_hex)
{
	size_t n;
	uint8_t *want = unhex(want_hex, &n);

	assert_memory_equal(got, want, n);
	free(want);
}

/* ---- AES ---------------------------------------------------------------- */

static void aes_kat(const char *key_hex, const char *ct_hex)
{
	struct aes_key k;
	size_t klen;
	uint8_t *key = unhex(key_hex, &klen), pt[16], ct[16], back[16];
	int i;

	for (i = 0; i < 16; i++)
		pt[i] = (uint8_t)(i * 0x11);
	assert_int_equal(aes_setkey(&k, key, klen), 0);
	aes_encrypt_block(&k, pt, ct);
	check_hex(ct, ct_hex);
	aes_decrypt_block(&k, ct, back);
	assert_memory_equal(back, pt, 16);
	free(key);
}

static void aes128_fips197(void **state)
{
	aes_kat("000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a");
}

static void aes256_fips197(void **state)
{
	aes_kat("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"8ea2b7ca516745bfeafc49904b496089");
}

static void aes_key_schedule_fips197(void **state)
{
	/* FIPS-197 A.1: last round key of 2b7e1516... */
	struct aes_key k;
	uint8_t *key = unhex("2b7e151628aed2a6abf7158809cf4f3c", NULL);

	assert_int_equal(aes_setkey(&k, key, 16), 0);
	assert_int_equal(k.rounds, 10);
	check_hex(k.ek + 160, "d014f9a8c9ee2589e13f0cc8b6630ca6");
	free(key);
	assert_int_equal(aes_setkey(&k, (const uint8_t *)"x", 24), CRYPTO_EINVAL);
}

static void aes_ct_multi_block(void **state)
{
	/* 1..4 blocks at once give the same result as one at a time. */
	struct aes_key k;
	uint8_t key[32], in[64], out[64], one[16], back[64];
	uint64_t s = 0x1234;
	unsigned int n, i;

	test_fill(&s, key, sizeof(key));
	test_fill(&s, in, sizeof(in));
	aes_setkey(&k, key, 32);
	for (n = 1; n <= 4; n++) {
		aes_ct_encrypt4(&k, in, out, n);
		for (i = 0; i < n; i++) {
			aes_encrypt_block(&k, in + 16 * i, one);
			assert_memory_equal(out + 16 * i, one, 16);
		}
		aes_ct_decrypt4(&k, out, back, n);
		assert_memory_equal(back, in, 16 * n);
	}
}

/* ---- XTS: IEEE 1619-2007 vectors ---------------------------------------- */

struct xts_vec {
	const char *name, *key, *tweak, *pt, *ct;
};

static const char pt_0_to_511[] = "pattern";   /* marker: bytes i % 256 */

static const struct xts_vec xts_vecs[] = {
	{ "v1", "00000000000000000000000000000000" "00000000000000000000000000000000",
	  "00000000000000000000000000000000",
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e" },
	{ "v2", "11111111111111111111111111111111" "22222222222222222222222222222222",
	  "33333333330000000000000000000000",
	  "4444444444444444444444444444444444444444444444444444444444444444",
	  "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0" },
	{ "v3", "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0" "22222222222222222222222222222222",
	  "33333333330000000000000000000000",
	  "4444444444444444444444444444444444444444444444444444444444444444",
	  "af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89" },
	{ "v4", "27182818284590452353602874713526" "31415926535897932384626433832795",
	  "00000000000000000000000000000000", pt_0_to_511,
	  "27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c"
	  "c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412"
	  "328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce"
	  "93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265"
	  "5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8"
	  "a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434"
	  "1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c"
	  "5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e"
	  "94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc"
	  "1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3"
	  "e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344"
	  "b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd"
	  "74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752"
	  "afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e"
	  "bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d"
	  "eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568" },
	{ "v10", "27182818284590452353602874713526624977572470936999595749669676273141592653589793238462643383279502884197169399375105820974944592",
	  "ff000000000000000000000000000000", pt_0_to_511,
	  "1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
	  "5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
	  "5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0"
	  "c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
	  "2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0"
	  "b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
	  "93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec"
	  "583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
	  "84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1"
	  "505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
	  "9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29"
	  "a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
	  "6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f"
	  "645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
	  "1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa"
	  "773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151" },
	/* Ciphertext stealing (17..20-byte data units). */
	{ "v15", "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0",
	  "9a785634120000000000000000000000", "000102030405060708090a0b0c0d0e0f10",
	  "6c1625db4671522d3d7599601de7ca09ed" },
	{ "v16", "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0",
	  "9a785634120000000000000000000000", "000102030405060708090a0b0c0d0e0f1011",
	  "d069444b7a7e0cab09e24447d24deb1fedbf" },
	{ "v17", "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0",
	  "9a785634120000000000000000000000", "000102030405060708090a0b0c0d0e0f101112",
	  "e5df1351c0544ba1350b3363cd8ef4beedbf9d" },
	{ "v18", "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0",
	  "9a785634120000000000000000000000", "000102030405060708090a0b0c0d0e0f10111213",
	  "9d84c813f719aa2c7be3f66171c7c5c2edbf9dac" },
};

static void xts_vectors_on(enum xts_impl impl)
{
	size_t v;

	assert_int_equal(xts_force_impl(impl), 0);
	for (v = 0; v < sizeof(xts_vecs) / sizeof(xts_vecs[0]); v++) {
		const struct xts_vec *x = &xts_vecs[v];
		struct xts_key k;
		size_t klen, tlen, plen, clen, i;
		uint8_t *key = unhex(x->key, &klen), *tw = unhex(x->tweak, &tlen);
		uint8_t *pt, *ct = unhex(x->ct, &clen), *buf;

		if (x->pt == pt_0_to_511) {
			plen = 512;
			pt = malloc(plen);
			for (i = 0; i < plen; i++)
				pt[i] = (uint8_t)i;
		} else {
			pt = unhex(x->pt, &plen);
		}
		assert_int_equal(plen, clen);
		assert_int_equal(tlen, 16);
		buf = malloc(plen);
		assert_int_equal(xts_setkey(&k, key, klen), 0);
		/* out of place */
		assert_int_equal(xts_encrypt(&k, tw, pt, buf, plen), 0);
		if (memcmp(buf, ct, plen))
			fail_msg("%s encrypt mismatch on %s", x->name, xts_impl_name(impl));
		assert_int_equal(xts_decrypt(&k, tw, ct, buf, plen), 0);
		if (memcmp(buf, pt, plen))
			fail_msg("%s decrypt mismatch on %s", x->name, xts_impl_name(impl));
		/* in place */
		memcpy(buf, pt, plen);
		xts_encrypt(&k, tw, buf, buf, plen);
		assert_memory_equal(buf, ct, plen);
		xts_decrypt(&k, tw, buf, buf, plen);
		assert_memory_equal(buf, pt, plen);
		xts_clear_key(&k);
		free(key); free(tw); free(pt); free(ct); free(buf);
	}
	xts_force_impl(XTS_IMPL_AUTO);
}

#define XTS_PATH_TEST(fn, impl)                                        \
	static void fn(void **state)                                   \
	{                                                              \
		if (!(xts_impl_available() & (1u << (impl))))          \
			skip();                                        \
		xts_vectors_on(impl);                                  \
	}
XTS_PATH_TEST(xts_ieee1619_generic, XTS_IMPL_GENERIC)
XTS_PATH_TEST(xts_ieee1619_aesni, XTS_IMPL_AESNI)
XTS_PATH_TEST(xts_ieee1619_vaes_avx2, XTS_IMPL_VAES_AVX2)
XTS_PATH_TEST(xts_ieee1619_vaes_avx512, XTS_IMPL_VAES_AVX512)

static void xts_selftest_every_path(void **state)
{
	int i;

	for (i = XTS_IMPL_GENERIC; i < XTS_IMPL_COUNT; i++) {
		if (xts_force_impl((enum xts_impl)i))
			continue;
		assert_int_equal(xts_selftest(), 0);
	}
	xts_force_impl(XTS_IMPL_AUTO);
}

static void xts_units_plain64(void **state)
{
	/* Units API == one xts_encrypt per unit with tweak = unit number. */
	struct xts_key k;
	uint8_t key[64], buf[4 * 512], ref[4 * 512], tw[16];
	uint64_t s = 99, first = 0xfffffffffffffffeull;
	int u;

	test_fill(&s, key, sizeof(key));
	test_fill(&s, buf, sizeof(buf));
	xts_setkey(&k, key, 64);
	for (u = 0; u < 4; u++) {
		xts_tweak_from_u64(tw, first + (uint64_t)u);   /* wraps like plain64 */
		xts_encrypt(&k, tw, buf + 512 * u, ref + 512 * u, 512);
	}
	assert_int_equal(xts_encrypt_units(&k, first, 512, buf, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, ref, sizeof(buf));
	assert_int_equal(xts_decrypt_units(&k, first, 512, buf, buf, sizeof(buf)), 0);
	assert_int_equal(xts_encrypt_units(&k, 0, 500, buf, buf, 1000), CRYPTO_EINVAL);
	assert_int_equal(xts_encrypt_units(&k, 0, 512, buf, buf, 1000), CRYPTO_EINVAL);
}

static void xts_bad_args(void **state)
{
	struct xts_key k;
	uint8_t key[64] = { 0 }, tw[16] = { 0 }, b[16] = { 0 };

	assert_int_equal(xts_setkey(&k, key, 48), CRYPTO_EINVAL);
	assert_int_equal(xts_setkey(&k, key, 16), CRYPTO_EINVAL);
	assert_int_equal(xts_setkey(&k, key, 32), 0);
	assert_int_equal(xts_encrypt(&k, tw, b, b, 15), CRYPTO_EINVAL);
	assert_int_equal(xts_decrypt(&k, tw, b, b, 0), CRYPTO_EINVAL);
}

static void xts_impl_selection(void **state)
{
	unsigned int avail = xts_impl_available();
	int i;

	assert_true(avail & (1u << XTS_IMPL_GENERIC));
	assert_int_equal(xts_force_impl(XTS_IMPL_GENERIC), 0);
	assert_int_equal(xts_active_impl(), XTS_IMPL_GENERIC);
	for (i = XTS_IMPL_GENERIC; i < XTS_IMPL_COUNT; i++) {
		int rc = xts_force_impl((enum xts_impl)i);

		assert_int_equal(rc, (avail & (1u << i)) ? 0 : CRYPTO_ENOTSUP);
		print_message("# path %-12s %s\n", xts_impl_name((enum xts_impl)i),
			      rc ? "unavailable" : "available");
	}
	assert_int_equal(xts_force_impl(XTS_IMPL_COUNT), CRYPTO_ENOTSUP);
	assert_int_equal(xts_force_impl(XTS_IMPL_AUTO), 0);
	/* auto picks the highest available */
	for (i = XTS_IMPL_COUNT - 1; i >= XTS_IMPL_GENERIC; i--)
		if (avail & (1u << i))
			break;
	assert_int_equal(xts_active_impl(), i);
	/* With an XCR0 lacking AVX state, only non-AVX paths remain. */
	xts_init_xcr0(0x3);
	assert_false(xts_impl_available() & (1u << XTS_IMPL_VAES_AVX2));
	assert_false(xts_impl_available() & (1u << XTS_IMPL_VAES_AVX512));
	xts_init();
	assert_int_equal(xts_impl_available(), avail);
}

/* ---- SHA-256 / HMAC / PBKDF2 ---------------------------------------------- */

static void sha256_fips180(void **state)
{
	uint8_t d[32];
	struct sha256_ctx c;
	static uint8_t mil[1000000];
	int i;

	sha256("abc", 3, d);
	check_hex(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256("", 0, d);
	check_hex(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	check_hex(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(mil, 'a', sizeof(mil));
	sha256(mil, sizeof(mil), d);
	check_hex(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* Same million 'a' fed in odd-sized pieces. */
	sha256_init(&c);
	for (i = 0; i < 1000000; i += 997)
		sha256_update(&c, mil + i, 1000000 - i < 997 ? 1000000 - i : 997);
	sha256_final(&c, d);
	check_hex(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void hmac_sha256_rfc4231(void **state)
{
	static const struct {
		const char *key, *data, *mac;
		int data_is_hex;
	} v[] = {
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 0 },
		{ "4a656665", "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		  "dddddddddddddddddddddddddddddd",
		  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 1 },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 1 },
		{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation",
		  "a3b6167473100ee06e0c796c2955552b", 0 },
		{ NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 0 },
		{ NULL, "This is a test using a larger than block-size key and a larger "
			"than block-size data. The key needs to be hashed before being "
			"used by the HMAC algorithm.",
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 0 },
	};
	uint8_t bigkey[131], mac[32];
	size_t i;

	memset(bigkey, 0xaa, sizeof(bigkey));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t klen, dlen;
		uint8_t *key = v[i].key ? unhex(v[i].key, &klen) : NULL;
		uint8_t *data = v[i].data_is_hex ? unhex(v[i].data, &dlen) : NULL;

		if (!key)
			klen = sizeof(bigkey);
		if (!data)
			dlen = strlen(v[i].data);
		hmac_sha256(key ? key : bigkey, klen,
			    data ? data : (const uint8_t *)v[i].data, dlen, mac);
		check_hex(mac, v[i].mac);
		free(key);
		free(data);
	}
}

static void pbkdf2_sha256_rfc7914(void **state)
{
	uint8_t dk[64];

	assert_int_equal(pbkdf2_hmac_sha256("passwd", 6, "salt", 4, 1, dk, 64), 0);
	check_hex(dk, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
		      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
	assert_int_equal(pbkdf2_hmac_sha256("Password", 8, "NaCl", 4, 80000, dk, 64), 0);
	check_hex(dk, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
		      "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
	assert_int_equal(pbkdf2_hmac_sha256("p", 1, "s", 1, 0, dk, 64), CRYPTO_EINVAL);
}

/* ---- helpers -------------------------------------------------------------- */

static void ct_equal_and_wipe(void **state)
{
	uint8_t a[64], b[64];
	int i;

	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_int_equal(crypto_ct_equal(a, b, sizeof(a)), 1);
	assert_int_equal(crypto_ct_equal(a, b, 0), 1);
	for (i = 0; i < 64; i++) {
		b[i] ^= 0x80;
		assert_int_equal(crypto_ct_equal(a, b, sizeof(a)), 0);
		b[i] ^= 0x81;
		assert_int_equal(crypto_ct_equal(a, b, sizeof(a)), 0);
		b[i] ^= 0x01;
	}
	crypto_wipe(a, sizeof(a));
	for (i = 0; i < 64; i++)
		assert_int_equal(a[i], 0);
}

static void random_bytes(void **state)
{
	uint8_t a[61], b[61], z[61] = { 0 };

	if (!crypto_random_sources()) {
		assert_int_equal(crypto_random_bytes(a, sizeof(a)), CRYPTO_ENOTSUP);
		return;
	}
	assert_int_equal(crypto_random_bytes(a, sizeof(a)), 0);
	assert_int_equal(crypto_random_bytes(b, sizeof(b)), 0);
	assert_memory_not_equal(a, z, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(crypto_random_bytes(a, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aes128_fips197),
		cmocka_unit_test(aes256_fips197),
		cmocka_unit_test(aes_key_schedule_fips197),
		cmocka_unit_test(aes_ct_multi_block),
		cmocka_unit_test(xts_ieee1619_generic),
		cmocka_unit_test(xts_ieee1619_aesni),
		cmocka_unit_test(xts_ieee1619_vaes_avx2),
		cmocka_unit_test(xts_ieee1619_vaes_avx512),
		cmocka_unit_test(xts_selftest_every_path),
		cmocka_unit_test(xts_units_plain64),
		cmocka_unit_test(xts_bad_args),
		cmocka_unit_test(xts_impl_selection),
		cmocka_unit_test(sha256_fips180),
		cmocka_unit_test(hmac_sha256_rfc4231),
		cmocka_unit_test(pbkdf2_sha256_rfc7914),
		cmocka_unit_test(ct_equal_and_wipe),
		cmocka_unit_test(random_bytes),
	};

	return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
