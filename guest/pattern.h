/*
 * The test pattern of ahciio and ahcibad: every 512-byte sector holds a
 * marker text, its own number and the seed, then pseudo-random bytes
 * made from both, so any sector can be checked on its own, in the guest
 * or in a (decrypted) image on the host.
 */
#ifndef GUEST_PATTERN_H
#define GUEST_PATTERN_H

#include <stdint.h>
#include <string.h>

#define SECTOR 512
#define MARKER "LAMINA-AHCI-PATTERN"

static inline void fill_sector(uint8_t *s, uint64_t seed, uint64_t lba)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull ^ lba * 0xbf58476d1ce4e5b9ull ^ 1;

	memset(s, 0, SECTOR);
	memcpy(s, MARKER, sizeof(MARKER));
	memcpy(s + 24, &lba, 8);
	memcpy(s + 32, &seed, 8);
	for (unsigned i = 40; i + 8 <= SECTOR; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(s + i, &x, 8);
	}
}

#endif
