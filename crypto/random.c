/* SPDX-License-Identifier: MIT */
/* Lamina crypto: RDSEED/RDRAND random bytes with bounded retries. */
#include "crypto/random.h"
#include "crypto/cpu.h"

/* Raw encodings so no -mrdrnd/-mrdseed flags are needed. */
static inline int rdseed64(uint64_t *v)
{
	unsigned char ok;

	__asm__ __volatile__("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
	return ok;
}

static inline int rdrand64(uint64_t *v)
{
	unsigned char ok;

	__asm__ __volatile__("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
	return ok;
}

unsigned int crypto_random_sources(void)
{
	unsigned int f = crypto_cpu_features_xcr0(0), s = 0;

	if (f & CRYPTO_CPU_RDRAND)
		s |= 1;
	if (f & CRYPTO_CPU_RDSEED)
		s |= 2;
	return s;
}

static int random_u64(unsigned int src, uint64_t *v)
{
	int i;

	if (src & 2) {
		for (i = 0; i < CRYPTO_RDSEED_RETRIES; i++) {
			if (rdseed64(v))
				return CRYPTO_OK;
			__asm__ __volatile__("pause");
		}
	}
	if (src & 1) {
		for (i = 0; i < CRYPTO_RDRAND_RETRIES; i++)
			if (rdrand64(v))
				return CRYPTO_OK;
	}
	return CRYPTO_EIO;
}

int crypto_random_bytes(void *buf, size_t len)
{
	unsigned int src = crypto_random_sources();
	uint8_t *p = buf;
	uint64_t v = 0;
	size_t n, i;
	int rc;

	if (!src)
		return CRYPTO_ENOTSUP;
	while (len) {
		rc = random_u64(src, &v);
		if (rc) {
			crypto_wipe(buf, (size_t)(p - (uint8_t *)buf));
			return rc;
		}
		n = len < 8 ? len : 8;
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)(v >> (8 * i));
		p += n;
		len -= n;
	}
	crypto_wipe(&v, sizeof(v));
	return CRYPTO_OK;
}
