/*
 * arch/x86/xstate.c in user mode: vector registers (xmm/ymm/zmm/k) loaded
 * before xstate_save() come back intact after xstate_restore() even though
 * crypto code and an explicit clobber ran in between; FXSAVE, plain XSAVE
 * and the default (XSAVEC/XSAVEOPT) methods.  XCR0 switching needs ring 0
 * and is only checked for its computed mask here.
 */
#include "crypto_test_util.h"
#include "arch/x86/xstate.h"
#include "crypto/cpu.h"
#include "crypto/xts.h"

int xstate_roundtrip(struct xstate_area *a, const void *pattern, void *out, int mode,
		     void (*clobber)(void *), void *arg);
void clobber_vector_regs(int mode);

enum { PAT_LEN = 2048 + 16 };

struct work {
	int mode;
	uint8_t *buf, *ref;
	size_t len;
	int ran;
};

/* The "batch of sectors" between save and restore. */
static void crypto_batch(void *arg)
{
	struct work *w = arg;
	struct xts_key k;
	uint8_t key[64];
	int i;

	for (i = 0; i < 64; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	xts_setkey(&k, key, 64);
	xts_encrypt_units(&k, 77, 512, w->buf, w->buf, w->len);
	clobber_vector_regs(w->mode);
	w->ran = 1;
}

static void roundtrip(int mode, unsigned int flags)
{
	struct xstate_area *a;
	uint8_t pat[PAT_LEN], out[PAT_LEN];
	uint64_t s = 0x5151 + (uint64_t)mode;
	size_t n = mode == 0 ? 256 : mode == 1 ? 512 : PAT_LEN;
	struct work w = { .mode = mode, .len = 16 * 1024 };
	struct xts_key k;
	uint8_t key[64];
	int i;

	assert_int_equal(xstate_init(flags), 0);
	a = malloc(xstate_area_size() + 8);
	assert_non_null(a);
	/* deliberately misaligned: the area aligns its image itself */
	a = (struct xstate_area *)((uint8_t *)a + 8);
	test_fill(&s, pat, sizeof(pat));
	memset(out, 0, sizeof(out));
	w.buf = malloc(w.len);
	w.ref = malloc(w.len);
	test_fill(&s, w.buf, w.len);
	memcpy(w.ref, w.buf, w.len);

	xstate_roundtrip(a, pat, out, mode, crypto_batch, &w);

	assert_true(w.ran);
	if (memcmp(out, pat, n)) {
		for (i = 0; i < (int)n; i++)
			if (out[i] != pat[i])
				fail_msg("mode %d (%s): register byte %d differs after restore",
					 mode, xstate_method_name(), i);
	}
	/* and the crypto inside the batch was right */
	for (i = 0; i < 64; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	xts_setkey(&k, key, 64);
	xts_force_impl(XTS_IMPL_GENERIC);
	xts_decrypt_units(&k, 77, 512, w.buf, w.buf, w.len);
	xts_force_impl(XTS_IMPL_AUTO);
	assert_memory_equal(w.buf, w.ref, w.len);
	free((uint8_t *)a - 8);
	free(w.buf);
	free(w.ref);
}

static int have_avx(void)
{
	return (crypto_cpu_features() & CRYPTO_CPU_AVX) != 0;
}

static int have_avx512(void)
{
	return (crypto_cpu_features() & CRYPTO_CPU_AVX512F) != 0;
}

static void sse_default(void **state) { roundtrip(0, 0); }
static void sse_fxsave(void **state) { roundtrip(0, XSTATE_FORCE_FXSAVE); }
static void sse_plain_xsave(void **state)
{
	if (!(crypto_cpu_features() & CRYPTO_CPU_OSXSAVE))
		skip();
	roundtrip(0, XSTATE_FORCE_XSAVE);
}

static void avx_default(void **state)
{
	if (!have_avx())
		skip();
	roundtrip(1, 0);
}

static void avx_plain_xsave(void **state)
{
	if (!have_avx())
		skip();
	roundtrip(1, XSTATE_FORCE_XSAVE);
}

static void avx512_default(void **state)
{
	if (!have_avx512())
		skip();
	roundtrip(2, 0);
}

static void avx512_plain_xsave(void **state)
{
	if (!have_avx512())
		skip();
	roundtrip(2, XSTATE_FORCE_XSAVE);
}

static void methods_and_masks(void **state)
{
	uint32_t r[4];
	uint64_t x;

	assert_int_equal(xstate_init(XSTATE_FORCE_FXSAVE), 0);
	assert_int_equal(xstate_method(), XSTATE_FXSAVE);
	assert_int_equal(xstate_crypto_xcr0(), 0);
	assert_true(xstate_area_size() >= 512 + 64);

	if (!(crypto_cpu_features() & CRYPTO_CPU_OSXSAVE))
		return;
	assert_int_equal(xstate_init(0), 0);
	print_message("# xstate method %s, area %zu bytes\n", xstate_method_name(),
		      xstate_area_size());
	assert_true(xstate_method() >= XSTATE_XSAVE);
	assert_true(xstate_area_size() <= XSTATE_AREA_MAX);
	assert_int_equal(xstate_crypto_xcr0(), crypto_xgetbv0());

	/* With switching, crypto runs under x87|SSE|AVX(|AVX-512) if supported. */
	assert_int_equal(xstate_init(XSTATE_SWITCH_XCR0), 0);
	crypto_cpuid(0xD, 0, r);
	x = xstate_crypto_xcr0();
	assert_int_equal(x & 0x3, 0x3);
	assert_int_equal(!!(x & 0x4), !!(r[0] & 0x4));
	assert_int_equal((x & 0xE0) == 0xE0, (r[0] & 0xE0) == 0xE0);
	assert_int_equal(x & ~0xE7ull, 0);
	xstate_init(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(methods_and_masks),
		cmocka_unit_test(sse_default),
		cmocka_unit_test(sse_fxsave),
		cmocka_unit_test(sse_plain_xsave),
		cmocka_unit_test(avx_default),
		cmocka_unit_test(avx_plain_xsave),
		cmocka_unit_test(avx512_default),
		cmocka_unit_test(avx512_plain_xsave),
	};

	return cmocka_run_group_tests_name("xstate", tests, NULL, NULL);
}
