/*
 * fpstate - does the guest's FPU/SSE state survive exits to Lamina?
 *
 *   fpstate [ITERATIONS]
 *
 * 1. Loads a distinct pattern into each of XMM0-XMM15, executes CPUID
 *    (which Lamina intercepts) and checks every register afterwards.
 * 2. Runs a chaotic floating-point recurrence (SSE doubles and x87 long
 *    doubles) twice, once with a CPUID every few steps and once without:
 *    any bit lost across an exit is amplified into a different result.
 * Exit status 0 when everything matched.  Needs no reference run: the
 * program compares with itself, so it passes bare as well.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpuid.h>

static void do_cpuid(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	__asm__ volatile("" : : "r"(a), "r"(b), "r"(c), "r"(d));
}

/* Loads XMM<n> from in, runs CPUID, stores XMM<n> to out. */
#define XMM_ROUND_TRIP(n, in, out)                                          \
	__asm__ volatile("movdqu %1, %%xmm" #n "\n\t"                       \
			 "cpuid\n\t"                                        \
			 "movdqu %%xmm" #n ", %0"                           \
			 : "=m"(out)                                        \
			 : "m"(in), "a"(0)                                  \
			 : "xmm" #n, "rbx", "rcx", "rdx", "memory")

struct xmm { uint64_t q[2]; };

static int check_xmm(unsigned int rounds)
{
	int bad = 0;

	for (unsigned int r = 0; r < rounds; r++) {
		struct xmm in[16], out[16];

		for (int n = 0; n < 16; n++) {
			in[n].q[0] = 0x0123456789abcdefull * (uint64_t)(n + 1) ^ r;
			in[n].q[1] = 0xfedcba9876543210ull + (uint64_t)n * 0x1111 + r;
		}
		memset(out, 0, sizeof(out));
		XMM_ROUND_TRIP(0, in[0], out[0]);
		XMM_ROUND_TRIP(1, in[1], out[1]);
		XMM_ROUND_TRIP(2, in[2], out[2]);
		XMM_ROUND_TRIP(3, in[3], out[3]);
		XMM_ROUND_TRIP(4, in[4], out[4]);
		XMM_ROUND_TRIP(5, in[5], out[5]);
		XMM_ROUND_TRIP(6, in[6], out[6]);
		XMM_ROUND_TRIP(7, in[7], out[7]);
		XMM_ROUND_TRIP(8, in[8], out[8]);
		XMM_ROUND_TRIP(9, in[9], out[9]);
		XMM_ROUND_TRIP(10, in[10], out[10]);
		XMM_ROUND_TRIP(11, in[11], out[11]);
		XMM_ROUND_TRIP(12, in[12], out[12]);
		XMM_ROUND_TRIP(13, in[13], out[13]);
		XMM_ROUND_TRIP(14, in[14], out[14]);
		XMM_ROUND_TRIP(15, in[15], out[15]);
		for (int n = 0; n < 16; n++) {
			if (memcmp(&in[n], &out[n], sizeof(in[n]))) {
				if (bad < 5)
					printf("fpstate: xmm%d changed across CPUID: %016llx%016llx -> %016llx%016llx\n",
					       n, (unsigned long long)in[n].q[1],
					       (unsigned long long)in[n].q[0],
					       (unsigned long long)out[n].q[1],
					       (unsigned long long)out[n].q[0]);
				bad++;
			}
		}
	}
	return bad;
}

struct fp_result { double d[4]; long double x; };

/* The logistic map at r = 3.9 is chaotic: a flipped bit anywhere shows. */
static struct fp_result recurrence(unsigned long iterations, int with_exits)
{
	volatile double seed = 0.123456789;
	double d0 = seed, d1 = seed + 0.1, d2 = seed + 0.2, d3 = seed + 0.3;
	long double x = (long double)seed + 0.05L;

	for (unsigned long i = 0; i < iterations; i++) {
		d0 = 3.9 * d0 * (1.0 - d0);
		d1 = 3.9 * d1 * (1.0 - d1);
		d2 = 3.9 * d2 * (1.0 - d2);
		d3 = 3.9 * d3 * (1.0 - d3);
		x = 3.9L * x * (1.0L - x);
		if (with_exits && (i & 63) == 0)
			do_cpuid();
	}
	return (struct fp_result){ { d0, d1, d2, d3 }, x };
}

int main(int argc, char **argv)
{
	unsigned long iterations = 200000;
	struct fp_result a, b;
	int bad_xmm, bad_fp = 0;

	if (argc > 1) {
		char *end;

		iterations = strtoul(argv[1], &end, 0);
		if (*end || iterations == 0) {
			fprintf(stderr, "usage: fpstate [ITERATIONS]\n");
			return 2;
		}
	}

	bad_xmm = check_xmm(200);
	printf("fpstate: xmm0-15 across CPUID, 200 rounds: %d mismatches\n", bad_xmm);

	a = recurrence(iterations, 0);
	b = recurrence(iterations, 1);
	for (int i = 0; i < 4; i++)
		bad_fp += memcmp(&a.d[i], &b.d[i], sizeof(double)) != 0;
	/* Only the 80 value bits of a long double are defined. */
	bad_fp += memcmp(&a.x, &b.x, 10) != 0;
	printf("fpstate: recurrence %lu steps, sse %.17g / %.17g, x87 %.21Lg / %.21Lg\n",
	       iterations, a.d[0], b.d[0], a.x, b.x);
	printf("fpstate: recurrence with and without exits: %d mismatches\n", bad_fp);

	if (bad_xmm || bad_fp) {
		printf("fpstate: FAIL\n");
		return 1;
	}
	printf("fpstate: ok\n");
	return 0;
}
