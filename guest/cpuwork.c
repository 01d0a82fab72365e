/*
 * cpuwork - deterministic CPU-bound work for the guest tests.
 *
 *   cpuwork [ROUNDS]
 *
 * Each round sieves the primes below 2^18 and folds them into a 64-bit
 * hash together with a run of integer mixing.  The result depends only
 * on ROUNDS, so a run under Lamina must print the same result as a bare
 * run; the elapsed time is what the benchmark compares.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIEVE_N (1u << 18)
#define DEFAULT_ROUNDS 400

static unsigned char composite[SIEVE_N];

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

static uint64_t round_once(uint64_t h, unsigned int round)
{
	uint32_t count = 0;

	memset(composite, 0, sizeof(composite));
	for (uint32_t i = 2; i < SIEVE_N; i++) {
		if (composite[i])
			continue;
		count++;
		h = mix(h, i ^ round);
		for (uint64_t j = (uint64_t)i * i; j < SIEVE_N; j += i)
			composite[j] = 1;
	}
	/* Some pure register work between the memory-bound sieves. */
	uint64_t x = h | 1;
	for (int k = 0; k < 200000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return mix(mix(h, count), x);
}

int main(int argc, char **argv)
{
	unsigned int rounds = DEFAULT_ROUNDS;
	struct timespec t0, t1;
	uint64_t h = 0;

	if (argc > 1) {
		char *end;
		unsigned long v = strtoul(argv[1], &end, 0);

		if (*end || v == 0 || v > 100000) {
			fprintf(stderr, "usage: cpuwork [ROUNDS]\n");
			return 2;
		}
		rounds = (unsigned int)v;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int r = 0; r < rounds; r++)
		h = round_once(h, r);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	long long ms = (t1.tv_sec - t0.tv_sec) * 1000LL +
		       (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("cpuwork: rounds=%u\n", rounds);
	printf("cpuwork: result=%016llx\n", (unsigned long long)h);
	printf("cpuwork: elapsed_ms=%lld\n", ms);
	return 0;
}
