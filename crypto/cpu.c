/* SPDX-License-Identifier: MIT */
/* Lamina crypto: CPU feature probe. */
#include "crypto/cpu.h"

void crypto_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	uint32_t a, b, c, d;

	__asm__ __volatile__("cpuid"
			     : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			     : "a"(leaf), "c"(subleaf));
	r[0] = a;
	r[1] = b;
	r[2] = c;
	r[3] = d;
}

uint64_t crypto_xgetbv0(void)
{
	uint32_t r[4], lo, hi;

	crypto_cpuid(1, 0, r);
	if (!(r[2] & (1u << 27)))       /* OSXSAVE: XGETBV would #UD */
		return 0;
	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

unsigned int crypto_cpu_features_xcr0(uint64_t xcr0)
{
	uint32_t r1[4], r7[4] = { 0, 0, 0, 0 }, r0[4];
	unsigned int f = 0;
	int ymm_ok, zmm_ok;

	crypto_cpuid(0, 0, r0);
	crypto_cpuid(1, 0, r1);
	if (r0[0] >= 7)
		crypto_cpuid(7, 0, r7);

	ymm_ok = (r1[2] & (1u << 27)) &&
		 (xcr0 & (CRYPTO_XCR0_SSE | CRYPTO_XCR0_AVX)) ==
			 (CRYPTO_XCR0_SSE | CRYPTO_XCR0_AVX);
	zmm_ok = ymm_ok && (xcr0 & CRYPTO_XCR0_AVX512) == CRYPTO_XCR0_AVX512;

	if (r1[2] & (1u << 25)) f |= CRYPTO_CPU_AES;
	if (r1[2] & (1u << 1))  f |= CRYPTO_CPU_PCLMUL;
	if (r1[2] & (1u << 19)) f |= CRYPTO_CPU_SSE41;
	if (r1[2] & (1u << 30)) f |= CRYPTO_CPU_RDRAND;
	if (r1[2] & (1u << 27)) f |= CRYPTO_CPU_OSXSAVE;
	if (r7[1] & (1u << 18)) f |= CRYPTO_CPU_RDSEED;
	if (ymm_ok) {
		if (r1[2] & (1u << 28)) f |= CRYPTO_CPU_AVX;
		if (r7[1] & (1u << 5))  f |= CRYPTO_CPU_AVX2;
		if (r7[2] & (1u << 9))  f |= CRYPTO_CPU_VAES;
	}
	if (zmm_ok) {
		if (r7[1] & (1u << 16)) f |= CRYPTO_CPU_AVX512F;
		if (r7[1] & (1u << 31)) f |= CRYPTO_CPU_AVX512VL;
	}
	return f;
}

unsigned int crypto_cpu_features(void)
{
	return crypto_cpu_features_xcr0(crypto_xgetbv0());
}
