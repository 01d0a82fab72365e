/*
 * crypto-bench: XTS-AES throughput of every Lamina code path next to
 * OpenSSL EVP aes-xts, measured in the same run on the same buffer.
 *
 * Each row encrypts or decrypts a 1 MiB buffer in place as consecutive
 * data units (512 B or 4 KiB, plain64 tweaks), the way a disk mediator
 * does: Lamina with one xts_*_units() call per buffer, OpenSSL with one
 * EVP_CipherInit_ex(IV) + EVP_CipherUpdate() per data unit (its XTS takes
 * one tweak per call).  The "per-unit" column is Lamina's fastest path
 * called the OpenSSL way, one xts_encrypt()/xts_decrypt() per data unit.
 * "OpenSSL same-IV" calls only EVP_CipherUpdate() per data unit, never
 * changing the tweak (what `openssl speed -evp aes-xts` measures): not
 * usable for a disk, shown as OpenSSL's upper bound.  The ratio compares
 * Lamina's fastest path with the better of the two OpenSSL figures.
 * The machine may be shared: every round measures all columns back to
 * back and each figure is the best of several rounds of ~100 ms each.
 *
 * Usage: crypto-bench [--time-ms N] [--buf-kib N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "crypto/xts.h"
#include "arch/x86/xstate.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t buf_len = 1 << 20;
static double run_time = 0.1;
enum { REPEAT = 5 };

struct job {
	int enc;
	size_t keylen, unit;
	uint8_t *buf;
	const uint8_t *key;
	struct xts_key *k;
	EVP_CIPHER_CTX *ctx;
};

static void lamina_pass(struct job *j)
{
	if (j->enc)
		xts_encrypt_units(j->k, 0, j->unit, j->buf, j->buf, buf_len);
	else
		xts_decrypt_units(j->k, 0, j->unit, j->buf, j->buf, buf_len);
}

static void lamina_unit_pass(struct job *j)
{
	uint8_t tw[16];
	size_t off;

	for (off = 0; off < buf_len; off += j->unit) {
		xts_tweak_from_u64(tw, off / j->unit);
		if (j->enc)
			xts_encrypt(j->k, tw, j->buf + off, j->buf + off, j->unit);
		else
			xts_decrypt(j->k, tw, j->buf + off, j->buf + off, j->unit);
	}
}

static void openssl_pass(struct job *j)
{
	uint8_t iv[16];
	size_t off;
	int n;

	for (off = 0; off < buf_len; off += j->unit) {
		xts_tweak_from_u64(iv, off / j->unit);
		if (EVP_CipherInit_ex(j->ctx, NULL, NULL, NULL, iv, -1) != 1 ||
		    EVP_CipherUpdate(j->ctx, j->buf + off, &n, j->buf + off, (int)j->unit) != 1) {
			fprintf(stderr, "crypto-bench: OpenSSL failed\n");
			exit(1);
		}
	}
}

static void openssl_sameiv_pass(struct job *j)
{
	size_t off;
	int n;

	for (off = 0; off < buf_len; off += j->unit)
		if (EVP_CipherUpdate(j->ctx, j->buf + off, &n, j->buf + off, (int)j->unit) != 1) {
			fprintf(stderr, "crypto-bench: OpenSSL failed\n");
			exit(1);
		}
}

/* MB/s (10^6 bytes per second) of one timed run of ~run_time. */
static double measure(void (*pass)(struct job *), struct job *j)
{
	double t0 = now(), t;
	long n = 0;

	do {
		pass(j);
		n++;
		t = now() - t0;
	} while (t < run_time);
	return n * (double)buf_len / t / 1e6;
}

#define NCOL (XTS_IMPL_COUNT + 2)    /* paths..., per-unit, OpenSSL x2 */
#define COL_UNIT  XTS_IMPL_COUNT
#define COL_OSSL  0                  /* XTS_IMPL_AUTO slot is unused */
#define COL_OSSL2 (XTS_IMPL_COUNT + 1)

int main(int argc, char **argv)
{
	static const size_t keylens[] = { 32, 64 }, units[] = { 512, 4096 };
	unsigned int avail;
	uint8_t key[64];
	struct xts_key k;
	struct job j;
	size_t ki, ui;
	int i, enc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--time-ms") && i + 1 < argc)
			run_time = atof(argv[++i]) / 1000.0;
		else if (!strcmp(argv[i], "--buf-kib") && i + 1 < argc)
			buf_len = (size_t)atol(argv[++i]) * 1024;
		else {
			fprintf(stderr, "usage: %s [--time-ms N] [--buf-kib N]\n", argv[0]);
			return 2;
		}
	}
	if (!buf_len || buf_len % 4096) {
		fprintf(stderr, "crypto-bench: --buf-kib must be a multiple of 4\n");
		return 2;
	}
	for (i = 0; i < 64; i++)
		key[i] = (uint8_t)(i * 37 + 11);
	j.buf = malloc(buf_len);
	memset(j.buf, 0xa5, buf_len);
	j.k = &k;
	j.key = key;
	j.ctx = EVP_CIPHER_CTX_new();
	avail = xts_impl_available();

	printf("XTS-AES throughput, MB/s (10^6 B/s), %zu KiB buffer, best of %d rounds x %.0f ms\n",
	       buf_len / 1024, REPEAT, run_time * 1000);
	printf("paths available:");
	for (i = XTS_IMPL_GENERIC; i < XTS_IMPL_COUNT; i++)
		if (avail & (1u << i))
			printf(" %s", xts_impl_name((enum xts_impl)i));
	printf(" (auto = %s)\n\n", xts_impl_name(xts_active_impl()));

	printf("| cipher      | op  | unit |");
	for (i = XTS_IMPL_GENERIC; i < XTS_IMPL_COUNT; i++)
		printf(" %11s |", xts_impl_name((enum xts_impl)i));
	printf("  per-unit |   OpenSSL | OpenSSL same-IV | best/OpenSSL |\n"
	       "|-------------|-----|------|");
	for (i = XTS_IMPL_GENERIC; i < XTS_IMPL_COUNT; i++)
		printf("-------------|");
	printf("-----------|-----------|-----------------|--------------|\n");

	for (ki = 0; ki < 2; ki++) {
		for (ui = 0; ui < 2; ui++) {
			for (enc = 1; enc >= 0; enc--) {
				double best[NCOL] = { 0 }, top = 0, v;
				int r;

				j.enc = enc;
				j.keylen = keylens[ki];
				j.unit = units[ui];
				xts_setkey(&k, key, j.keylen);
				EVP_CipherInit_ex(j.ctx, j.keylen == 32 ? EVP_aes_128_xts()
						  : EVP_aes_256_xts(), NULL, key, NULL, enc);
				for (r = 0; r < REPEAT; r++) {
					for (i = XTS_IMPL_GENERIC; i < XTS_IMPL_COUNT; i++) {
						if (xts_force_impl((enum xts_impl)i))
							continue;
						if (i == XTS_IMPL_GENERIC && r >= 2)
							continue;       /* slow; 2 rounds do */
						v = measure(lamina_pass, &j);
						if (v > best[i])
							best[i] = v;
					}
					xts_force_impl(XTS_IMPL_AUTO);
					v = measure(lamina_unit_pass, &j);
					if (v > best[COL_UNIT])
						best[COL_UNIT] = v;
					v = measure(openssl_pass, &j);
					if (v > best[COL_OSSL])
						best[COL_OSSL] = v;
					v = measure(openssl_sameiv_pass, &j);
					if (v > best[COL_OSSL2])
						best[COL_OSSL2] = v;
				}
				printf("| XTS-AES-%-3zu | %s | %4zu |", j.keylen * 4,
				       enc ? "enc" : "dec", j.unit);
				for (i = XTS_IMPL_GENERIC; i < XTS_IMPL_COUNT; i++) {
					if (best[i] == 0) {
						printf(" %11s |", "n/a");
						continue;
					}
					printf(" %11.0f |", best[i]);
					if (best[i] > top)
						top = best[i];
				}
				v = best[COL_OSSL] > best[COL_OSSL2] ? best[COL_OSSL] : best[COL_OSSL2];
				printf(" %9.0f | %9.0f | %15.0f | %11.2fx |\n", best[COL_UNIT],
				       best[COL_OSSL], best[COL_OSSL2], top / v);
				fflush(stdout);
			}
		}
	}
	/* Cost of one guest-state save + restore around a batch. */
	if (xstate_init(0) == 0) {
		struct xstate_area *a = aligned_alloc(64, (xstate_area_size() + 63) & ~(size_t)63);
		double t0, t;
		long n;

		xts_setkey(&k, key, 64);
		for (n = 0; n < 1000; n++) {          /* warm up, dirty the state */
			xstate_save(a);
			xts_encrypt_units(&k, 0, 4096, j.buf, j.buf, 4096);
			xstate_restore(a);
		}
		t0 = now();
		for (n = 0; n < 200000; n++) {
			xstate_save(a);
			xstate_restore(a);
		}
		t = now() - t0;
		{
			double t1 = now(), u;
			long m;

			for (m = 0; m < 20000; m++)
				xts_encrypt_units(&k, (uint64_t)m, 4096, j.buf, j.buf, 4096);
			u = (now() - t1) / m;
			printf("\nxstate_save + xstate_restore (%s, area %zu B): %.0f ns per "
			       "pair; one 4 KiB XTS-AES-256 unit (%s): %.0f ns\n",
			       xstate_method_name(), xstate_area_size(), t / n * 1e9,
			       xts_impl_name(xts_active_impl()), u * 1e9);
		}
		free(a);
	}
	EVP_CIPHER_CTX_free(j.ctx);
	xts_clear_key(&k);
	free(j.buf);
	return 0;
}
