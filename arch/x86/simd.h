#ifndef ARCH_X86_SIMD_H
#define ARCH_X86_SIMD_H

/* Lets Lamina use SIMD for crypto on this CPU (the guest's extended state
 * saved around each batch, see arch/x86/xstate.h) and self-tests the XTS
 * path it will use.  0, or -errno with the reason logged. */
int simd_init(void);
/* The same CPU settings on another CPU (after simd_init on the boot CPU). */
int simd_init_cpu(void);

struct vcpu;

/* Gives v a save area for simd_begin(); 0 or -ENOMEM.  At vCPU set-up. */
int simd_vcpu_init(struct vcpu *v);

/* Brackets one batch of Lamina's SIMD work (e.g. all sectors of a disk
 * request) in an exit handler of v, on v's CPU: the guest's vector state
 * and XCR0 are saved before and restored after.  Never nested. */
void simd_begin(struct vcpu *v);
void simd_end(struct vcpu *v);

#endif
