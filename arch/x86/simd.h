#ifndef ARCH_X86_SIMD_H
#define ARCH_X86_SIMD_H

/* Lets Lamina use SIMD for crypto on this CPU (the guest's extended state
 * saved around each batch, see arch/x86/xstate.h) and self-tests the XTS
 * path it will use.  0, or -errno with the reason logged. */
int simd_init(void);

#endif
