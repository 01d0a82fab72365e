/* EPT entries and their memory types, which follow the boot CPU's MTRRs
 * (docs/vmx.md, "EPT and VPID"). */
#ifndef ARCH_X86_VMX_EPT_H
#define ARCH_X86_VMX_EPT_H

#include "arch/x86/mtrr.h"
#include "core/types.h"

struct pt_format;
struct textbuf;
struct vcpu;

extern struct pt_format ept_format;

/* On the boot CPU at start-up, before the nested tables are built: the
 * leaf sizes the CPU offers (IA32_VMX_EPT_VPID_CAP) and the MTRRs. */
void ept_init(u64 ept_vpid_cap);
/* The MTRR MSRs whose guest writes Lamina intercepts; returns the count. */
unsigned ept_mtrr_msrs(u32 list[MTRR_MSRS_MAX]);
bool ept_is_mtrr(u32 msr);
/* The guest's WRMSR of one of them on v: the write reaches the CPU and,
 * on the boot CPU, the EPT types follow.  False: #GP, as the CPU would. */
bool ept_write_mtrr(struct vcpu *v, u32 msr, u64 value);
/* `laminactl status` lines (nothing when the VT-x backend is not in use). */
void ept_status(struct textbuf *tb);

#endif
