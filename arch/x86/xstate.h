/* SPDX-License-Identifier: MIT */
/*
 * Guest extended-state (x87/SSE/AVX/AVX-512/...) save and restore around
 * hypervisor SIMD work, typically a batch of sector encryption.
 *
 * The hypervisor is built with -mgeneral-regs-only: the vector registers
 * hold the guest's values at all times, and XCR0 is not switched by VM
 * exits, so it is the guest's XCR0 while the hypervisor runs.  Code that
 * wants SIMD does, on one CPU, with interrupts (or at least any other user
 * of that CPU's area) excluded:
 *
 *	xstate_save(area);        // guest state -> area, XCR0 -> crypto XCR0
 *	... many xts_*() calls ...   // one batch: all sectors of a request
 *	xstate_restore(area);     // area -> registers, XCR0 -> guest XCR0
 *
 * Save once per batch, never per block or per sector (see docs/crypto.md).
 *
 * What the caller guarantees:
 *  - CR4.OSFXSR = 1 (and CR4.OSXMMEXCPT = 1) on every CPU, CR0.TS = 0,
 *    CR0.EM = 0; CR4.OSXSAVE = 1 whenever the CPU has XSAVE.
 *  - xstate_init() ran once before any save; the area comes from
 *    xstate_area_size() bytes (any alignment; 64-byte alignment is done
 *    inside), one area per CPU, no nesting.
 *  - XSTATE_SWITCH_XCR0 only in ring 0 (XSETBV), i.e. in the hypervisor.
 *  - The guest XCR0 at save time is valid for this CPU (it is: the CPU
 *    checked it when the guest executed XSETBV).
 *
 * With XSTATE_SWITCH_XCR0, xstate_save() raises XCR0 to the guest's XCR0
 * plus SSE|AVX|AVX-512 state (what the CPU supports), so the vector paths
 * run even when the guest has AVX disabled; xstate_restore() reloads the
 * guest's components, puts the extra ones back into their initial (zero)
 * state -- no key material survives in registers the guest cannot see --
 * and only then lowers XCR0 back.  Without the flag (user-mode tests), the
 * current XCR0 is used as is.
 */
#ifndef ARCH_X86_XSTATE_H
#define ARCH_X86_XSTATE_H

#include <stddef.h>
#include <stdint.h>

#define XSTATE_SWITCH_XCR0 1u   /* raise XCR0 for crypto (ring 0 only)        */
#define XSTATE_FORCE_FXSAVE 2u  /* testing: use FXSAVE even if XSAVE exists     */
#define XSTATE_FORCE_XSAVE  4u  /* testing: plain XSAVE (no XSAVEOPT/XSAVEC)    */

enum xstate_method {
	XSTATE_NONE = 0,     /* not initialised / no FXSR */
	XSTATE_FXSAVE,       /* x87 + SSE only (no XSAVE)             */
	XSTATE_XSAVE,        /* standard format                        */
	XSTATE_XSAVEOPT,     /* standard format, modified optimisation */
	XSTATE_XSAVEC,       /* compacted format, init optimisation    */
};

struct xstate_area {
	uint64_t guest_xcr0;     /* XCR0 at save time                     */
	uint64_t run_xcr0;       /* XCR0 in force until restore           */
	uint8_t raw[];           /* xsave image, aligned up to 64 inside  */
};

/* Probe once.  Returns 0, or -95 (ENOTSUP) without FXSAVE/FXRSTOR. */
int xstate_init(unsigned int flags);

/* Bytes to allocate for one struct xstate_area (header + max image + 64). */
size_t xstate_area_size(void);

/* Upper bound of xstate_area_size() for static per-CPU buffers. */
#define XSTATE_AREA_MAX (16384 + 64 + 16)

/*
 * The XCR0 crypto code can rely on between save and restore: pass it to
 * xts_init_xcr0().  0 when only FXSAVE is available (SSE/AES-NI paths).
 */
uint64_t xstate_crypto_xcr0(void);

enum xstate_method xstate_method(void);
const char *xstate_method_name(void);

void xstate_save(struct xstate_area *a);
void xstate_restore(struct xstate_area *a);

#endif /* ARCH_X86_XSTATE_H */
