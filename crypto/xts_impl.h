/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: internal interface of the XTS code paths.  Each path
 * encrypts the raw tweak with K2 itself, then processes nblocks whole
 * 16-byte blocks (nblocks >= 1).  Paths with SIMD live in their own files,
 * compiled with their own ISA flags.
 */
#ifndef LAMINA_CRYPTO_XTS_IMPL_H
#define LAMINA_CRYPTO_XTS_IMPL_H

#include "crypto/xts.h"

typedef void (*xts_path_fn)(const struct xts_key *k, const uint8_t tweak[16],
			    const uint8_t *in, uint8_t *out, size_t nblocks);

/*
 * A run of nunits data units of ublocks blocks each, plain64 tweaks
 * unit, unit + 1, ... (64-bit wrap-around).  Lets a path encrypt several
 * tweaks at once and keep its round keys in registers across units.
 */
typedef void (*xts_units_fn)(const struct xts_key *k, uint64_t unit, size_t ublocks,
			     const uint8_t *in, uint8_t *out, size_t nunits);

void xts_generic_enc(const struct xts_key *k, const uint8_t tweak[16],
		     const uint8_t *in, uint8_t *out, size_t nblocks);
void xts_generic_dec(const struct xts_key *k, const uint8_t tweak[16],
		     const uint8_t *in, uint8_t *out, size_t nblocks);
/* The four entry points of each SIMD path (defined by XTS_DEFINE_ENTRIES). */
#define XTS_DECLARE_PATH(path)                                                           \
	void xts_##path##_enc(const struct xts_key *k, const uint8_t tweak[16],            \
			      const uint8_t *in, uint8_t *out, size_t nblocks);           \
	void xts_##path##_dec(const struct xts_key *k, const uint8_t tweak[16],            \
			      const uint8_t *in, uint8_t *out, size_t nblocks);           \
	void xts_##path##_units_enc(const struct xts_key *k, uint64_t unit, size_t ublocks, \
				    const uint8_t *in, uint8_t *out, size_t nunits);      \
	void xts_##path##_units_dec(const struct xts_key *k, uint64_t unit, size_t ublocks, \
				    const uint8_t *in, uint8_t *out, size_t nunits);

XTS_DECLARE_PATH(aesni)
XTS_DECLARE_PATH(vaes_avx2)
XTS_DECLARE_PATH(vaes_avx512)

#endif /* LAMINA_CRYPTO_XTS_IMPL_H */
