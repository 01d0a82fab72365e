/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: include the compiler's intrinsics headers in freestanding
 * builds.  GCC's <xmmintrin.h> pulls in <mm_malloc.h>, which includes libc's
 * <stdlib.h>; the hypervisor builds with -nostdinc, so claim that header's
 * include guard first (nothing here uses _mm_malloc).  Clang only includes
 * it when __STDC_HOSTED__.  Only the per-ISA path files include this.
 */
#ifndef LAMINA_CRYPTO_SIMD_H
#define LAMINA_CRYPTO_SIMD_H

#ifndef _MM_MALLOC_H_INCLUDED
#define _MM_MALLOC_H_INCLUDED
#endif
#include <immintrin.h>

#define XTS_INLINE static inline __attribute__((always_inline))

/*
 * Exported entry points realign the stack themselves: the hypervisor's
 * general-register code does not need (and so may not keep) the ABI's
 * 16-byte stack alignment, but vector spills here use aligned moves.
 */
#define XTS_ENTRY __attribute__((force_align_arg_pointer))

/*
 * The lane and round loops must be fully unrolled so the blocks stay in
 * registers (GCC and clang both accept this spelling).
 */
#define UNROLL _Pragma("GCC unroll 16")

#endif /* LAMINA_CRYPTO_SIMD_H */
