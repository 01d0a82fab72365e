/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: CPU feature probe (CPUID + XGETBV, general registers only).
 */
#ifndef LAMINA_CRYPTO_CPU_H
#define LAMINA_CRYPTO_CPU_H

#include "crypto/types.h"

#define CRYPTO_CPU_AES        (1u << 0)   /* AES-NI                         */
#define CRYPTO_CPU_PCLMUL     (1u << 1)
#define CRYPTO_CPU_SSE41      (1u << 2)
#define CRYPTO_CPU_AVX        (1u << 3)   /* CPUID bit and XCR0 YMM state   */
#define CRYPTO_CPU_AVX2       (1u << 4)
#define CRYPTO_CPU_VAES       (1u << 5)
#define CRYPTO_CPU_AVX512F    (1u << 6)   /* CPUID bit and XCR0 ZMM state   */
#define CRYPTO_CPU_AVX512VL   (1u << 7)
#define CRYPTO_CPU_RDRAND     (1u << 8)
#define CRYPTO_CPU_RDSEED     (1u << 9)
#define CRYPTO_CPU_OSXSAVE    (1u << 10)

/* XCR0 bits the vector code paths need. */
#define CRYPTO_XCR0_SSE      0x2ull
#define CRYPTO_XCR0_AVX      0x4ull
#define CRYPTO_XCR0_AVX512   0xE0ull      /* opmask, ZMM_Hi256, Hi16_ZMM    */

/*
 * Feature bits usable with the given XCR0 (the value that will be in force
 * while crypto code runs).  AVX/AVX-512 bits are reported only when both
 * CPUID advertises them and xcr0 enables their register state.
 */
unsigned int crypto_cpu_features_xcr0(uint64_t xcr0);

/* Same, with the XCR0 currently loaded (0 if the OS has not set OSXSAVE). */
unsigned int crypto_cpu_features(void);

/* Raw helpers, shared with arch/x86/xstate.c. */
void crypto_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);
uint64_t crypto_xgetbv0(void);   /* 0 when CPUID.1:ECX.OSXSAVE is clear */

#endif /* LAMINA_CRYPTO_CPU_H */
