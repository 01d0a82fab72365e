#include "arch/x86/simd.h"
#include "arch/x86/cpu.h"
#include "arch/x86/xstate.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/vcpu.h"
#include "crypto/xts.h"

#define EIO 5
#define ENOMEM 12
#define CPUID1_ECX_XSAVE BIT(26)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)

static u8 boot_area[XSTATE_AREA_MAX] __aligned(64);

int simd_init_cpu(void)
{
	u64 cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;

	/* xstate.h's contract: FXSR/XSAVE enabled, no FPU emulation or
	 * lazy-switch trap.  VMRUN keeps these host settings across exits. */
	if (cpuid(1, 0).ecx & CPUID1_ECX_XSAVE)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4);
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	return 0;
}

int simd_init(void)
{
	struct xstate_area *area = (struct xstate_area *)boot_area;
	int err;

	simd_init_cpu();
	err = xstate_init(XSTATE_SWITCH_XCR0);
	if (err) {
		pr_warn("no FXSAVE: crypto unavailable");
		return err;
	}
	xts_init_xcr0(xstate_crypto_xcr0());

	xstate_save(area);
	err = xts_selftest();
	xstate_restore(area);
	if (err) {
		pr_err("XTS self-test failed on the %s path", xts_impl_name(xts_active_impl()));
		return -EIO;
	}
	pr_info("crypto: XTS self-test passed, %s path, guest state kept with %s",
		xts_impl_name(xts_active_impl()), xstate_method_name());
	return 0;
}

int simd_vcpu_init(struct vcpu *v)
{
	v->simd_area = page_alloc(ALIGN_UP(XSTATE_AREA_MAX, PAGE_SIZE) / PAGE_SIZE);
	return v->simd_area ? 0 : -ENOMEM;
}

void simd_begin(struct vcpu *v)
{
	xstate_save(v->simd_area);
}

void simd_end(struct vcpu *v)
{
	xstate_restore(v->simd_area);
}
