/* SPDX-License-Identifier: MIT */
/*
 * Lamina crypto: random bytes from the CPU (RDSEED, then RDRAND).
 *
 * Each 64-bit word is taken from RDSEED (full-entropy conditioner output),
 * retried up to CRYPTO_RDSEED_RETRIES times with a PAUSE in between; if
 * RDSEED is missing or stays empty, RDRAND (a DRBG reseeded by the same
 * source) is tried up to CRYPTO_RDRAND_RETRIES times.  If both fail the
 * call returns CRYPTO_EIO (or CRYPTO_ENOTSUP when neither instruction
 * exists) and wipes the partial output: it never loops forever and never
 * returns unfilled bytes as random.
 */
#ifndef LAMINA_CRYPTO_RANDOM_H
#define LAMINA_CRYPTO_RANDOM_H

#include "crypto/types.h"

#define CRYPTO_RDSEED_RETRIES 128
#define CRYPTO_RDRAND_RETRIES 10

int crypto_random_bytes(void *buf, size_t len);

/* Which sources exist: bit 0 RDRAND, bit 1 RDSEED. */
unsigned int crypto_random_sources(void);

#endif /* LAMINA_CRYPTO_RANDOM_H */
