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
 * The four exported entry points of a path, from the file's own
 * one_unit() and units(): each calls them with the round count as a
 * constant, so the compiler specializes the round loop for AES-128 (10)
 * and AES-256 (14).
 */
#define XTS_DEFINE_ENTRIES(path)                                                         \
	XTS_ENTRY void xts_##path##_enc(const struct xts_key *k, const uint8_t tweak[16],  \
					const uint8_t *in, uint8_t *out, size_t nblocks)   \
	{                                                                                  \
		if (k->data.rounds == 10)                                                  \
			one_unit(k, tweak, in, out, nblocks, 10, 0);                       \
		else                                                                       \
			one_unit(k, tweak, in, out, nblocks, 14, 0);                       \
	}                                                                                  \
	XTS_ENTRY void xts_##path##_dec(const struct xts_key *k, const uint8_t tweak[16],  \
					const uint8_t *in, uint8_t *out, size_t nblocks)   \
	{                                                                                  \
		if (k->data.rounds == 10)                                                  \
			one_unit(k, tweak, in, out, nblocks, 10, 1);                       \
		else                                                                       \
			one_unit(k, tweak, in, out, nblocks, 14, 1);                       \
	}                                                                                  \
	XTS_ENTRY void xts_##path##_units_enc(const struct xts_key *k, uint64_t unit,      \
					      size_t ublocks, const uint8_t *in,          \
					      uint8_t *out, size_t nunits)                \
	{                                                                                  \
		if (k->data.rounds == 10)                                                  \
			units(k, unit, ublocks, in, out, nunits, 10, 0);                   \
		else                                                                       \
			units(k, unit, ublocks, in, out, nunits, 14, 0);                   \
	}                                                                                  \
	XTS_ENTRY void xts_##path##_units_dec(const struct xts_key *k, uint64_t unit,      \
					      size_t ublocks, const uint8_t *in,          \
					      uint8_t *out, size_t nunits)                \
	{                                                                                  \
		if (k->data.rounds == 10)                                                  \
			units(k, unit, ublocks, in, out, nunits, 10, 1);                   \
		else                                                                       \
			units(k, unit, ublocks, in, out, nunits, 14, 1);                   \
	}

/*
 * The lane and round loops must be fully unrolled so the blocks stay in
 * registers (GCC and clang both accept this spelling).
 */
#define UNROLL _Pragma("GCC unroll 16")

#endif /* LAMINA_CRYPTO_SIMD_H */
