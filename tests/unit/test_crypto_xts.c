/*
 * Randomized cross-checks of every available XTS code path against
 * OpenSSL's EVP aes-128-xts / aes-256-xts: both key sizes, 512- and
 * 4096-byte data units plus odd lengths (whole blocks and ciphertext
 * stealing), in place and out of place, encrypt and decrypt.
 */
#include "crypto_test_util.h"
#include "crypto/xts_impl.h"
#include <openssl/evp.h>

static void openssl_xts(int enc, const uint8_t *key, size_t keylen,
			const uint8_t tweak[16], const uint8_t *in, uint8_t *out,
			size_t len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *cipher = keylen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts();
	int n = 0, f = 0;

	assert_non_null(c);
	assert_int_equal(EVP_CipherInit_ex(c, cipher, NULL, key, tweak, enc), 1);
	assert_int_equal(EVP_CipherUpdate(c, out, &n, in, (int)len), 1);
	assert_int_equal(EVP_CipherFinal_ex(c, out + n, &f), 1);
	assert_int_equal((size_t)(n + f), len);
	EVP_CIPHER_CTX_free(c);
}

static void cross_check(enum xts_impl impl, size_t keylen, size_t len, int rounds)
{
	uint64_t s = 0x9e3779b97f4a7c15ull ^ (keylen << 20) ^ len ^ ((uint64_t)impl << 40);
	uint8_t key[64], tweak[16];
	uint8_t *pt = malloc(len), *ref = malloc(len), *out = malloc(len), *inpl = malloc(len);
	struct xts_key k;
	int r;

	assert_int_equal(xts_force_impl(impl), 0);
	for (r = 0; r < rounds; r++) {
		test_fill(&s, key, keylen);
		/* XTS requires K1 != K2; OpenSSL rejects equal halves. */
		key[0] ^= (uint8_t)(memcmp(key, key + keylen / 2, keylen / 2) ? 0 : 1);
		test_fill(&s, tweak, 16);
		test_fill(&s, pt, len);
		assert_int_equal(xts_setkey(&k, key, keylen), 0);

		openssl_xts(1, key, keylen, tweak, pt, ref, len);
		assert_int_equal(xts_encrypt(&k, tweak, pt, out, len), 0);
		if (memcmp(out, ref, len))
			fail_msg("%s: encrypt != OpenSSL (key %zu, len %zu, round %d)",
				 xts_impl_name(impl), keylen, len, r);
		memcpy(inpl, pt, len);
		xts_encrypt(&k, tweak, inpl, inpl, len);
		assert_memory_equal(inpl, ref, len);

		openssl_xts(0, key, keylen, tweak, ref, out, len);
		assert_memory_equal(out, pt, len);
		assert_int_equal(xts_decrypt(&k, tweak, ref, out, len), 0);
		if (memcmp(out, pt, len))
			fail_msg("%s: decrypt != plaintext (key %zu, len %zu, round %d)",
				 xts_impl_name(impl), keylen, len, r);
		xts_decrypt(&k, tweak, inpl, inpl, len);
		assert_memory_equal(inpl, pt, len);
	}
	xts_clear_key(&k);
	free(pt); free(ref); free(out); free(inpl);
	xts_force_impl(XTS_IMPL_AUTO);
}

static void run_path(enum xts_impl impl)
{
	static const size_t odd[] = { 16, 17, 31, 32, 48, 64, 80, 100, 128, 144, 240,
				      255, 256, 272, 496, 508, 528, 1000, 1024, 4080, 4100 };
	size_t i, rounds = impl == XTS_IMPL_GENERIC ? 3 : 20;

	if (!(xts_impl_available() & (1u << impl)))
		skip();
	cross_check(impl, 32, 512, (int)rounds);
	cross_check(impl, 64, 512, (int)rounds);
	cross_check(impl, 32, 4096, (int)rounds);
	cross_check(impl, 64, 4096, (int)rounds);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		cross_check(impl, 32, odd[i], 2);
		cross_check(impl, 64, odd[i], 2);
	}
}

static void openssl_generic(void **state) { run_path(XTS_IMPL_GENERIC); }
static void openssl_aesni(void **state) { run_path(XTS_IMPL_AESNI); }
static void openssl_vaes_avx2(void **state) { run_path(XTS_IMPL_VAES_AVX2); }
static void openssl_vaes_avx512(void **state) { run_path(XTS_IMPL_VAES_AVX512); }

void call_misaligned(void *fn, const void *a, const void *b, const void *c, void *d,
		     size_t e);

/* SIMD entry points tolerate a stack that is not 16-byte aligned. */
static void misaligned_stack_entry(void **state)
{
	static const struct { enum xts_impl impl; xts_path_fn enc, dec; } p[] = {
		{ XTS_IMPL_AESNI, xts_aesni_enc, xts_aesni_dec },
		{ XTS_IMPL_VAES_AVX2, xts_vaes_avx2_enc, xts_vaes_avx2_dec },
		{ XTS_IMPL_VAES_AVX512, xts_vaes_avx512_enc, xts_vaes_avx512_dec },
	};
	uint8_t key[64], tw[16], pt[1024], ref[1024], out[1024];
	uint64_t s = 77;
	struct xts_key k;
	size_t i;

	test_fill(&s, key, 64);
	test_fill(&s, tw, 16);
	test_fill(&s, pt, sizeof(pt));
	xts_setkey(&k, key, 64);
	xts_generic_enc(&k, tw, pt, ref, sizeof(pt) / 16);
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		if (!(xts_impl_available() & (1u << p[i].impl)))
			continue;
		memset(out, 0, sizeof(out));
		call_misaligned((void *)p[i].enc, &k, tw, pt, out, sizeof(pt) / 16);
		assert_memory_equal(out, ref, sizeof(out));
		call_misaligned((void *)p[i].dec, &k, tw, ref, out, sizeof(pt) / 16);
		assert_memory_equal(out, pt, sizeof(out));
	}
}

/* Odd unit sizes and counts: partial passes and partial tweak groups. */
static void paths_agree_odd_units(void **state)
{
	static const size_t sizes[] = { 16, 48, 64, 80, 512, 528, 1008, 4096, 4112 };
	static const size_t counts[] = { 1, 2, 3, 4, 5, 7, 9 };
	enum { MAX = 4112 * 9 };
	uint8_t *pt = malloc(MAX), *ref = malloc(MAX), *out = malloc(MAX), key[64];
	uint64_t s = 4242;
	struct xts_key k;
	size_t a, b;
	int i, kl;

	test_fill(&s, pt, MAX);
	for (kl = 32; kl <= 64; kl += 32) {
		test_fill(&s, key, sizeof(key));
		xts_setkey(&k, key, (size_t)kl);
		for (a = 0; a < sizeof(sizes) / sizeof(sizes[0]); a++) {
			for (b = 0; b < sizeof(counts) / sizeof(counts[0]); b++) {
				size_t len = sizes[a] * counts[b];

				xts_force_impl(XTS_IMPL_GENERIC);
				xts_encrypt_units(&k, 0xfffffffffffffffdull, sizes[a], pt, ref, len);
				for (i = XTS_IMPL_AESNI; i < XTS_IMPL_COUNT; i++) {
					if (xts_force_impl((enum xts_impl)i))
						continue;
					assert_int_equal(xts_encrypt_units(&k, 0xfffffffffffffffdull,
									   sizes[a], pt, out, len), 0);
					if (memcmp(out, ref, len))
						fail_msg("%s: unit %zu x %zu differs", xts_impl_name(i),
							 sizes[a], counts[b]);
					xts_decrypt_units(&k, 0xfffffffffffffffdull, sizes[a], out, out, len);
					assert_memory_equal(out, pt, len);
				}
			}
		}
	}
	xts_force_impl(XTS_IMPL_AUTO);
	free(pt); free(ref); free(out);
}

/* All paths agree with each other on a multi-sector batch (units API). */
static void paths_agree_units(void **state)
{
	enum { LEN = 64 * 1024 };
	uint8_t *pt = malloc(LEN), *ref = malloc(LEN), *out = malloc(LEN);
	uint8_t key[64];
	uint64_t s = 42;
	struct xts_key k;
	size_t us;
	int i;

	test_fill(&s, key, sizeof(key));
	test_fill(&s, pt, LEN);
	xts_setkey(&k, key, 64);
	for (us = 512; us <= 4096; us *= 8) {
		xts_force_impl(XTS_IMPL_GENERIC);
		xts_encrypt_units(&k, 1000, us, pt, ref, LEN);
		for (i = XTS_IMPL_AESNI; i < XTS_IMPL_COUNT; i++) {
			if (xts_force_impl((enum xts_impl)i))
				continue;
			xts_encrypt_units(&k, 1000, us, pt, out, LEN);
			assert_memory_equal(out, ref, LEN);
			xts_decrypt_units(&k, 1000, us, out, out, LEN);
			assert_memory_equal(out, pt, LEN);
		}
	}
	xts_force_impl(XTS_IMPL_AUTO);
	free(pt); free(ref); free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(openssl_generic),
		cmocka_unit_test(openssl_aesni),
		cmocka_unit_test(openssl_vaes_avx2),
		cmocka_unit_test(openssl_vaes_avx512),
		cmocka_unit_test(paths_agree_units),
		cmocka_unit_test(paths_agree_odd_units),
		cmocka_unit_test(misaligned_stack_entry),
	};

	return cmocka_run_group_tests_name("crypto_xts", tests, NULL, NULL);
}
