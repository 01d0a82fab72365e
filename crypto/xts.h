/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: AES-XTS (IEEE 1619-2007 / NIST SP 800-38E).
 *
 * Byte-compatible with Linux dm-crypt "aes-xts-plain64": the key is
 * K1 || K2 (32 bytes for XTS-AES-128, 64 bytes for XTS-AES-256), the
 * tweak of a data unit is its number as a 128-bit little-endian integer.
 *
 * Lengths: any length >= 16 bytes.  Multiples of 16 go straight to the
 * selected code path; other lengths use ciphertext stealing for the final
 * partial block (as IEEE 1619 specifies; the last two blocks then go
 * through the portable constant-time code).
 *
 * Code paths are chosen at run time from CPUID (and XCR0): VAES+AVX-512,
 * VAES+AVX2, AES-NI, portable constant-time.  Every path produces
 * identical output; xts_force_impl() pins one for tests and benchmarks.
 *
 * Inside the hypervisor the SIMD paths use the guest's vector registers:
 * callers must bracket a batch of calls with xstate_save()/xstate_restore()
 * (arch/x86/xstate.h), see docs/crypto.md.
 */
#ifndef LAMINA_CRYPTO_XTS_H
#define LAMINA_CRYPTO_XTS_H

#include "crypto/aes.h"

enum xts_impl {
	XTS_IMPL_AUTO = 0,        /* best available (the default)            */
	XTS_IMPL_GENERIC,         /* portable, constant time, no SIMD         */
	XTS_IMPL_AESNI,           /* AES-NI, 8 blocks interleaved             */
	XTS_IMPL_VAES_AVX2,       /* VAES on 256-bit registers, 16 blocks     */
	XTS_IMPL_VAES_AVX512,     /* VAES on 512-bit registers, 32 blocks     */
	XTS_IMPL_COUNT
};

struct xts_key {
	struct aes_key data;      /* K1: encrypts the data                    */
	struct aes_key tweak;     /* K2: encrypts the data-unit number        */
};

/* keylen 32 (XTS-AES-128) or 64 (XTS-AES-256). */
int xts_setkey(struct xts_key *k, const uint8_t *key, size_t keylen);
void xts_clear_key(struct xts_key *k);          /* secure wipe */

/*
 * One data unit: tweak is the 16-byte little-endian data-unit number.
 * len >= 16.  in == out is allowed (in place); partial overlap is not.
 */
int xts_encrypt(const struct xts_key *k, const uint8_t tweak[16],
		const uint8_t *in, uint8_t *out, size_t len);
int xts_decrypt(const struct xts_key *k, const uint8_t tweak[16],
		const uint8_t *in, uint8_t *out, size_t len);

/*
 * A run of consecutive data units (sectors), plain64 numbering: unit i of
 * the run uses tweak first_unit + i.  unit_size is a multiple of 16,
 * >= 16 (512 and 4096 are the usual ones); len a multiple of unit_size.
 */
int xts_encrypt_units(const struct xts_key *k, uint64_t first_unit, size_t unit_size,
		      const uint8_t *in, uint8_t *out, size_t len);
int xts_decrypt_units(const struct xts_key *k, uint64_t first_unit, size_t unit_size,
		      const uint8_t *in, uint8_t *out, size_t len);

/*
 * Code-path selection.  xts_init() probes CPUID and the XCR0 currently
 * loaded (host programs; called lazily on first use).  The hypervisor
 * calls xts_init_xcr0() with the XCR0 it runs crypto under (see
 * xstate_crypto_xcr0()).  Neither is needed for correctness of the
 * generic path.
 */
void xts_init(void);
void xts_init_xcr0(uint64_t xcr0);
unsigned int xts_impl_available(void);   /* bit (1u << impl) per usable path */
int xts_force_impl(enum xts_impl impl);  /* CRYPTO_ENOTSUP if unavailable    */
enum xts_impl xts_active_impl(void);
const char *xts_impl_name(enum xts_impl impl);

/*
 * Known-answer self-test of the active path (IEEE 1619 vectors 2 and 10,
 * encrypt and decrypt): 0, or CRYPTO_EIO on a mismatch.  For a boot-time
 * check in the hypervisor -- inside an xstate_save()/xstate_restore()
 * bracket like any other XTS call.
 */
int xts_selftest(void);

/* Data-unit number -> 16-byte plain64 tweak. */
static inline void xts_tweak_from_u64(uint8_t tweak[16], uint64_t unit)
{
	int i;

	for (i = 0; i < 8; i++) {
		tweak[i] = (uint8_t)(unit >> (8 * i));
		tweak[8 + i] = 0;
	}
}

#endif /* LAMINA_CRYPTO_XTS_H */
