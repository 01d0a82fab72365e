/* SPDX-License-Identifier: MIT */
/*
 * Guest extended-state save/restore (XSAVEC/XSAVEOPT/XSAVE, FXSAVE).
 * General-purpose registers only: nothing here may touch a vector register
 * before the save or after the restore.
 */
#include "arch/x86/xstate.h"
#include "crypto/cpu.h"

#define XCR0_X87       0x1ull
#define XCR0_SSE       0x2ull
#define XCR0_AVX       0x4ull
#define XCR0_AVX512    0xE0ull          /* opmask | ZMM_Hi256 | Hi16_ZMM */

#define XSAVE_HDR_OFF  512              /* legacy region, then header */
#define XSAVE_HDR_LEN  64

static enum xstate_method xs_method;
static size_t xs_image;                 /* bytes of the largest image */
static uint64_t xs_want;                /* extra XCR0 bits for crypto */
static unsigned int xs_flags;

static const char *const xs_names[] = {
	"none", "fxsave", "xsave", "xsaveopt", "xsavec",
};

int xstate_init(unsigned int flags)
{
	uint32_t r[4];
	uint64_t supported;

	crypto_cpuid(1, 0, r);
	xs_flags = flags;
	xs_want = 0;
	if (!(r[3] & (1u << 24))) {             /* FXSR */
		xs_method = XSTATE_NONE;
		return -95;
	}
	if (!(r[2] & (1u << 26)) || !(r[2] & (1u << 27)) ||
	    (flags & XSTATE_FORCE_FXSAVE)) {
		/* No XSAVE, or CR4.OSXSAVE clear: x87/SSE only. */
		xs_method = XSTATE_FXSAVE;
		xs_image = 512;
		return 0;
	}
	crypto_cpuid(0xD, 0, r);
	supported = (uint64_t)r[3] << 32 | r[0];
	xs_image = r[2];        /* max size for every supported component */
	crypto_cpuid(0xD, 1, r);
	if (flags & XSTATE_FORCE_XSAVE)
		xs_method = XSTATE_XSAVE;
	else if (r[0] & (1u << 1))
		xs_method = XSTATE_XSAVEC;
	else if (r[0] & 1u)
		xs_method = XSTATE_XSAVEOPT;
	else
		xs_method = XSTATE_XSAVE;
	if (flags & XSTATE_SWITCH_XCR0) {
		xs_want = supported & (XCR0_X87 | XCR0_SSE | XCR0_AVX);
		if ((supported & XCR0_AVX512) == XCR0_AVX512 && (xs_want & XCR0_AVX))
			xs_want |= XCR0_AVX512;
	}
	return 0;
}

size_t xstate_area_size(void)
{
	return sizeof(struct xstate_area) + xs_image + 64;
}

uint64_t xstate_crypto_xcr0(void)
{
	if (xs_method < XSTATE_XSAVE)
		return 0;
	if (xs_flags & XSTATE_SWITCH_XCR0)
		return xs_want;
	return crypto_xgetbv0();
}

enum xstate_method xstate_method(void)
{
	return xs_method;
}

const char *xstate_method_name(void)
{
	return xs_names[xs_method];
}

static inline uint8_t *image(struct xstate_area *a)
{
	return (uint8_t *)(((uintptr_t)a->raw + 63) & ~(uintptr_t)63);
}

static inline uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

static inline void xsetbv0(uint64_t v)
{
	__asm__ __volatile__("xsetbv" : : "c"(0), "a"((uint32_t)v),
			     "d"((uint32_t)(v >> 32)) : "memory");
}

void xstate_save(struct xstate_area *a)
{
	uint8_t *img = image(a);
	uint32_t lo, hi;
	int i;

	if (xs_method == XSTATE_FXSAVE) {
		a->guest_xcr0 = a->run_xcr0 = 0;
		__asm__ __volatile__("fxsave64 (%0)" : : "r"(img) : "memory");
		return;
	}
	if (xs_method == XSTATE_NONE)
		return;
	a->guest_xcr0 = xgetbv0();
	/*
	 * Standard-format XSAVE leaves XSTATE_BV bits outside RFBM untouched,
	 * and XRSTOR later runs with a wider RFBM: start from a clean header.
	 */
	for (i = 0; i < XSAVE_HDR_LEN; i += 8)
		*(volatile uint64_t *)(img + XSAVE_HDR_OFF + i) = 0;
	lo = (uint32_t)a->guest_xcr0;
	hi = (uint32_t)(a->guest_xcr0 >> 32);
	switch (xs_method) {
	case XSTATE_XSAVEC:
		__asm__ __volatile__("xsavec64 (%0)" : : "r"(img), "a"(lo), "d"(hi) : "memory");
		break;
	case XSTATE_XSAVEOPT:
		__asm__ __volatile__("xsaveopt64 (%0)" : : "r"(img), "a"(lo), "d"(hi) : "memory");
		break;
	default:
		__asm__ __volatile__("xsave64 (%0)" : : "r"(img), "a"(lo), "d"(hi) : "memory");
		break;
	}
	a->run_xcr0 = a->guest_xcr0 | xs_want;
	if (a->run_xcr0 != a->guest_xcr0)
		xsetbv0(a->run_xcr0);
}

void xstate_restore(struct xstate_area *a)
{
	uint8_t *img = image(a);
	uint32_t lo, hi;

	if (xs_method == XSTATE_FXSAVE) {
		__asm__ __volatile__("fxrstor64 (%0)" : : "r"(img) : "memory");
		return;
	}
	if (xs_method == XSTATE_NONE)
		return;
	/*
	 * RFBM = run_xcr0: the guest's components come back from the image,
	 * the extra ones (XSTATE_BV bit clear) go to their initial state.
	 */
	lo = (uint32_t)a->run_xcr0;
	hi = (uint32_t)(a->run_xcr0 >> 32);
	__asm__ __volatile__("xrstor64 (%0)" : : "r"(img), "a"(lo), "d"(hi) : "memory");
	if (a->run_xcr0 != a->guest_xcr0)
		xsetbv0(a->guest_xcr0);
}
