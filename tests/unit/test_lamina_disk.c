/*
 * build/lamina-disk end to end: round trips, agreement with OpenSSL EVP
 * aes-xts (the dm-crypt aes-xts-plain64 layout) over whole images, sector
 * ranges, passphrase keys (PBKDF2 checked against OpenSSL), every code
 * path, and the documented exit codes for bad input.
 */
#define _GNU_SOURCE
#include "crypto_test_util.h"
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "crypto/xts.h"

#ifndef LAMINA_DISK
#define LAMINA_DISK "build/lamina-disk"
#endif

static char dir[256];

static void path(char *out, const char *name)
{
	snprintf(out, 512, "%s/%s", dir, name);
}

static void write_file(const char *name, const uint8_t *data, size_t len)
{
	char p[512];
	FILE *f;

	path(p, name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static uint8_t *read_file(const char *name, size_t *len)
{
	char p[512];
	FILE *f;
	uint8_t *b;
	long n;

	path(p, name);
	f = fopen(p, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Run lamina-disk with args (a printf format); returns its exit status. */
static int run(const char *fmt, ...)
{
	char args[1024], cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	/* LAMINA_DISK is relative to the top directory unless absolute. */
	snprintf(cmd, sizeof(cmd), "cd %s && %s%s" LAMINA_DISK " %s 2>>stderr.log",
		 dir, LAMINA_DISK[0] == '/' ? "" : getenv("LAMINA_TOP"),
		 LAMINA_DISK[0] == '/' ? "" : "/", args);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* Reference: OpenSSL per sector, tweak = (sector * mult + ivoff). */
static void ossl_image(int enc, const uint8_t *key, size_t keylen, uint8_t *img,
		       size_t sector, uint64_t first, uint64_t n, uint64_t mult)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t tw[16];
	uint64_t s;
	int len;

	assert_int_equal(EVP_CipherInit_ex(c, keylen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts(),
					   NULL, key, NULL, enc), 1);
	for (s = first; s < first + n; s++) {
		xts_tweak_from_u64(tw, s * mult);
		assert_int_equal(EVP_CipherInit_ex(c, NULL, NULL, NULL, tw, -1), 1);
		assert_int_equal(EVP_CipherUpdate(c, img + s * sector, &len,
						  img + s * sector, (int)sector), 1);
	}
	EVP_CIPHER_CTX_free(c);
}

static int setup(void **state)
{
	char cwd[200];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	setenv("LAMINA_TOP", cwd, 1);
	snprintf(dir, sizeof(dir), "/tmp/lamina-disk-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void whole_image_vs_openssl(size_t keylen, size_t sector, int iv512)
{
	enum { SIZE = 3 * 1024 * 1024 + 8192 };
	uint64_t s = 0xabcdef ^ keylen ^ sector;
	uint8_t key[64], *img = malloc(SIZE), *ref = malloc(SIZE), *out;
	size_t len;

	test_fill(&s, key, keylen);
	test_fill(&s, img, SIZE);
	memcpy(ref, img, SIZE);
	write_file("key", key, keylen);
	write_file("img", img, SIZE);
	assert_int_equal(run("encrypt --key-file key --sector-size %zu %s img", sector,
			     iv512 ? "--iv-512" : ""), 0);
	ossl_image(1, key, keylen, ref, sector, 0, SIZE / sector, iv512 ? sector / 512 : 1);
	out = read_file("img", &len);
	assert_int_equal(len, SIZE);
	assert_memory_equal(out, ref, SIZE);
	free(out);
	assert_int_equal(run("decrypt --key-file key --sector-size %zu %s img", sector,
			     iv512 ? "--iv-512" : ""), 0);
	out = read_file("img", &len);
	assert_memory_equal(out, img, SIZE);
	free(out); free(img); free(ref);
}

static void image_aes128_512(void **state) { whole_image_vs_openssl(32, 512, 0); }
static void image_aes256_512(void **state) { whole_image_vs_openssl(64, 512, 0); }
static void image_aes128_4096(void **state) { whole_image_vs_openssl(32, 4096, 0); }
static void image_aes256_4096(void **state) { whole_image_vs_openssl(64, 4096, 0); }
static void image_aes256_4096_iv512(void **state) { whole_image_vs_openssl(64, 4096, 1); }

static void sector_range(void **state)
{
	enum { SIZE = 512 * 100 };
	uint64_t s = 7;
	uint8_t key[64], *img = malloc(SIZE), *ref = malloc(SIZE), *out;
	size_t len;

	test_fill(&s, key, 64);
	test_fill(&s, img, SIZE);
	memcpy(ref, img, SIZE);
	write_file("key", key, 64);
	write_file("img", img, SIZE);
	assert_int_equal(run("encrypt --key-file key --offset 10 --count 33 img"), 0);
	ossl_image(1, key, 64, ref, 512, 10, 33, 1);
	out = read_file("img", &len);
	assert_memory_equal(out, ref, SIZE);   /* untouched outside 10..42 */
	free(out);
	/* --iv-offset shifts the tweak only */
	assert_int_equal(run("decrypt --key-file key --offset 10 --count 33 img"), 0);
	assert_int_equal(run("encrypt --key-file key --offset 0 --count 1 --iv-offset 5 img"), 0);
	memcpy(ref, img, SIZE);
	{
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		uint8_t tw[16];
		int l;

		xts_tweak_from_u64(tw, 5);
		EVP_CipherInit_ex(c, EVP_aes_256_xts(), NULL, key, tw, 1);
		EVP_CipherUpdate(c, ref, &l, img, 512);
		EVP_CIPHER_CTX_free(c);
	}
	out = read_file("img", &len);
	assert_memory_equal(out, ref, SIZE);
	free(out); free(img); free(ref);
}

static void passphrase_pbkdf2(void **state)
{
	enum { SIZE = 64 * 1024 };
	const char *pass = "correct horse battery staple";
	uint8_t key[64], *img = malloc(SIZE), *ref = malloc(SIZE), *out;
	uint64_t s = 3;
	size_t len;

	test_fill(&s, img, SIZE);
	memcpy(ref, img, SIZE);
	write_file("img", img, SIZE);
	/* trailing newline is dropped */
	write_file("pass", (const uint8_t *)"correct horse battery staple\n", strlen(pass) + 1);
	assert_int_equal(run("encrypt --passphrase-file pass --iterations 1000 --salt NaCl img"), 0);
	assert_int_equal(PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), (const uint8_t *)"NaCl", 4,
					   1000, EVP_sha256(), 64, key), 1);
	ossl_image(1, key, 64, ref, 512, 0, SIZE / 512, 1);
	out = read_file("img", &len);
	assert_memory_equal(out, ref, SIZE);
	free(out);
	/* --key-size 256 gives XTS-AES-128 with a 32-byte derived key */
	assert_int_equal(run("decrypt --passphrase-file pass --iterations 1000 --salt NaCl img"), 0);
	assert_int_equal(run("encrypt --passphrase-file pass --iterations 1000 --key-size 256 img"), 0);
	memcpy(ref, img, SIZE);
	assert_int_equal(PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), (const uint8_t *)"lamina-disk",
					   11, 1000, EVP_sha256(), 32, key), 1);
	ossl_image(1, key, 32, ref, 512, 0, SIZE / 512, 1);
	out = read_file("img", &len);
	assert_memory_equal(out, ref, SIZE);
	free(out); free(img); free(ref);
}

static void every_code_path_same_output(void **state)
{
	enum { SIZE = 256 * 1024 };
	static const char *paths[] = { "generic", "aesni", "vaes-avx2", "vaes-avx512" };
	uint64_t s = 11;
	uint8_t key[32], *img = malloc(SIZE), *first = NULL, *out;
	unsigned int avail = xts_impl_available();
	size_t len, i;

	test_fill(&s, key, 32);
	test_fill(&s, img, SIZE);
	write_file("key", key, 32);
	for (i = 0; i < 4; i++) {
		if (!(avail & (1u << (XTS_IMPL_GENERIC + i)))) {
			write_file("img", img, SIZE);
			assert_int_equal(run("encrypt --key-file key --impl %s img", paths[i]), 2);
			continue;
		}
		write_file("img", img, SIZE);
		assert_int_equal(run("encrypt --key-file key --sector-size 4096 --impl %s img",
				     paths[i]), 0);
		out = read_file("img", &len);
		if (!first)
			first = out;
		else {
			assert_memory_equal(out, first, SIZE);
			free(out);
		}
	}
	free(first); free(img);
}

static void bad_input_exit_2(void **state)
{
	uint8_t key[64], img[1000];
	uint64_t s = 5;
	size_t len;
	uint8_t *out;

	test_fill(&s, key, 64);
	test_fill(&s, img, sizeof(img));
	write_file("key", key, 64);
	write_file("key40", key, 40);
	write_file("img1000", img, 1000);           /* not a multiple of 512 */
	write_file("img", img, 512);
	assert_int_equal(run("--help > /dev/null"), 0);
	assert_int_equal(run("encrypt --key-file key40 img"), 2);
	assert_int_equal(run("encrypt --key-file missing img"), 2);
	assert_int_equal(run("encrypt --key-file key missing-image"), 2);
	assert_int_equal(run("encrypt --key-file key img1000"), 2);
	assert_int_equal(run("encrypt --key-file key --sector-size 1024 img"), 2);
	assert_int_equal(run("encrypt --key-file key --sector-size 4096 img"), 2);
	assert_int_equal(run("encrypt --key-file key --offset 2 img"), 2);
	assert_int_equal(run("encrypt --key-file key --count 2 img"), 2);
	assert_int_equal(run("encrypt --key-file key --bogus img"), 2);
	assert_int_equal(run("frobnicate --key-file key img"), 2);
	assert_int_equal(run("encrypt img"), 2);
	assert_int_equal(run("encrypt --key-file key"), 2);
	assert_int_equal(run("encrypt --key-file key --passphrase-file key img"), 2);
	assert_int_equal(run("encrypt --key-file key --offset abc img"), 2);
	assert_int_equal(run("encrypt --key-file key --impl nope img"), 2);
	/* nothing was written by the failed runs */
	out = read_file("img", &len);
	assert_int_equal(len, 512);
	assert_memory_equal(out, img, 512);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(image_aes128_512),
		cmocka_unit_test(image_aes256_512),
		cmocka_unit_test(image_aes128_4096),
		cmocka_unit_test(image_aes256_4096),
		cmocka_unit_test(image_aes256_4096_iv512),
		cmocka_unit_test(sector_range),
		cmocka_unit_test(passphrase_pbkdf2),
		cmocka_unit_test(every_code_path_same_output),
		cmocka_unit_test(bad_input_exit_2),
	};

	return cmocka_run_group_tests_name("lamina_disk", tests, setup, teardown);
}
